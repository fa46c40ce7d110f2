"""Row-level access: the one place that decides which rows a user may act on.

``Model.objects.restrict(user, action)`` combines the three layers of the permission policy:

1. **capability** — the model permission ``<app>.<action>_<model>`` held through a role group;
2. **scope** — the tenant foreign key, expressed by each queryset's :meth:`scope` as a ``Q``;
3. **exceptions** — django-guardian rows in the model's direct-FK permission tables, which add
   single objects (a report shared for a joint operation, a delegated administration).

Views, API viewsets, selectors, exports and dashboards all start from ``restrict()``, so an
object outside the user's reach is simply absent (404), and lists never check rows one by one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Self, cast

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections, models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Now

from .actor import Actor, signed_in
from .caches import ProcessCache, process_cache

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

NOTHING = Q(pk__in=[])
_JOINED = "+"  # what restrict_condition() keeps for a condition that joins other tables


_NOT_OWN_TABLE = "restrict_compiled() applies to a query over its model's own table, not a subquery's."


class _OwnTableCondition(RawSQL):
    """restrict_compiled()'s condition: SQL that names the model's table, so refused (ValueError) in a query where
    that table is not the first one by its own name: a subquery, whose table Django renames (U0...), where the SQL
    would read the outer query's row."""

    def __init__(self, sql: str, params: Iterable[Any], *, table: str) -> None:
        super().__init__(sql, tuple(params), output_field=models.BooleanField())
        self.table = table

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        if next(iter(compiler.query.alias_map), None) != self.table:
            raise ValueError(_NOT_OWN_TABLE)
        return super().as_sql(compiler, connection)


