from odoo.tests import tagged

from .browser_common import CollectionsBrowserCase


@tagged("post_install", "-at_install")
class TestCollectionDisputeUi(CollectionsBrowserCase):
    def test_officer_records_a_dispute_from_the_case(self):
        officer = self._browser_user("dispute_officer")
        case = self._overdue_case("Dispute Debtor", 480, days=45)
        invoice = case.open_line_ids.move_id
        self.env.flush_all()  # the browser's requests read the database, not this cache
        self.start_tour(
            "/odoo/action-collections_officer.collection_case_action",
            "collections_officer_dispute",
            login=officer.login,
        )
        dispute = self.env["collection.dispute"].search([("move_id", "=", invoice.id)])
        self.assertEqual((dispute.amount, dispute.reason, dispute.state), (100, "quality", "open"))
        self.assertEqual(dispute.case_id.disputed_amount, 100)
