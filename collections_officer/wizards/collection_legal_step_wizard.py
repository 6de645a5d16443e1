from odoo import api, fields, models
from odoo.exceptions import UserError

# The steps after the letter before action, each taken by someone outside the company.
LEGAL_STEPS = [
    ("agency", "Hand Over to a Collection Agency"),
    ("lawyer", "Hand Over to a Lawyer"),
    ("court", "File a Court Claim"),
]


class CollectionLegalStepWizard(models.TransientModel):
    """The next step of a legal action, with what it needs: whom the debt goes to, and for
    a claim the court's reference and the filing date."""

    _name = "collection.legal.step.wizard"
    _description = "Next Step of a Legal Action"

    legal_id = fields.Many2one("collection.legal", required=True, readonly=True)
    company_id = fields.Many2one(related="legal_id.company_id")
    legal_type = fields.Selection(related="legal_id.legal_type")
    reply_deadline = fields.Date(related="legal_id.reply_deadline")
    step = fields.Selection(LEGAL_STEPS, required=True, default="agency")
    party_id = fields.Many2one(
        "res.partner",
        string="External Party",
        check_company=True,
        help="The collection agency or the lawyer the debt is handed to; for a court claim, "
        "whoever files it (your lawyer, or your company).",
    )
    party_reference = fields.Char(
        string="Their Reference", help="The agency's or the lawyer's reference of the file."
    )
    commission_rate = fields.Float(string="Commission (%)")
    court_reference = fields.Char(help="The number the court gave the claim.")
    filing_date = fields.Date(string="Filed On")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        legal = self.env["collection.legal"].browse(
            values.get("legal_id") or self.env.context.get("default_legal_id")
        )
        if not legal:
            return values
        # What the legal action knows already; the commission starts at the company's rate.
        known = {
            "party_id": legal.party_id.id,
            "party_reference": legal.party_reference,
            "commission_rate": legal.commission_rate
            or legal.company_id.collection_legal_agency_rate,
            "court_reference": legal.court_reference,
            "filing_date": legal.filing_date or legal.company_id._collection_today(),
        }
        for name in set(fields_list) & set(known):
            values.setdefault(name, known[name])
        return values

    def action_confirm(self):
        self.ensure_one()
        legal = self.legal_id
        legal._check_manager()
        self._check_needs()
        values = {"party_id": self.party_id.id}
        if self.step in ("agency", "lawyer"):
            values.update(legal_type=self.step, party_reference=self.party_reference)
            if self.step == "agency":
                values["commission_rate"] = self.commission_rate
            legal.write(values)
            legal.action_hand_over()
        else:
            # A lawyer files the claim of a debt handed to them; otherwise it is a court claim.
            if legal.legal_type != "lawyer":
                values["legal_type"] = "court"
            values.update(court_reference=self.court_reference, filing_date=self.filing_date)
            legal.write(values)
            legal.action_file_claim()
        return {"type": "ir.actions.act_window_close"}

    def _check_needs(self):
        """Refuse the step until it has what it needs, saying what is missing."""
        name = self.legal_id.name
        if not self.party_id:
            messages = {
                "agency": self.env._(
                    "%(name)s: choose the collection agency the debt is handed to.", name=name
                ),
                "lawyer": self.env._(
                    "%(name)s: choose the lawyer the debt is handed to.", name=name
                ),
                "court": self.env._(
                    "%(name)s: choose who files the claim (your lawyer, or your company) in "
                    "External Party.",
                    name=name,
                ),
            }
            raise UserError(messages[self.step])
        if self.step == "court" and not self.court_reference:
            raise UserError(
                self.env._("%(name)s: give the reference the court gave the claim.", name=name)
            )
        if self.step == "court" and not self.filing_date:
            raise UserError(self.env._("%(name)s: give the date the claim was filed.", name=name))
        if self.step == "court":
            # Before anything is written: a refused step leaves the legal action as it was.
            self.legal_id._check_filing_on(self.filing_date)
