{
    "name": "Collections Officer",
    "summary": "A collections desk in Odoo: overdue customers as collection cases, "
    "worked by officers and supervised by managers.",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/collections-officer/collections_officer",
    "author": "Collections Officer contributors",
    "license": "LGPL-3",
    "depends": ["account", "mail"],
    "data": [
        "security/collections_officer_groups.xml",
        "security/ir.model.access.csv",
        "security/collection_case_security.xml",
        "security/collection_team_security.xml",
        "data/ir_sequence_data.xml",
        "data/ir_cron_data.xml",
        "views/collection_case_views.xml",
        "views/collection_team_views.xml",
        "views/res_partner_views.xml",
        "views/account_move_views.xml",
        "views/collections_officer_menus.xml",
    ],
    "demo": [
        "demo/collection_team_demo.xml",
        "demo/account_move_demo.xml",
    ],
    "assets": {
        "web.assets_tests": ["collections_officer/static/tests/tours/*.js"],
    },
    "application": True,
}