class RestrictedQuerySet(models.QuerySet[Any]):
    """A queryset that can be narrowed to what a user may do."""

    def restrict(self, user: Actor | AnonymousUser | None, action: str = "view") -> Self:
        if not signed_in(user) or not user.is_active:
            return self.none()
        if getattr(user, "is_superuser", False):
            return self
        opts = self.model._meta
        codename = f"{action}_{opts.model_name}"
        condition = NOTHING
        if user.has_perm(f"{opts.app_label}.{codename}"):
            condition = self.scope(user, action)
        condition |= self._granted_objects(user, codename)
        if condition == NOTHING:
            return self.none()
        return self.filter(condition)

    def restrict_compiled(self, user: Actor | AnonymousUser | None, action: str = "view") -> Self:
        """:meth:`restrict`, its condition built and compiled once per model, action and user position (as
        :meth:`allows` keeps its rule) instead of on every call: for a list that every request narrows the same
        way. The same SQL, so the same rows; django-guardian's rows and their expiry are read when it runs. A
        condition that joins other tables (a region's, through the administration) is built each time, by
        :meth:`restrict`.

        Only for a query that is run over the model's own table, never inside another (``Exists()``,
        ``Subquery()``, ``pk__in=``): the condition's SQL names that table, which in a subquery is the outer
        query's row (or no row at all). Such a query raises ValueError when it is built or run; use
        :meth:`restrict` there."""
        condition = self.restrict_condition(user, action)
        if condition is None:
            return self.restrict(user, action)
        table = self.model._meta.db_table
        if self.query.base_table not in (None, table) or self.query.alias_prefix != "T":
            raise ValueError(_NOT_OWN_TABLE)
        sql, params = condition
        if sql == "FALSE":
            return self.none()
        if sql == "TRUE":
            return self  # no condition (a superuser)
        return self.filter(_OwnTableCondition(sql, params, table=table))

    def restrict_condition(
        self, user: Actor | AnonymousUser | None, action: str = "view"
    ) -> tuple[str, tuple[Any, ...]] | None:
        """The condition of ``restrict(user, action)`` as SQL on the row's own columns ("TRUE" for every row,
        "FALSE" for none) and its parameters, compiled once per model, action and user position; None when it
        cannot be said so (it joins other tables, or the model declares no :meth:`position`).

        Its SQL names the model's table by its name: it is only for a query run over that table, never for a
        subquery (whose table Django renames, so the SQL would read the outer query's row)."""
        if not signed_in(user) or self.position(user) is None:
            return None
        key = ("where", *self._position_key(user, action))
        compiled = _allowed_sql.get(key)
        if compiled is None:
            query = type(self)(self.model, using=self.db).restrict(user, action).query
            try:
                sql, params = query.get_compiler(self.db).compile(query.where)
            except EmptyResultSet:
                sql, params = "FALSE", []  # restrict() gave none()
            except FullResultSet:
                sql, params = "TRUE", []  # restrict() left the rows unfiltered (a superuser)
            sql = sql or "TRUE"
            if any(count for alias, count in query.alias_refcount.items() if alias != query.base_table):
                sql, params = _JOINED, []  # the condition needs a join of its own
            compiled = _allowed_sql.put(key, (sql, tuple(params)))
        return None if compiled[0] == _JOINED else compiled

    def scope(self, user: Actor, action: str) -> Q:
        """Rows the user's tenant position gives access to; models override this. Default: none."""
        return NOTHING

    def position(self, user: Actor) -> tuple[Any, ...] | None:
        """Everything :meth:`scope` and :meth:`_granted_objects` read of ``user`` besides its id and permissions,
        or None if that is not declared. A model that declares it gets :meth:`allows` without compiling its
        rule each time; one that reads more of the user in ``scope()`` must say so here."""
        return None

    def allows(self, user: Actor | AnonymousUser | None, action: str, pk: Any) -> bool:
        """Whether ``restrict(user, action)`` holds the row ``pk``: the same rule, in one query (call it on the
        manager: filters of the queryset it is called on are not part of it).

        Workflow services ask this on every transition. Building and compiling the rule costs more than
        running it, so its SQL is kept per model, action and user position (id, active, superuser, every
        permission the user holds, and :meth:`position`); django-guardian's rows are read by that SQL
        when it runs, so a share or an assignment counts at once.
        """
        if not signed_in(user):
            return False  # restrict() gives no row to nobody
        compiled = self._compiled_rule(user, action)
        if compiled is None:
            return self.restrict(user, action).filter(pk=pk).exists()
        sql, params = compiled
        if not sql:
            return False
        with connections[self.db].cursor() as cursor:
            # The rule's SQL comes from the ORM (its one column is named "pk"); the id is a parameter.
            cursor.execute(f'SELECT 1 FROM ({sql}) AS allowed WHERE allowed."pk" = %s LIMIT 1', [*params, pk])  # noqa: S608
            return cursor.fetchone() is not None

    def allowed_among(self, user: Actor | AnonymousUser | None, action: str, pks: Iterable[Any]) -> set[Any]:
        """Which of the rows ``pks`` ``restrict(user, action)`` holds: :meth:`allows` for a page of rows, in one
        query (on the manager, as :meth:`allows`)."""
        wanted = list(pks)
        if not wanted or not signed_in(user):
            return set()
        compiled = self._compiled_rule(user, action)
        if compiled is None:
            return set(self.restrict(user, action).filter(pk__in=wanted).values_list("pk", flat=True))
        sql, params = compiled
        if not sql:
            return set()
        with connections[self.db].cursor() as cursor:
            # As in allows(): the rule's SQL from the ORM, the ids one array parameter.
            query = f'SELECT allowed."pk" FROM ({sql}) AS allowed WHERE allowed."pk" = ANY(%s)'  # noqa: S608
            cursor.execute(query, [*params, wanted])
            return {pk for (pk,) in cursor.fetchall()}

    def _compiled_rule(self, user: Actor, action: str) -> tuple[str, tuple[Any, ...]] | None:
        """The SQL of ``restrict(user, action)``'s primary keys ("" when it holds none), kept per model, action and
        user position; None for a model that declares no :meth:`position`."""
        if self.position(user) is None:
            return None
        key = self._position_key(user, action)
        compiled = _allowed_sql.get(key)
        if compiled is None:
            query = type(self)(self.model, using=self.db).restrict(user, action).order_by().values("pk").query
            try:
                sql, params = query.get_compiler(self.db).as_sql()
            except EmptyResultSet:
                sql, params = "", ()  # restrict() gave none(): nothing is allowed
            compiled = _allowed_sql.put(key, (sql, tuple(params)))
        return compiled

    def _position_key(self, user: Actor, action: str) -> tuple[Any, ...]:
        """What the rule of ``restrict(user, action)`` depends on: model, action and the user's position."""
        return (
            self.model._meta.label_lower,
            action,
            user.pk,
            user.is_active,
            user.is_superuser,
            frozenset(user.get_all_permissions()),
            self.position(user),
        )

    def _granted_objects(self, user: Actor, codename: str) -> Q:
        """Objects granted one by one through django-guardian's direct-FK tables, if the model has them."""
        from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

        user_model = cast(Any, get_user_obj_perms_model(cast(Any, self.model)))
        group_model = cast(Any, get_group_obj_perms_model(cast(Any, self.model)))
        if not _is_direct(user_model):
            return NOTHING
        user_rows = unexpired(user_model.objects.filter(user=user, permission__codename=codename))
        group_rows = unexpired(group_model.objects.filter(group__user=user, permission__codename=codename))
        return Q(pk__in=user_rows.values("content_object_id")) | Q(pk__in=group_rows.values("content_object_id"))


def unexpired(grants: models.QuerySet[Any]) -> models.QuerySet[Any]:
    """Guardian rows whose optional ``expires_at`` has not passed (all rows of a model without that field).

    Compared with the database's clock in the SQL itself, never with a time taken in Python: the SQL that
    :meth:`RestrictedQuerySet.allows` keeps stays right, and a list is never built on a stale instant.
    """
    if not any(field.name == "expires_at" for field in grants.model._meta.concrete_fields):
        return grants
    return grants.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=Now()))


def _is_direct(perm_model: Any) -> bool:
    """Guardian falls back to its generic tables for models without direct-FK ones; ignore those."""
    return perm_model._meta.app_label != "guardian"


# The SQL of allows() and of restrict_compiled()'s condition, by model, action and user position; emptied when it
# grows past the limit.
_allowed_sql: ProcessCache[tuple[Any, ...], tuple[str, tuple[Any, ...]]] = process_cache(
    "core.allows_sql", limit=10_000
)
