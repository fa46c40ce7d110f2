"""Reads on reference data: where a term is used, and the countries (ISO 3166, django-countries)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Count, Model
from django.utils.translation import gettext, ngettext
from django_countries import countries

from apps.core.caches import process_cache_register
from apps.core.languages import offered_languages

from .models import Vocabulary

_EXAMPLES = 3
TermT = TypeVar("TermT", bound=Vocabulary)


@dataclass(frozen=True)
class TermUsage:
    """How many rows of one model refer to a term through one field, with a few examples."""

    model_name: str  # verbose name (plural) of the model that refers to the term
    field_name: str  # verbose name of its field
    count: int
    examples: tuple[str, ...] = ()  # only for reference data: other tables may hold tenant data

    def __str__(self) -> str:
        text = ngettext(
            "%(count)d record of %(models)s (%(field)s)", "%(count)d records of %(models)s (%(field)s)", self.count
        ) % {"count": self.count, "models": self.model_name, "field": self.field_name}
        if self.examples:
            more = ", …" if self.count > len(self.examples) else ""
            text = gettext("%(usage)s: %(examples)s") % {"usage": text, "examples": ", ".join(self.examples) + more}
        return text


def _reverse_relations(model: type[Model]) -> list[Any]:
    """Every relation pointing at ``model``, hidden ones (``related_name="+"``) included."""
    relations: list[Any] = []
    for field in model._meta.get_fields(include_hidden=True):
        if not (field.auto_created and not field.concrete and field.is_relation):
            continue
        related_model = field.related_model
        if related_model is None or related_model._meta.auto_created:  # type: ignore[union-attr]
            continue  # the automatic table of a many-to-many field: counted through the field itself
        relations.append(field)
    return relations


def term_usages(*, terms: Iterable[Vocabulary]) -> dict[Vocabulary, list[TermUsage]]:
    """For each given term that is in use, where: every model and field that refers to it.

    Any reference counts, whatever the foreign key's ``on_delete``: many-to-many links and history
    rows too, since deleting the term would silently change or break them. Children of a term that
    are among ``terms`` themselves do not count.
    """
    terms = list(terms)
    if not terms:
        return {}
    model = type(terms[0])
    by_pk = {term.pk: term for term in terms}
    found: dict[Vocabulary, list[TermUsage]] = {}
    for relation in _reverse_relations(model):
        related_model: type[Model] = relation.related_model
        field = relation.field
        rows = related_model._base_manager.filter(**{f"{field.name}__in": list(by_pk)})
        if related_model is model:
            rows = rows.exclude(pk__in=list(by_pk))
        counts = rows.values_list(field.name).annotate(n=Count("pk")).order_by()
        for term_pk, count in counts:
            term = by_pk[term_pk]
            examples: tuple[str, ...] = ()
            if related_model._meta.app_label == model._meta.app_label:
                examples = tuple(str(row) for row in rows.filter(**{field.name: term_pk})[:_EXAMPLES])
            found.setdefault(term, []).append(
                TermUsage(
                    model_name=str(related_model._meta.verbose_name_plural),
                    field_name=str(field.verbose_name),
                    count=count,
                    examples=examples,
                )
            )
    return found


def usage_message(usages: dict[Vocabulary, list[TermUsage]]) -> str:
    """One sentence per term in use, saying where it is used, and what to do instead."""
    sentences = [
        gettext("“%(label)s” (%(code)s) is used by %(usages)s.")
        % {"label": term.localized_label, "code": term.code, "usages": "; ".join(str(usage) for usage in used)}
        for term, used in usages.items()
    ]
    # One term or several, never a count: two sentences, not a plural form (a form is chosen by a number).
    if len(usages) == 1:
        advice = gettext(
            "A term in use cannot be deleted: deactivate it instead (it stays on existing records but can no longer "
            "be chosen)."
        )
    else:
        advice = gettext(
            "Terms in use cannot be deleted: deactivate them instead (they stay on existing records but can no "
            "longer be chosen)."
        )
    return " ".join([*sentences, advice])


def country_list() -> list[tuple[str, str]]:
    """Every ISO 3166-1 country as (alpha-2 code, name in the active language), sorted by name."""
    return [(str(country.code), str(country.name)) for country in countries]


def country_resolve(value: str | None) -> str | None:
    """The alpha-2 code of a country given by alpha-2, alpha-3 or numeric code, or by its name in any of the
    site's languages (django-countries' translations), case-insensitively; English first."""
    value = " ".join((value or "").split())
    if not value:
        return None
    code = countries.alpha2(value)
    if code:
        return str(code)
    for language in offered_languages():
        code = countries.by_name(value, language=language)
        if code:
            return str(code)
    return None


# Codes learnt, per model and id. A code never changes once its term exists (the admin shows it read-only,
# loaders key on it) and a term in use cannot be deleted (PROTECT), so what is learnt stays true.
_known_codes: dict[type[Model], dict[int, str]] = {}
process_cache_register("reference.selectors.known_codes", _known_codes.clear)


def term_codes(ids: Mapping[type[Model], Iterable[int | None]]) -> dict[type[Model], dict[int, str]]:
    """The codes of the given terms (of any models with a ``code``, vocabularies or joint operations), by model
    and id: for lists that carry term ids and show codes. Terms not seen before by this process are read in
    one query, however many models; the others cost none.

    Reference data only (no tenant scope): a code names a term the caller has already been shown by id.
    """
    codes = {model: _known_codes.setdefault(model, {}) for model in ids}
    missing = {model: sorted({pk for pk in pks if pk is not None} - codes[model].keys()) for model, pks in ids.items()}
    models = [model for model, pks in missing.items() if pks]
    if models:
        tables = [connection.ops.quote_name(model._meta.db_table) for model in models]
        parts = [
            f"SELECT {index} AS model, id, code FROM {table} WHERE id = ANY(%s)"  # noqa: S608 - names from the models
            for index, table in enumerate(tables)
        ]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), [missing[model] for model in models])
            for index, pk, code in cursor.fetchall():
                codes[models[index]][pk] = code
    return codes


def in_reading_order(terms: Iterable[TermT]) -> list[TermT]:
    """Terms as a list offers them to its reader: in the vocabulary's order, then alphabetically by the label in the
    active language, whatever case it is written in (not by the English label the database sorts by)."""
    return sorted(terms, key=lambda term: (term.sort_order, term.localized_label.casefold(), term.code))
