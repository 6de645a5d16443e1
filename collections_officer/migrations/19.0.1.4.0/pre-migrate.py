"""19.0.1.4.0: the case form's header is rearranged.

Buttons moved from the case form's header to its action menu, and the views that
placed other buttons next to them still say so in the database until their own file
loads again. Loading the case form first would then fail ("cannot be located in
parent view"). The add-on's extension views are emptied before the views load: each
is written again from its file, and the one no file ships any more (the
partner-flag wizard's header button) is removed at the end of the upgrade.
"""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        SQL(
            """
            UPDATE ir_ui_view view
               SET arch_db = jsonb_build_object('en_US', '<data/>')
              FROM ir_model_data data
             WHERE data.model = 'ir.ui.view' AND data.res_id = view.id
               AND data.module = 'collections_officer'
               AND view.mode = 'extension' AND view.inherit_id IS NOT NULL
            """
        )
    )
