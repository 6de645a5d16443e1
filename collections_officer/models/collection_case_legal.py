from odoo import api, fields, models
from odoo.exceptions import UserError

from .collection_legal import FINISHED_STATES


# collection.case is split by job on purpose: the case, its refresh, its follow-up decisions,
# its legal actions.
class CollectionCase(models.Model):
    """Legal actions on cases: a case in legal action takes no automated follow-up."""

    _inherit = "collection.case"  # pylint: disable=consider-merging-classes-inherited

    legal_ids = fields.One2many("collection.legal", "case_id", string="Legal Actions")
    legal_count = fields.Integer(compute="_compute_legal_count")

    def _compute_legal_count(self):
        counts = dict(
            self.env["collection.legal"]._read_group(
                [("case_id", "in", self.ids)], ["case_id"], ["__count"]
            )
        )
        for case in self:
            case.legal_count = counts.get(case, 0)

    @api.ondelete(at_uninstall=False)
    def _unlink_without_legal_history(self):
        legal = self.env["collection.legal"].sudo()
        if legal.search_count([("case_id", "in", self.ids)], limit=1):
            raise UserError(
                self.env._(
                    "A collection case with a legal action is evidence: archive it instead of "
                    "deleting it."
                )
            )

    def action_view_legal(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "collections_officer.collection_legal_action"
        )
        action["domain"] = [("case_id", "=", self.id)]
        action["context"] = {"default_case_id": self.id}
        if self.legal_count == 1:
            action.update(views=[(False, "form")], res_id=self.legal_ids.id)
        return action

    def action_new_legal(self):
        """A new legal action on the case, its claim prefilled, for a manager to complete."""
        self.ensure_one()
        self.env["collection.compliance"]._check_collections_manager(
            self.env._("Only a collections manager takes a case to legal action.")
        )
        defaults = {f"default_{name}": value for name, value in self._legal_claim_amounts().items()}
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Legal Action"),
            "res_model": "collection.legal",
            "view_mode": "form",
            "views": [(False, "form")],
            "context": defaults
            | {
                "default_case_id": self.id,
                "default_commission_rate": self.company_id.collection_legal_agency_rate,
            },
        }

    def _start_legal_action(self, legal_type, note=None):
        """Open a draft legal action of ``legal_type`` on this case, the claim prefilled.

        The hook of a manager's escalation decision ("notice" for legal action: it
        starts with the letter before action; "agency"), ``note`` being the
        manager's reason; any type of ``collection.legal`` is accepted. The case
        leaves automated follow-up at once; the next steps ask for the external
        party when they are taken. Returns the legal action.
        """
        self.ensure_one()
        self.env["collection.compliance"]._check_collections_manager(
            self.env._("Only a collections manager takes a case to legal action.")
        )
        if self.state == "closed":
            raise UserError(
                self.env._(
                    "%(case)s is closed: there is no debt to take to legal action.",
                    case=self.display_name,
                )
            )
        values = {"case_id": self.id, "legal_type": legal_type}
        values.update(self._legal_claim_amounts())
        if legal_type == "agency":
            values["commission_rate"] = self.company_id.collection_legal_agency_rate
        legal = self.env["collection.legal"].create(values)
        if note:
            legal.message_post(
                body=self.env._("Decided by %(user)s: %(note)s", user=self.env.user.name, note=note)
            )
        summary = (
            self.env._("Send the letter before action %(name)s", name=legal.name)
            if legal_type == "notice"
            else self.env._("Prepare legal action %(name)s", name=legal.name)
        )
        legal.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=legal.company_id._collection_today(),
            summary=summary,
            note=note or False,
            user_id=self.env.user.id,
        )
        return legal

    def _legal_claim_amounts(self):
        """What a new legal action claims: the overdue debt split into the interest and
        charges invoiced still unpaid, and the principal."""
        self.ensure_one()
        charges = (
            self.env["collection.charge"]
            .sudo()
            .search(
                [
                    ("case_id", "=", self.id),
                    ("state", "=", "invoiced"),
                    ("invoice_id.amount_residual", ">", 0),
                ]
            )
        )
        interest = sum(charges.filtered(lambda c: c.kind == "interest").mapped("amount"))
        fees = sum(charges.filtered(lambda c: c.kind != "interest").mapped("amount"))
        return {
            "principal_amount": max(self.overdue_amount - interest - fees, 0.0),
            "interest_amount": interest,
            "charges_amount": fees,
        }

    def _enter_legal(self, legals):
        """A legal action opened on these cases: they leave automated follow-up."""
        entering = self.filtered(lambda case: case.state not in ("closed", "legal"))
        entering.sudo().write({"state": "legal", "next_action_date": False})
        self._message_log_batch(
            bodies={
                case.id: self.env._(
                    "Legal action %(legal)s opened by %(user)s: no automated follow-up while "
                    "it lasts; payments still count.",
                    legal=", ".join(
                        legals.filtered(lambda item, c=case: item.case_id == c).mapped(
                            "display_name"
                        )
                    ),
                    user=self.env.user.name,
                )
                for case in self
            }
        )

    def _leave_legal(self):
        """The legal actions of these cases ended: back in follow-up, or closed when paid."""
        still = {
            case
            for [case] in self.env["collection.legal"]
            .sudo()
            ._read_group(
                [("case_id", "in", self.ids), ("state", "not in", FINISHED_STATES)], ["case_id"]
            )
        }
        leaving = self.filtered(lambda case: case.state == "legal" and case not in still)
        if not leaving:
            return
        for company, cases in leaving.sudo().grouped("company_id").items():
            cases.write({"state": "open", "next_action_date": company._collection_today()})
        leaving._message_log_batch(
            bodies=dict.fromkeys(
                leaving.ids, self.env._("The legal action ended: the case is back in follow-up.")
            )
        )
        self.env["collection.case"]._refresh_from_accounting(
            companies=leaving.company_id.sudo(), partners=leaving.partner_id
        )
