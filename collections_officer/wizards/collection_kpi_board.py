from odoo import api, fields, models
from odoo.tools import formatLang

from .collection_kpi_card import SECTIONS


class CollectionKpiBoard(models.TransientModel):
    """The dashboard's report of one company, team or officer: their KPI cards under
    headings, this month against last month and the target.

    Built with the cards, for the user who opens the dashboard. A KPI with nothing
    to measure in either month is left out of its section and named below it with
    the reason; a month without a figure says why instead of showing a dash.
    """

    _name = "collection.kpi.board"
    _description = "Collections: KPI Report"
    _order = "sequence, id"

    sequence = fields.Integer()
    owner = fields.Char(help="The company, officer or team the figures are of.")
    company_id = fields.Many2one("res.company")
    user_id = fields.Many2one("res.users", string="Officer")
    team_id = fields.Many2one("collection.team")
    report = fields.Html(sanitize=False, readonly=True)

    @api.model
    def _build(self, cards):
        """One report per owner of ``cards``, in the order the cards were built."""
        vals_list = []
        for sequence, (owner, owner_cards) in enumerate(
            cards.sorted("id").grouped(lambda card: card.owner).items()
        ):
            first = owner_cards[0]
            vals_list.append(
                {
                    "sequence": sequence,
                    "owner": owner,
                    "company_id": first.company_id.id,
                    "user_id": first.user_id.id,
                    "team_id": first.team_id.id,
                    "report": self.env["ir.qweb"]._render(
                        "collections_officer.collection_kpi_board_report",
                        {"sections": self._sections(owner_cards)},
                    ),
                }
            )
        return self.create(vals_list)

    @api.model
    def _sections(self, cards):
        """The cards as headed sections of rows, their figures written out."""
        Card = self.env["collection.kpi.card"]
        kpi_labels = dict(Card._fields["kpi"]._description_selection(self.env))
        section_labels = dict(Card._fields["section"]._description_selection(self.env))
        sections = []
        for section, _label, _kpis in SECTIONS:
            section_cards = cards.filtered(lambda card, s=section: card.section == s).sorted(
                "sequence"
            )
            rows, unmeasured = [], []
            for card in section_cards:
                label = kpi_labels[card.kpi]
                if not card.has_value and not card.has_last_value:
                    unmeasured.append(
                        self.env._("%(kpi)s (%(reason)s)", kpi=label, reason=card.note)
                        if card.note
                        else label
                    )
                    continue
                rows.append(
                    {
                        "kpi": card.kpi,
                        "label": label,
                        "value": self._figure(card, card.value) if card.has_value else False,
                        "note": card.note,
                        "last_value": (
                            self._figure(card, card.last_value) if card.has_last_value else False
                        ),
                        "last_note": card.last_note,
                        "target": self._figure(card, card.target) if card.has_target else False,
                        "trend": card.trend,
                    }
                )
            sections.append(
                {
                    "section": section,
                    "label": section_labels[section],
                    "rows": rows,
                    "unmeasured": unmeasured,
                }
            )
        return sections

    def _figure(self, card, value):
        if card.unit == "amount":
            return card.currency_id.format(value)
        if card.unit == "count":
            return formatLang(self.env, value, digits=0)
        return formatLang(self.env, value, digits=2)
