"""A term's names in the admin: its translations are labels by translated language, no name of a term is another
term's code or label (uploads and the API accept any of them), and every change of them is audited."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import translation

from apps.audit.models import AuditEvent
from apps.reference.models import DetectionMethod

pytestmark = pytest.mark.django_db


@pytest.fixture
def grace_client(grace, signed_in) -> Client:
    assert not grace.is_staff  # a RILO administrator, not Django staff
    return signed_in(grace)


@pytest.fixture
def lamp() -> DetectionMethod:
    return DetectionMethod.objects.create(
        code="UV_LAMP", label="Ultraviolet lamp", translations={"fr": "Lampe ultraviolette", "ru": "УФ-лампа"}
    )


@pytest.fixture
def swab() -> DetectionMethod:
    return DetectionMethod.objects.create(
        code="TRACE_SWAB", label="Trace swab", translations={"es": "Hisopo de trazas"}
    )


def change_url(term: DetectionMethod) -> str:
    return reverse("admin:reference_detectionmethod_change", args=[term.pk])


def post(client: Client, term: DetectionMethod, *, label: str | None = None, translations: Any) -> Any:
    data = {
        "label": term.label if label is None else label,
        "translations": translations if isinstance(translations, str) else json.dumps(translations),
        "parent": "",
        "active": "on",
        "sort_order": term.sort_order,
        "cen_code": "",
        "cis_code": "",
    }
    return client.post(change_url(term), data)


def form_errors(response: Any) -> list[str]:
    assert response.status_code == 200, "the form was expected to be refused"
    form = response.context["adminform"].form
    return [str(error) for errors in form.errors.values() for error in errors]


@pytest.mark.parametrize(
    "translations",
    [["Lampe"], '"Lampe"', "null", "42"],
    ids=["list", "text", "null-is-blank-below", "number"],
)
def test_translations_that_are_not_labels_by_language_are_refused(grace_client, lamp, translations):
    response = post(grace_client, lamp, translations=translations)
    lamp.refresh_from_db()
    if translations == "null":  # no translations at all: stored as none, not refused
        assert response.status_code == 302 and lamp.translations == {}
        return
    assert form_errors(response) == ['Write the translations as labels by language, such as {"fr": "…", "es": "…"}.']
    assert lamp.translations == {"fr": "Lampe ultraviolette", "ru": "УФ-лампа"}


def test_blank_translations_are_stored_as_none(grace_client, lamp):
    assert post(grace_client, lamp, translations="").status_code == 302
    lamp.refresh_from_db()
    assert lamp.translations == {}


def test_each_translation_must_be_a_text_in_a_translated_language(grace_client, lamp):
    response = post(grace_client, lamp, translations={"fr": "", "de": "UV-Lampe", "es": 3})
    assert form_errors(response) == [
        "The label in “fr” must be a text, not empty.",
        "“de” is not a language to translate into; use fr, es, ru.",
        "The label in “es” must be a text, not empty.",
    ]


def test_the_refusal_is_in_the_administrators_language(grace, grace_client, lamp):
    grace.language = "fr"
    grace.save()
    response = post(grace_client, lamp, translations=["Lampe"])
    assert form_errors(response) == [
        'Écrivez les traductions comme des libellés par langue, par exemple {"fr": "…", "es": "…"}.'
    ]


def test_a_stored_translation_that_is_not_an_object_does_not_break_the_pages(lamp):
    DetectionMethod.objects.filter(pk=lamp.pk).update(translations=["broken"])
    lamp.refresh_from_db()
    with translation.override("fr"):
        assert str(lamp) == "Ultraviolet lamp"


@pytest.mark.parametrize(
    ("label", "translations", "clash"),
    [
        ("trace_swab", {}, "“trace_swab” already names the term TRACE_SWAB: give this term a name of its own."),
        ("Ultraviolet lamp", {"fr": "trace SWAB"}, "“trace SWAB” already names the term TRACE_SWAB"),
        ("Ultraviolet lamp", {"ru": "Hisopo de trazas"}, "“Hisopo de trazas” already names the term TRACE_SWAB"),
    ],
    ids=["label-is-a-code", "translation-is-a-label", "translation-is-another-language-label"],
)
def test_a_name_of_another_term_is_refused(grace_client, lamp, swab, label, translations, clash):
    response = post(grace_client, lamp, label=label, translations=translations)
    [error] = form_errors(response)
    assert error.startswith(clash)
    lamp.refresh_from_db()
    assert lamp.label == "Ultraviolet lamp"


def test_a_term_may_keep_its_own_names_in_several_languages(grace_client, lamp):
    response = post(grace_client, lamp, translations={"fr": "Ultraviolet lamp", "ru": "УФ-лампа"})
    assert response.status_code == 302


def test_a_change_of_names_is_audited_with_the_values_before_and_after(grace, grace_client, lamp):
    response = post(grace_client, lamp, label="UV lamp", translations={"fr": "  Lampe  UV ", "ru": "УФ-лампа"})
    assert response.status_code == 302
    [event] = AuditEvent.objects.filter(action="reference.term_names_change")
    assert event.actor == grace and event.object_id == str(lamp.pk)
    assert event.detail == {
        "model": "detectionmethod",
        "code": "UV_LAMP",
        "before": {"label": "Ultraviolet lamp", "translations": {"fr": "Lampe ultraviolette", "ru": "УФ-лампа"}},
        "after": {"label": "UV lamp", "translations": {"fr": "Lampe UV", "ru": "УФ-лампа"}},
    }


def test_a_save_that_changes_no_name_records_nothing(grace_client, lamp):
    response = post(grace_client, lamp, translations={"ru": "УФ-лампа", "fr": "Lampe ultraviolette"})
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="reference.term_names_change").exists()


def test_activating_terms_is_told_in_the_administrators_language(grace, grace_client, lamp, swab):
    grace.language = "ru"
    grace.save()
    DetectionMethod.objects.filter(pk__in=[lamp.pk, swab.pk]).update(active=False)
    response = grace_client.post(
        reverse("admin:reference_detectionmethod_changelist"),
        {"action": "activate_selected", "_selected_action": [lamp.pk, swab.pk]},
    )
    assert response.status_code == 302
    [message] = [str(message) for message in get_messages(response.wsgi_request)]
    assert message.startswith("Активировано (") and message.endswith("): 2 — снова предлагаются для новых записей.")
