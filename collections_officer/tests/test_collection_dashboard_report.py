from datetime import date

from lxml import etree, html

from odoo.tests import freeze_time, tagged

from .common import TODAY
from .test_collection_kpi import KpiBookCase

SECTIONS = ["Receivables", "Collection", "Promises & Plans", "Activity", "Customer Page"]


def _text(element):
    return " ".join("".join(element.itertext()).replace("\xa0", " ").split())


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionDashboardReport(KpiBookCase):
    """The dashboard reads as a report on the hand-computed book of the KPI tests, on
    30 June 2026: one report per owner, its figures under headings, a reason where a
    month has no figure."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.officer.name = "Olivia Officer"

    def _boards(self, user):
        Card = self.env["collection.kpi.card"].with_user(user)
        action = Card.action_open_dashboard()
        self.assertEqual(action["res_model"], "collection.kpi.board")
        return self.env["collection.kpi.board"].with_user(user).search(action["domain"])

    def _report(self, board):
        return html.fromstring(board.report)

    def _rows(self, report, section):
        return {
            row.get("data-kpi"): row
            for row in report.xpath(f"//section[@data-section='{section}']//tr[@data-kpi]")
        }

    def test_one_report_per_owner_under_headings(self):
        boards = self._boards(self.officer)
        self.assertEqual(boards.mapped("owner"), ["Olivia Officer", "Key Accounts"])
        self.assertEqual(boards[0].user_id, self.officer)
        self.assertEqual(boards[1].team_id, self.team)
        for board in boards:
            report = self._report(board)
            self.assertEqual([_text(h) for h in report.xpath("//section/h5")], SECTIONS)
            # No bare dash anywhere: a month without a figure says why.
            for element in report.iter():
                self.assertNotEqual((element.text or "").strip(), "-", board.owner)
        # The dashboard is not a board of 17 cards per column: one report per owner.
        arch = etree.fromstring(
            self.env["collection.kpi.board"]
            .with_user(self.officer)
            .get_views([(False, "kanban")])["views"]["kanban"]["arch"]
        )
        self.assertFalse(arch.get("default_group_by"))
        manager_boards = self._boards(self.manager)
        self.assertEqual(manager_boards.mapped("owner"), [self.company.name, "Key Accounts"])

    def test_figures_and_reasons_of_the_officers_report(self):
        report = self._report(self._boards(self.officer)[0])
        receivables = self._rows(report, "receivables")
        self.assertEqual(
            list(receivables),
            [
                "receivable_end",
                "over_90_share",
                "dso",
                "countback_dso",
                "best_possible_dso",
                "average_days_delinquent",
            ],
        )
        # No sale in June: no DSO this month, and the screen says why; May's is kept.
        dso = receivables["dso"]
        self.assertEqual(
            _text(dso.xpath(".//td[hasclass('o_kpi_value')]")[0]), "no credit sales in the month"
        )
        self.assertEqual(_text(dso.xpath(".//td[hasclass('o_kpi_last_value')]")[0]), "87.83")
        self.assertIn("1,300.00", _text(receivables["receivable_end"]))
        collection = self._rows(report, "collection")
        self.assertEqual(list(collection), ["collected", "credited", "cei", "cases_closed"])
        collected = collection["collected"]
        self.assertEqual(_text(collected.xpath(".//td[hasclass('o_kpi_value')]")[0]), "$ 400.00")
        self.assertTrue(collected.xpath(".//i[hasclass('fa-arrow-up')]"), "better than May")
        # Nothing promised nor planned: no row of dashes, the section says why.
        commitments = report.xpath("//section[@data-section='commitments']")[0]
        self.assertFalse(self._rows(report, "commitments"))
        self.assertIn("Nothing to measure this month or last.", _text(commitments))
        unmeasured = _text(commitments.xpath(".//p[hasclass('o_kpi_unmeasured')]")[0])
        self.assertIn("Promises Kept (%) (no promise fell due in the month)", unmeasured)
        self.assertIn("Plans Completed (%) (no plan ended in the month)", unmeasured)
        activity = self._rows(report, "activity")
        self.assertEqual(list(activity), ["contact_count", "cases_opened", "cases_escalated"])
        self.assertIn(
            "Dispute Resolution (days) (no dispute resolved in the month)",
            _text(report.xpath("//section[@data-section='activity']")[0]),
        )
        # The figures behind the report: each card knows its section.
        cards = self.env["collection.kpi.card"].with_user(self.officer).search([])
        self.assertEqual(
            {card.kpi: card.section for card in cards if card.owner == "Olivia Officer"}[
                "collected"
            ],
            "collection",
        )

    def test_the_target_is_labelled_with_its_figure_and_month(self):
        target = self.env["collection.target"].create(
            {"user_id": self.officer.id, "month": date(2026, 6, 17), "target_amount_collected": 800}
        )
        self.assertEqual(target.month_label, "June 2026")
        self.assertEqual(target.display_name, "Olivia Officer — June 2026")
        self.assertEqual(
            target.progress_label.replace("\xa0", " "),
            "Olivia Officer — June 2026: $ 400.00 of $ 800.00 collected (50 %)",
        )
        team_target = self.env["collection.target"].create(
            {"team_id": self.team.id, "month": date(2026, 5, 1)}
        )
        self.assertEqual(
            team_target.progress_label.replace("\xa0", " "),
            "Key Accounts — May 2026: $ 300.00 collected, no target set",
        )
        # The dashboard shows the target under the figure.
        report = self._report(self._boards(self.officer)[0])
        collected = self._rows(report, "collection")["collected"]
        self.assertEqual(
            _text(collected.xpath(".//div[hasclass('o_kpi_target')]")[0]), "Target: $ 800.00"
        )
        # The screens write the month out and label the bar.
        Target = self.env["collection.target"].with_user(self.manager)
        views = Target.get_views([(False, "kanban"), (False, "list")])["views"]
        kanban = etree.fromstring(views["kanban"]["arch"])
        self.assertTrue(kanban.xpath("//field[@name='month_label']"))
        self.assertFalse(kanban.xpath("//field[@name='month']"))
        self.assertTrue(kanban.xpath("//field[@name='progress_label']"))
        listing = etree.fromstring(views["list"]["arch"])
        self.assertEqual(listing.xpath("//field[@name='month']")[0].get("column_invisible"), "True")
        self.assertTrue(listing.xpath("//field[@name='month_label']"))
