from psycopg2.errors import UniqueViolation

from odoo.exceptions import UserError, ValidationError
from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from .common import TODAY, CollectionsCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCollectionCaseConstraints(CollectionsCommon):
    def test_case_by_hand_for_a_customer_with_nothing_due(self):
        self._post_invoice(100, due_days_ago=-10)  # due, but not yet overdue
        with self.assertRaisesRegex(ValidationError, "nothing overdue"):
            self.Case.create({"partner_id": self.customer.id})
        self.assertFalse(self._case())

    def test_case_by_hand_reads_accounting(self):
        self._post_invoice(100, due_days_ago=10)
        case = self.Case.with_user(self.officer).create({"partner_id": self.contact.id})
        self.assertEqual(case.partner_id, self.customer, "cases belong to the commercial partner")
        self.assertEqual(case.overdue_amount, 100)

    def test_second_open_case_for_the_same_customer(self):
        self._post_invoice(100, due_days_ago=10)
        case = self.Case.create({"partner_id": self.customer.id})
        with self.assertRaisesRegex(ValidationError, case.name):
            self.Case.create({"partner_id": self.customer.id})
        with self.assertRaisesRegex(ValidationError, "one open collection case"):
            self.Case.create([{"partner_id": self.customer.id}] * 2)

    def test_reopening_a_closed_case_beside_an_open_one(self):
        self._post_invoice(100, due_days_ago=10)
        case = self.Case.create({"partner_id": self.customer.id})
        case.sudo().state = "closed"
        second = self.Case.create({"partner_id": self.customer.id})
        with self.assertRaisesRegex(ValidationError, second.name):
            case.sudo().state = "open"
        self.assertEqual(case.state, "closed")

    def test_database_refuses_a_second_open_case(self):
        self._post_invoice(100, due_days_ago=10)
        case = self.Case.create({"partner_id": self.customer.id})
        with mute_logger("odoo.sql_db"), self.assertRaises(UniqueViolation):
            self.env.cr.execute(
                "INSERT INTO collection_case (name, partner_id, company_id, state) "
                "VALUES ('dup', %s, %s, 'open')",
                [case.partner_id.id, case.company_id.id],
            )

    def test_open_cases_cannot_be_deleted(self):
        self._post_invoice(100, due_days_ago=10)
        case = self.Case.create({"partner_id": self.customer.id})
        with self.assertRaisesRegex(UserError, "Only closed"):
            case.unlink()
        case.sudo().state = "closed"
        case.unlink()
        self.assertFalse(case.exists())
