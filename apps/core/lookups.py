"""``field__any=values``: a field equal to any of a list of values, as ``= ANY(%s)`` with the list bound as ONE
array parameter.

``field__in`` binds each value as a parameter of its own: with the tens of thousands of references or ids of
an upload, Django prepares each one in Python and PostgreSQL parses and plans a statement as long as the list
(about 16 µs a value before the server sees it). An array is one parameter however long, and the statement's
text — and its prepared plan — stays the same.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Field, ForeignObject, Lookup


@ForeignObject.register_lookup  # relations keep lookups of their own (ids, not instances, here)
@Field.register_lookup
class AnyOf(Lookup):  # type: ignore[type-arg]
    lookup_name = "any"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(value, connection, prepared=False) for value in self.rhs]
        return f"{lhs} = ANY(%s)", [*lhs_params, values]
