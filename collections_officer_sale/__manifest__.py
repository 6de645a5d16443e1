{
    "name": "Collections Officer - Sales",
    "summary": "A customer on credit hold in a company cannot have a sales order confirmed there.",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/collections-officer/collections_officer",
    "author": "Collections Officer contributors",
    "license": "LGPL-3",
    "depends": ["sale", "collections_officer"],
    "data": [
        "views/sale_order_views.xml",
    ],
    "auto_install": True,
}
