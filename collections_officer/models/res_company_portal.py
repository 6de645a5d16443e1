from odoo import fields, models


# res.company is extended by job: the customer page's settings live with it.
class ResCompany(models.Model):
    """What the customer may do on the customer page without an officer."""

    _inherit = "res.company"  # pylint: disable=consider-merging-classes-inherited

    collection_portal_link_days = fields.Integer(
        string="Customer Page Link Valid (days)",
        default=60,
        help="Days the link sent with each e-mail, SMS or letter works; every new message "
        "extends it, none shortens it.",
    )
    collection_portal_rate_limit = fields.Integer(
        string="Customer Page Actions per Hour",
        default=20,
        help="Promises, plans, disputes, payments and contact changes a case takes from its "
        "customer page in an hour; more are refused until the hour has passed (0: no limit).",
    )
    collection_portal_plan_max_amount = fields.Monetary(
        string="Self-Service Plans up to",
        currency_field="currency_id",
        default=5000.0,
        help="A payment plan the customer proposes for at most this amount (company "
        "currency) starts at once; a larger one waits for a manager's approval (0: no limit).",
    )
    collection_portal_plan_max_months = fields.Integer(
        string="Self-Service Plans over at most (months)",
        default=6,
        help="A payment plan the customer proposes ending within these months starts at "
        "once; a longer one waits for a manager's approval (0: no limit).",
    )
    collection_portal_plan_min_down_percent = fields.Float(
        string="Self-Service Plans Down Payment (%)",
        default=10.0,
        help="A payment plan the customer proposes with at least this share of the amount "
        "paid down starts at once; a smaller down payment waits for a manager's approval.",
    )

    _collection_portal_limits_valid = models.Constraint(
        "CHECK(collection_portal_link_days > 0 AND collection_portal_rate_limit >= 0"
        " AND collection_portal_plan_max_amount >= 0 AND collection_portal_plan_max_months >= 0"
        " AND collection_portal_plan_min_down_percent >= 0"
        " AND collection_portal_plan_min_down_percent <= 100)",
        "The customer page link works at least one day; its limits cannot be negative, and "
        "the down payment share is at most 100%.",
    )
