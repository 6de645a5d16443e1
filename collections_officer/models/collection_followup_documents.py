from odoo import models
from odoo.tools import SQL


class CollectionFollowup(models.Model):
    """The documents a follow-up e-mail carries: the customer statements, printed for
    the batch, attached to their messages."""

    _inherit = "collection.followup"  # pylint: disable=consider-merging-classes-inherited

    def _attach_to_messages(self, attachment_by_message):
        """Add an attachment to each message: ``{message_id: attachment_id}``.

        One INSERT for the batch: the ORM writes a many2many record by record when
        each record gets its own attachment.
        """
        if not attachment_by_message:
            return
        messages = self.env["mail.message"].browse(list(attachment_by_message))
        messages.flush_recordset(["attachment_ids"])
        self.env.execute_query(
            SQL(
                """INSERT INTO message_attachment_rel (message_id, attachment_id)
                   SELECT * FROM unnest(%s::int[], %s::int[])
                   ON CONFLICT DO NOTHING""",
                list(attachment_by_message),
                list(attachment_by_message.values()),
            )
        )
        messages.invalidate_recordset(["attachment_ids"])
        self.env["mail.mail"].invalidate_model(["attachment_ids"])

    def _statement_attachments(self):
        """Start printing the customer statements of these follow-ups' cases; returns a
        function that waits for them and stores them as attachments of the cases:
        ``{case_id: attachment}``. The caller prepares its e-mails meanwhile.

        Only for the cases whose e-mail can go out: a statement nobody receives
        is neither rendered nor stored. The ones sent stay with their message,
        as evidence of what the customer was sent.
        """
        recipients = self._recipients()
        wanted = self.filtered(
            lambda f: f.level_id.attach_statement and recipients[f.case_id.id]["email"].email
        ).case_id
        if not wanted:
            return dict
        statements = self.env["report.collections_officer.report_collection_statement"]
        printing = statements._start_statements(wanted, to_filestore=True)

        def attach():
            pdfs = printing()
            attachments = self.env["ir.attachment"].create(
                [
                    {
                        "name": statements._statement_file_name(case),
                        "raw": pdfs[case.id],
                        "res_model": "collection.case",
                        "res_id": case.id,
                        "mimetype": "application/pdf",
                    }
                    for case in wanted
                ]
            )
            return {attachment.res_id: attachment for attachment in attachments}

        return attach
