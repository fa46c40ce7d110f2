"""Every page of the isolation walk, rendered in a pseudo language in which every marked string comes out
wrapped as ``⟦…⟧``, shows no text that is neither wrapped nor data: nothing a person reads was left unmarked.

The walk is the query-count walk (tests/core/test_query_counts.py): every page without arguments, a report's
pages, a partner's pages and a job's, as one persona of each role, and the pages without arguments signed out.
Vocabulary terms get a wrapped pseudo label too, so a page that shows a term's English ``label`` instead of its
``localized_label`` fails as well. Data is what the database holds outside the vocabularies (names, references,
places), numbers, dates, codes and the languages' own names in the switcher.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client
from django.utils import translation

from apps.audit.models import AuditEvent
from apps.reference import attribute_texts
from apps.reference.models import VOCABULARY_MODELS, CommodityType, HSCode, Unit
from apps.reports.models import Report
from tests.core.pseudo_language import OPEN, PSEUDO, build_pseudo_catalogue, unwrapped_text
from tests.core.test_query_counts import _walk, job_uuid, partner_pk, upload_uuid  # noqa: F401  (fixtures)
from tests.reports.views.test_csp_headers import ONE_PER_ROLE, paths_without_arguments


@pytest.fixture
def pseudo_language(settings: Any, tmp_path: Path) -> Iterator[str]:
    settings.LOCALE_PATHS = [build_pseudo_catalogue(tmp_path), *settings.LOCALE_PATHS]
    settings.LANGUAGES = [*settings.LANGUAGES, (PSEUDO, "Pseudo")]
    yield PSEUDO
    translation.activate(settings.LANGUAGE_CODE)


def _wrap_vocabulary_labels() -> None:
    for model in VOCABULARY_MODELS:
        manager: Any = model.objects
        terms = list(manager.all())
        for term in terms:
            term.translations = {**term.translations, PSEUDO: f"{OPEN}{term.label}⟧"}
        manager.bulk_update(terms, ["translations"], batch_size=500)


def _strings(value: Any) -> Iterator[str]:
    """The strings of a stored value, JSON documents (audit details, snapshots) walked through."""
    if isinstance(value, str):
        yield value.strip()
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield str(key)
            yield from _strings(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _strings(inner)


def _stored_data(*, vocabularies: bool) -> set[str]:
    """Every text value the database holds (what users and fixtures typed, what the system recorded); the
    vocabularies' own labels only with ``vocabularies`` (the admin edits them as they are stored)."""
    values: set[str] = set()
    for model in apps.get_models():
        # HS descriptions are shown in English on purpose (the pages say so): data.
        if issubclass(model, tuple(VOCABULARY_MODELS)) and not vocabularies and model is not HSCode:
            continue
        text_fields = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField | models.JSONField)
        ]
        if not text_fields:
            continue
        for row in model._default_manager.values_list(*text_fields):
            values.update(text for text in _strings(list(row)) if len(text) > 1)
    values.update(_unshipped_attribute_texts())
    if vocabularies:
        # Unit symbols ("g", "t", "l") are data however short: the admin's unit list shows them as stored.
        values.update(symbol for symbol in Unit.objects.values_list("symbol", flat=True) if symbol)
    values.update(name for _code, name in settings.LANGUAGES)
    return values


def _audit_data() -> set[str]:
    """What the audit log records, as it is now: action codes, object identifiers, detail keys and values."""
    values: set[str] = set()
    fields = ("action", "object_type", "object_id", "object_uuid", "detail", "request_id")
    for row in AuditEvent.objects.values_list(*fields):
        stored = [str(value) if isinstance(value, uuid.UUID) else value for value in row]
        values.update(text for text in _strings(stored) if len(text) > 1)
    return values


def _unshipped_attribute_texts() -> set[str]:
    """The attribute titles and enum values of commodity types' schemas that no shipped schema has: typed by an
    administrator (here: the test's own type), shown as stored like a term without a translation."""
    texts = set()
    for schema in CommodityType.objects.values_list("attributes_schema", flat=True):
        for name, rule in (schema or {}).get("properties", {}).items():
            if rule.get("title") not in attribute_texts.TITLES and name not in attribute_texts.PROPERTY_NAMES:
                texts.add(attribute_texts.attribute_title(name, rule))
            texts.update(
                attribute_texts.enum_value_label(str(value))
                for value in rule.get("enum", [])
                if str(value) not in attribute_texts.ENUM_VALUES
            )
    return texts


def _html(response: Any) -> str | None:
    if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
        return None
    return response.content.decode()


def test_the_pseudo_language_wraps_what_is_marked_and_finds_what_is_not(pseudo_language: str, db: None) -> None:
    data = {"alice"}
    page = "<title>⟦Sign in⟧ · RILO</title><h1>⟦Report ⟦FR-1⟧ saved⟧</h1><p>Forgotten</p><td>alice</td><td>12,5</td>"
    assert unwrapped_text(page, data) == ["Forgotten"]
    with translation.override(pseudo_language):
        assert translation.gettext("Sign in") == "⟦Sign in⟧"
        assert translation.gettext("This field is required.") == "⟦This field is required.⟧"  # Django's own


def test_every_page_of_the_walk_shows_only_marked_strings_and_data(
    request: pytest.FixtureRequest,
    pseudo_language: str,
    world: dict[str, Report],
    partner_pk: int,  # noqa: F811
    issue_token: Callable[..., str],
    job_uuid: Any,  # noqa: F811
    upload_uuid: Any,  # noqa: F811
) -> None:
    _wrap_vocabulary_labels()
    personas = {name: request.getfixturevalue(name) for name in ONE_PER_ROLE}
    tokens = {name: issue_token(persona, "read") for name, persona in personas.items()}
    data = _stored_data(vocabularies=False)
    admin_data = _stored_data(vocabularies=True)
    found: dict[str, list[str]] = {}
    pages = 0

    def check(client: Client, who: str, path: str) -> None:
        nonlocal pages
        html = _html(client.get(path))
        if html is None:
            return
        pages += 1
        if path.startswith("/admin/"):
            shown = admin_data
        elif path.startswith("/audit/"):
            shown = data | _audit_data()  # the walk itself records events (reads of personal data, downloads)
        else:
            shown = data
        leftovers = unwrapped_text(html, shown)
        if leftovers:
            found[f"{who} {path}"] = leftovers

    anonymous = Client()
    anonymous.cookies[settings.LANGUAGE_COOKIE_NAME] = pseudo_language
    for path in paths_without_arguments():
        if not path.startswith("/api/"):
            check(anonymous, "anonymous", path)
    for name, persona in personas.items():
        for client, path in _walk(persona, world, partner_pk, tokens[name], job_uuid, upload_uuid):
            if not path.startswith("/api/"):
                client.cookies[settings.LANGUAGE_COOKIE_NAME] = pseudo_language
                check(client, name, path)
    assert pages > 50, pages  # the walk reached real pages
    assert not found, "\n".join(f"{where}: {leftovers}" for where, leftovers in sorted(found.items()))
