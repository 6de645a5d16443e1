from odoo import models
from odoo.exceptions import UserError

# Written by the ORM on every record, never a business decision.
FRAMEWORK_FIELDS = frozenset(
    {"id", "create_uid", "create_date", "write_uid", "write_date", "display_name"}
)


class CollectionEngineFields(models.AbstractModel):
    """The fields of the desk's records that people never write.

    A field declared read-only that is stored (and so every stored computed field
    without an inverse, every stored related field) is written by the engine or
    by the action that owns it, as superuser. So is a computed field that is not
    stored: written, it would only sit in the cache of the request, where a
    decision taken in the same call would read it. A view's ``readonly`` is no
    rule for an RPC client, and neither is a context key: the models call
    ``_check_engine_fields`` where the data is written, at the top of their
    ``create`` and ``write``, before they add values of their own.
    ``default_*`` keys of the context count as values: a client could otherwise
    create a promise with ``default_state='kept'``. Stating at creation what the
    record gets anyway (its default: a new promise is open) is no harm.

    ``_user_create_fields`` are the read-only fields a person states when
    creating a record (the invoice and amount of a dispute), fixed afterwards.
    History (``_collection_history``) is never copied: a copy would duplicate
    evidence, or bring judged figures into a new record.
    """

    _name = "collection.engine.fields"
    _description = "Collections: fields written by the engine only"

    # Read-only stored fields a user still states when creating a record.
    _user_create_fields = frozenset()
    _collection_history = False

    def _is_engine_field(self, name, value, creating=False):
        field = self._fields.get(name)
        if field is None or name in FRAMEWORK_FIELDS or not field.readonly:
            return False
        if not (field.store or field.compute):
            return False
        if creating:
            if name in self._user_create_fields:
                return False
            if field.default and not field.compute:
                default = field.default(self)
                try:
                    return field.convert_to_cache(value, self) != field.convert_to_cache(
                        default, self
                    )
                except (TypeError, ValueError):
                    return True
        return True

    def _check_engine_fields(self, vals_list, creating=False):
        if self.env.su:
            return
        given = [(name, value) for vals in vals_list for name, value in vals.items()]
        if creating:
            given += [
                (key.removeprefix("default_"), value)
                for key, value in self.env.context.items()
                if isinstance(key, str) and key.startswith("default_")
            ]
        touched = {name for name, value in given if self._is_engine_field(name, value, creating)}
        if touched:
            raise UserError(
                self._engine_fields_error(
                    ", ".join(
                        sorted(self._fields[name]._description_string(self.env) for name in touched)
                    )
                )
            )

    def _engine_fields_error(self, fields):
        """The refusal of ``fields`` (their labels), in words naming the actions that
        write them; models say which."""
        return self.env._(
            "%(fields)s of %(model)s are written by the collections engine or by the action "
            "that owns them: they cannot be set by hand.",
            fields=fields,
            model=self._description,
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
