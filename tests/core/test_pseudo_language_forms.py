"""The main forms, posted with mistakes in the pseudo language (tests/core/pseudo_language.py): the page they
come back as — its error summary, each field's error, the workflow's and the validator's messages — shows only
wrapped strings and data, like the pages of the walk (test_pseudo_language.py).

Each form is posted as a person who may use it would post it in a hurry: a wrong password, a report with its
required fields left out and a quantity and a unit that are not ones, an upload without its file, a wrong code or
password on the account's pages, a review action without the reason it needs, and the administrators' forms
empty. Every post must come back as a form with errors (else the test would check nothing).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.reports.models import Report
from tests.core.pseudo_data import (
    html_of,
    pseudo_language,  # noqa: F401  (fixture)
    stored_data,
    wrap_vocabulary_labels,
)
from tests.core.pseudo_language import unwrapped_text
from tests.core.test_pseudo_language import KNOWN_ELSEWHERE
from tests.core.test_query_counts import partner_pk  # noqa: F401  (fixture)
from tests.helpers import sign_in
from tests.reports.views.forms import entry_post

# The report form with its required fields left out, a quantity that is not a number and a unit no one knows.
BROKEN_REPORT = entry_post(
    national_reference="",
    seizure_date="",
    country_of_seizure="",
    **{"items-0-quantity": "twelve", "items-0-unit": "NOT-A-UNIT", "items-0-commodity_type": ""},
)


# How a page says a form has errors: its summary, a field marked invalid, a field's list of errors.
ERROR_SIGNS = ("error-summary", 'aria-invalid="true"', "errorlist")


def _posts(world: dict[str, Report], partner: int) -> list[tuple[str, str, dict[str, Any]]]:
    """(persona, path, data) of every form posted with mistakes; "anonymous" posts signed out."""
    submitted, approved, draft = world["fr_submitted"], world["fr_approved"], world["fr_draft"]
    # A form posted empty comes back unbound (``request.POST or None``): each posts at least one field.
    return [
        ("anonymous", reverse("accounts:login"), {"username": "alice", "password": "not her password"}),
        ("anonymous", reverse("accounts:password_reset"), {"email": "not an address"}),
        ("alice", reverse("reports:create"), BROKEN_REPORT),
        ("alice", reverse("reports:create"), entry_post(action="submit", national_reference="FR-PSEUDO-1", place="")),
        ("alice", reverse("reports:edit", args=[draft.uuid]), BROKEN_REPORT),
        ("alice", reverse("uploads:new"), {"submit_for_review": "on"}),
        ("alice", reverse("accounts:password_change"), {"old_password": "wrong", "new_password1": "x"}),
        ("alice", reverse("accounts:otp_setup"), {"token": "12"}),
        ("grace", reverse("accounts:token_create"), {"name": "", "expires_in_days": "-3"}),
        ("erin", reverse("reports:return", args=[submitted.uuid]), {"comment": ""}),
        ("erin", reverse("reports:withdraw", args=[approved.uuid]), {"reason": ""}),
        ("erin", reverse("reports:mark_duplicate", args=[submitted.uuid]), {"of": "not a report"}),
        ("cora", reverse("accounts:user_create"), {"email": "not an address"}),
        ("grace", reverse("tenancy:administration_create"), {"name": "", "country": "XX"}),
        ("grace", reverse("exchange:partner_create"), {"endpoint_url": "not a link"}),
        ("grace", reverse("exchange:policy_edit", args=[partner]), {"embargo": "soon"}),
    ]


def test_every_main_form_comes_back_with_its_errors_in_marked_strings_only(
    request: pytest.FixtureRequest,
    pseudo_language: str,  # noqa: F811
    world: dict[str, Report],
    partner_pk: int,  # noqa: F811
    cora: User,
    grace: User,
) -> None:
    wrap_vocabulary_labels()
    data = stored_data()
    found: dict[str, list[str]] = {}
    without_errors = []
    for who, path, posted in _posts(world, partner_pk):
        client = Client()
        if who != "anonymous":
            sign_in(client, request.getfixturevalue(who))
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = pseudo_language
        response = client.post(path, posted, follow=True)
        html = html_of(response)
        if html is None or not any(sign in html for sign in ERROR_SIGNS):
            without_errors.append(f"{who} {path}: {response.status_code}")
            continue
        leftovers = [line for line in unwrapped_text(html, data) if line not in KNOWN_ELSEWHERE]
        if leftovers:
            found[f"{who} POST {path}"] = leftovers
    assert without_errors == [], f"posts that did not come back as a form with errors: {without_errors}"
    assert not found, "\n".join(f"{where}: {leftovers}" for where, leftovers in sorted(found.items()))
