import base64
import os
import pathlib
import struct
from datetime import datetime, time, timedelta
from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged
from odoo.tests.common import ChromeBrowser

from .browser_common import CollectionsBrowserCase

WIDTH, HEIGHT = 1440, 900


@tagged("post_install", "-at_install")
class TestCollectionScreenshots(CollectionsBrowserCase):
    """The worklist, a case and My Day as an officer sees them.

    Each screen's tour (collections_screens_tour.js) first checks what it shows of this
    book: the worklist's rows and their figures, the case's amounts, aging and open
    items, My Day's reasons and their counts; then the screen is captured. With
    ``COLLECTIONS_SCREENSHOTS`` set to a folder, the screens are written there as PNG
    (``bin/screenshots`` updates docs/screenshots/).
    """

    browser_size = f"{WIDTH}x{HEIGHT}"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.officer = cls._browser_user("shot_officer")
        cls.officer.name = "Sarah Collins"
        colleague = cls._browser_user("shot_colleague")
        colleague.name = "Tom Reeves"
        manager = cls._browser_user("shot_manager", manager=True)
        team = cls.env["collection.team"].create(
            {
                "name": "Credit Control",
                "manager_id": manager.id,
                "member_ids": [Command.set((cls.officer | colleague).ids)],
            }
        )
        # The screens show this desk only: whatever else is overdue today has its case
        # first, off the desk.
        cls.env["collection.case"]._refresh_from_accounting(companies=cls.env.company)
        cls.env["collection.case"].search([("company_id", "=", cls.env.company.id)]).write(
            {"user_id": manager.id, "team_id": False}
        )
        today = cls._today()
        book = [
            ("Brightwell Ltd", 4200, 75, "+44 20 7946 0101", cls.officer),
            ("Calder & Sons", 3200, 40, "+44 161 496 0202", cls.officer),
            ("Dunmore Foods", 6800, 62, "+44 117 496 0303", cls.officer),
            ("Elmstead Garden Centre", 950, 12, "+44 121 496 0404", cls.officer),
            ("Fairholme Hotels", 2300, 33, "+44 131 496 0505", cls.officer),
            ("Glenrock Logistics", 18700, 130, "+44 141 496 0606", colleague),
        ]
        cls.cases = {}
        for name, amount, days, phone, officer in book:
            case = cls._overdue_case(name, amount, days=days, phone=phone)
            case.write({"user_id": officer.id, "team_id": team.id})
            cls.cases[name] = case
        brightwell = cls.cases["Brightwell Ltd"]
        for amount, days in ((1250, 40), (640, 9)):
            due = today - timedelta(days=days)
            cls.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": brightwell.partner_id.id,
                    "invoice_date": due,
                    "invoice_date_due": due,
                    "invoice_line_ids": [
                        Command.create({"name": "Consulting", "price_unit": amount, "tax_ids": []})
                    ],
                }
            ).action_post()
        cls.env["collection.case"]._refresh_from_accounting(companies=cls.env.company)
        # What was sent is the follow-up run's record: written as the engine writes it.
        Contact = cls.env["collection.contact"].sudo()
        for name, channel, outcome, days in (
            ("Brightwell Ltd", "phone", "no_answer", 2),
            ("Brightwell Ltd", "email", "sent", 9),
            ("Dunmore Foods", "phone", "refused", 4),
            ("Fairholme Hotels", "phone", "disputed", 6),
            ("Glenrock Logistics", "letter", "sent", 15),
        ):
            Contact.create(
                {
                    "case_id": cls.cases[name].id,
                    "channel": channel,
                    "outcome": outcome,
                    # Within the contact hours: the log shows calls, not breaches.
                    "date": datetime.combine(today - timedelta(days=days), time(10, 0)),
                    "user_id": cls.cases[name].user_id.id,
                }
            )
        cls.env["collection.promise"].create(
            {
                "case_id": cls.cases["Calder & Sons"].id,
                "amount": 3200,
                "date": today + timedelta(days=3),
            }
        )
        cls.cases["Elmstead Garden Centre"].activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=today,
            summary="Call back the AP clerk",
            user_id=cls.officer.id,
        )
        cls.env["collection.escalate.wizard"].with_user(cls.officer).create(
            {
                "case_id": cls.cases["Dunmore Foods"].id,
                "reason": "unwilling",
                "note": "Refused to pay on two calls.",
            }
        ).action_escalate()
        cls.cases["Fairholme Hotels"].sudo().write(
            {
                "state": "hold",
                "hold_reason": "Room rates in question: hold a month",
                "hold_until": today + timedelta(days=30),
            }
        )
        (brightwell | cls.cases["Glenrock Logistics"]).sudo().next_action_date = today

    def _screen(self, name, url, tour):
        """Walks ``tour`` as the officer at 1440x900 and returns the PNG of where it ends."""
        shots = []
        original = ChromeBrowser._wait_code_ok

        def wait_then_capture(browser, *args, **kwargs):
            original(browser, *args, **kwargs)
            shot = browser._websocket_request("Page.captureScreenshot", params={"format": "png"})
            shots.append(base64.b64decode(shot["data"]))

        self.env.flush_all()  # the browser's requests read the database, not this cache
        with patch.object(ChromeBrowser, "_wait_code_ok", wait_then_capture):
            self.start_tour(url, tour, login=self.officer.login)
        # Captured once, when the tour has checked the screen.
        [png] = shots
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        self.assertEqual(struct.unpack(">II", png[16:24]), (WIDTH, HEIGHT))
        if folder := os.environ.get("COLLECTIONS_SCREENSHOTS"):
            path = pathlib.Path(folder)
            path.mkdir(parents=True, exist_ok=True)
            (path / f"{name}.png").write_bytes(png)
        return png

    def test_screenshots_of_the_officers_screens(self):
        action = "/odoo/action-collections_officer"
        self._screen(
            "worklist",
            f"{action}.collection_case_action",
            "collections_officer_screen_worklist",
        )
        self._screen(
            "case",
            f"{action}.collection_case_action/{self.cases['Brightwell Ltd'].id}",
            "collections_officer_screen_case",
        )
        self._screen(
            "my_day", f"{action}.collection_my_day_action", "collections_officer_screen_my_day"
        )
