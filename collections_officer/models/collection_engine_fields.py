from odoo import models
from odoo.exceptions import UserError

# Written by the ORM on every record, never a business decision.
FRAMEWORK_FIELDS = frozenset(
    {"id", "create_uid", "create_date", "write_uid", "write_date", "display_name"}
)


class CollectionEngineFields(models.AbstractModel):
    """The fields of the desk's records that people never write.

    A stored field declared read-only (and so every computed field without an
    inverse, every related field) is written by the engine or by the action that
    owns it, as superuser. A view's ``readonly`` is no rule for an RPC client, and
    neither is a context key: the models call ``_check_engine_fields`` where the
    data is written, at the top of their ``create`` and ``write``, before they add
    values of their own. ``default_*`` keys of the context count as values: a
    client could otherwise create a promise with ``default_state='kept'``.

    History (``_collection_history``) is never copied: a copy would duplicate
    evidence, or bring judged figures into a new record.
    """

    _name = "collection.engine.fields"
    _description = "Collections: fields written by the engine only"

    # Read-only stored fields a user still states when creating a record.
    _user_create_fields = frozenset()
    _collection_history = False

    def _engine_field_names(self, names, creating=False):
        engine = set()
        for name in names:
            field = self._fields.get(name)
            if field is None or not field.store or name in FRAMEWORK_FIELDS:
                continue
            if field.readonly and not (creating and name in self._user_create_fields):
                engine.add(name)
        return engine

    def _check_engine_fields(self, vals_list, creating=False):
        if self.env.su:
            return
        names = set().union(*vals_list) if vals_list else set()
        if creating:
            names |= {
                key.removeprefix("default_")
                for key in self.env.context
                if isinstance(key, str) and key.startswith("default_")
            }
        if touched := self._engine_field_names(names, creating):
            raise UserError(
                self.env._(
                    "%(fields)s of %(model)s are written by the collections engine or by "
                    "the action that owns them: they cannot be set by hand.",
                    fields=", ".join(
                        sorted(self._fields[name]._description_string(self.env) for name in touched)
                    ),
                    model=self._description,
                )
            )

    def copy(self, default=None):
        if self._collection_history and not self.env.su:
            raise UserError(
                self.env._(
                    "%(model)s records are history: they are recorded, never copied.",
                    model=self._description,
                )
            )
        return super().copy(default)
