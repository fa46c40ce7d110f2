"""What the pages rendered in the pseudo language (tests/core/pseudo_language.py) may show unwrapped: data.

Data is what people typed (or the fixtures, standing in for them) and partners or files sent: names,
references, places, identifiers, descriptions, comments (``TYPED``), the languages' own names in the switcher
and the HS descriptions, shown in English on purpose (the pages say so). A field with ``choices`` is never data:
its code must be shown through its translated label. Nor is text the system wrote (a stored message, an
error): a page must show it in the reader's language. The admin lists rows as they are stored, so for its
pages every stored text without choices is data, the vocabularies' own labels included.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import translation

from apps.accounts.models import ApiToken
from apps.audit.models import AuditEvent
from apps.reference import attribute_texts
from apps.reference.models import VOCABULARY_MODELS, CommodityType, HSCode, Unit
from tests.core.pseudo_language import OPEN, PSEUDO, build_pseudo_catalogue

# Django's admin writes these image descriptions untranslated (its boolean icons, its search icon).
DJANGO_ADMIN_UNTRANSLATED = {"True", "False", "None", "Search"}

# Fields people typed (their history included: "reports.HistoricalReport" has its report's).
TYPED: dict[str, tuple[str, ...]] = {
    "tenancy.Region": ("code", "name", "contact_email"),
    "tenancy.Administration": ("code", "name"),
    "accounts.User": ("username", "first_name", "last_name", "email", "phone"),
    "accounts.ApiToken": ("name", "prefix"),
    "otp_totp.TOTPDevice": ("name",),
    "reports.Operation": ("code", "name"),
    "reports.Report": ("national_reference", "customs_office", "place", "modus_operandi"),
    "reports.ReportItem": ("description", "brand", "concealment_detail", "attributes"),
    "reports.RouteCountry": ("place", "unlocode"),
    "reports.Conveyance": ("identifier",),
    "reports.Party": (
        "family_name",
        "given_names",
        "id_document_number",
        "company_name",
        "registration_number",
        "eori",
    ),
    "reports.Attachment": ("original_name", "description"),
    "reports.ReviewEvent": ("comment",),
    "exchange.PartnerSystem": ("name", "endpoint_url", "contact_email", "peer_identity", "state_reason"),
    "exchange.SharingPolicy": ("note",),
    "exchange.ReportProvenance": ("source_reference",),
    # A file's name, and its sheets', columns' and cells' as the file has them.
    "uploads.Upload": ("original_name", "encoding", "detected_encoding", "separator", "preview"),
    "uploads.UploadProblem": ("sheet", "column", "national_reference"),
    "jobs.Job": ("download_name",),
}


@pytest.fixture
def pseudo_language(settings: Any, tmp_path: Path) -> Iterator[str]:
    """The pseudo language, installed as a test-only language (activate it with the language cookie)."""
    settings.LOCALE_PATHS = [build_pseudo_catalogue(tmp_path), *settings.LOCALE_PATHS]
    settings.LANGUAGES = [*settings.LANGUAGES, (PSEUDO, "Pseudo")]
    yield PSEUDO
    translation.activate(settings.LANGUAGE_CODE)


def wrap_vocabulary_labels() -> None:
    """Give every vocabulary term a wrapped pseudo label: a page showing a term's English ``label`` instead
    of its ``localized_label`` is found too."""
    for model in VOCABULARY_MODELS:
        manager: Any = model.objects
        terms = list(manager.all())
        for term in terms:
            term.translations = {**term.translations, PSEUDO: f"{OPEN}{term.label}⟧"}
        manager.bulk_update(terms, ["translations"], batch_size=500)


def _strings(value: Any, *, keys: bool = True) -> Iterator[str]:
    """The strings of a stored value, JSON documents walked through (their values, and their keys with
    ``keys``: a typed document's keys are field names, not something typed)."""
    if isinstance(value, str):
        yield value.strip()
    elif isinstance(value, dict):
        for key, inner in value.items():
            if keys:
                yield str(key)
            yield from _strings(inner, keys=keys)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _strings(inner, keys=keys)


def _typed_fields(model: type[models.Model]) -> list[str]:
    label = model._meta.label
    history_of = getattr(model, "instance_type", None)  # django-simple-history's historical models
    if history_of is not None and label not in TYPED:
        label = history_of._meta.label
    return list(TYPED.get(label, ()))  # text fields: their names are their columns


def _stored_fields(model: type[models.Model]) -> list[str]:
    """Every text field without choices (the admin's view of a row)."""
    return [
        field.attname
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField | models.JSONField) and not field.choices
    ]


def stored_data(*, admin: bool = False) -> set[str]:
    """The text the pages may show as stored: ``TYPED``'s fields, or for the admin (``admin``) every text
    field without choices of every model, the vocabularies' labels and unit symbols included."""
    values: set[str] = set()
    for model in apps.get_models():
        fields = _stored_fields(model) if admin else _typed_fields(model)
        if not fields:
            continue
        for row in model._default_manager.values_list(*fields):
            values.update(text for text in _strings(list(row), keys=admin) if len(text) > 1)
    # The vocabularies' codes, stable and shown beside a term's label where a code is asked for ("Drugs (drugs)").
    for vocabulary in VOCABULARY_MODELS:
        values.update(vocabulary._default_manager.values_list("code", flat=True))
    # A token as its list shows it: the plaintext tag and the prefix ("rilo_5odabdmi").
    values.update(f"{ApiToken.PLAINTEXT_TAG}_{prefix}" for prefix in ApiToken.objects.values_list("prefix", flat=True))
    if admin:
        # Unit symbols ("g", "t", "l") are data however short: the admin's unit list shows them as stored.
        values.update(symbol for symbol in Unit.objects.values_list("symbol", flat=True) if symbol)
        values.update(DJANGO_ADMIN_UNTRANSLATED)
    else:
        # HS descriptions are shown in English on purpose (the pages say so).
        values.update(HSCode.objects.values_list("label", flat=True))
        values.update(_unshipped_attribute_texts())
    values.update(name for _code, name in settings.LANGUAGES)
    return values


def audit_data() -> set[str]:
    """What the audit log records, as the audit page shows it: action codes, object identifiers, detail keys
    and values (the walk itself records events: reads of personal data, downloads)."""
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


def page_data(path: str) -> set[str]:
    """What the page at ``path`` may show unwrapped."""
    if path.startswith("/admin/"):
        return stored_data(admin=True)
    if path.startswith("/audit/"):
        return stored_data() | audit_data()
    return stored_data()


def html_of(response: Any) -> str | None:
    """The page of a 200 (or a form re-rendered with its errors: 400, 409, 422) HTML response."""
    if response.status_code not in (200, 400, 409, 422):
        return None
    if not response.get("Content-Type", "").startswith("text/html"):
        return None
    return str(response.content.decode())
