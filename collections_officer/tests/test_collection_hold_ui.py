from datetime import timedelta

from odoo.tests import tagged

from .browser_common import CollectionsBrowserCase


@tagged("post_install", "-at_install")
class TestCollectionHoldUi(CollectionsBrowserCase):
    """A manager finishes the work of a held case from its screens: a dispute is
    rejected with the guard's override given in the same dialog, and the hold is
    lifted from the case."""

    browser_size = "1440x900"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls._browser_user("hold_manager", manager=True)

    @classmethod
    def _held_case(cls, name, reason):
        case = cls._overdue_case(name, 900, days=50, email="ap@held.example")
        case.write({"user_id": cls.manager.id})
        case.sudo().write(
            {
                "state": "hold",
                "hold_reason": reason,
                "hold_until": cls._today() + timedelta(days=60),
            }
        )
        return case

    def test_manager_rejects_a_dispute_on_a_held_case(self):
        case = self._held_case("Held Debtor", "Main customer bankrupt")
        dispute = (
            self.env["collection.dispute"]
            .sudo()
            .create(
                {
                    "case_id": case.id,
                    "move_id": case.open_line_ids.move_id.id,
                    "amount": 300,
                    "reason": "quality",
                }
            )
        )
        self.env.flush_all()  # the browser's requests read the database, not this cache
        self.start_tour(
            "/odoo/action-collections_officer.collection_dispute_action",
            "collections_officer_hold_dispute",
            login=self.manager.login,
        )
        self.assertEqual(dispute.state, "rejected")
        self.assertEqual(case.state, "hold")
        contact = case.contact_ids.filtered(lambda c: c.outcome == "dispute_rejected")
        self.assertIn("Rejected before the hold ends.", contact.compliance_override)

    def test_manager_lifts_a_hold_from_the_case(self):
        case = self._held_case("Lifted Debtor", "Insurance claim pending")
        self.env.flush_all()
        self.start_tour(
            "/odoo/action-collections_officer.collection_case_action",
            "collections_officer_hold_lift",
            login=self.manager.login,
        )
        self.assertRecordValues(
            case, [{"state": "open", "hold_reason": False, "hold_until": False}]
        )
        self.assertIn("The insurer settled early.", " ".join(case.message_ids.mapped("body")))
