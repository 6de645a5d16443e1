import uuid

from lxml import etree, html
from markupsafe import Markup

from odoo import api, models


class MailTemplate(models.Model):
    _inherit = "mail.template"

    @api.model
    def _render_template_qweb(self, template_src, model, res_ids, add_context=None, options=None):
        """Render a QWeb body for a batch of records with one compilation.

        Odoo compiles the body once per record (a mail template body is not a
        cached view): about 5 ms a record, most of the mail rendering of a
        follow-up run. With ``collection_render_batch`` in the context, the body
        is wrapped in a loop over the records, compiled and rendered once, and
        the output cut per record at a marker. Anything unusual (a user limited
        to safe expressions, a failure) goes through Odoo's own rendering.
        """
        if (
            not self.env.context.get("collection_render_batch")
            or len(res_ids) < 2
            or not template_src
            or not self._has_unsafe_expression_template_qweb(template_src, model)
            or self._collection_render_restricted()
        ):
            return super()._render_template_qweb(
                template_src, model, res_ids, add_context=add_context, options=options
            )
        records = self.env[model].browse(res_ids)
        marker = Markup(f"<!--collection-render-{uuid.uuid4().hex}-->")
        body = html.fragment_fromstring(template_src, create_parent="div")
        wrapper = etree.Element("div")
        loop = etree.SubElement(
            wrapper, "t", {"t-foreach": "collection_render_records", "t-as": "object"}
        )
        # The marker closes each record's output: the body's trailing text is kept.
        loop.text = body.text
        loop.extend(list(body))
        etree.SubElement(loop, "t", {"t-out": "collection_render_marker"})
        variables = self._render_eval_context()
        if add_context:
            variables.update(**add_context)
        variables |= {"collection_render_records": records, "collection_render_marker": marker}
        try:
            rendered = self.env["ir.qweb"]._render(wrapper, variables, **(options or {}))
        except Exception:
            return super()._render_template_qweb(
                template_src, model, res_ids, add_context=add_context, options=options
            )
        # Strip the wrapper <div>, as Odoo does, then cut after each record's marker.
        *parts, rest = rendered[5:-6].split(marker)
        if len(parts) != len(records) or rest:
            return super()._render_template_qweb(
                template_src, model, res_ids, add_context=add_context, options=options
            )
        results = dict.fromkeys(res_ids, "")
        results.update(
            (record.id, Markup(part)) for record, part in zip(records, parts, strict=True)
        )
        return results

    def _collection_render_restricted(self):
        """Whether this user's templates may only use safe expressions (see Odoo's rendering)."""
        return (
            not self._unrestricted_rendering
            and not self.env.is_admin()
            and not self.env.user.has_group("mail.group_mail_template_editor")
        )
