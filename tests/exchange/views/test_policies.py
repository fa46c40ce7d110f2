"""Sharing policies in the UI: versioned, default deny, personal fields refused, a dry run before saving."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core.exceptions import PermissionDenied
from apps.exchange.dryrun import policy_dry_run
from apps.exchange.forms import PolicyForm
from apps.exchange.models import PartnerSystem, SharingPolicy
from apps.exchange.services import partner_policy_create
from apps.tenancy.models import Administration
from tests.builders import approve, build_report, cigarettes, cocaine, policy_version, vocabulary

pytestmark = pytest.mark.django_db
SignedIn = Callable[..., Client]

FIELDS = [
    "report.kind",
    "report.country_of_seizure",
    "report.seizure_date",
    "items.commodity_category",
    "items.quantity",
]


def first_version(partner: PartnerSystem) -> SharingPolicy:
    vocabulary()
    return policy_version(
        partner=partner,
        regions=["*"],
        administrations=["*"],
        commodity_categories=["tobacco"],
        report_kinds=["*"],
        fields=FIELDS,
    )


def post_data(policy: SharingPolicy | None, **changes: Any) -> dict[str, Any]:
    """The policy form as a browser posts it, starting from ``policy``'s values."""
    initial = PolicyForm.initial_from(policy)
    data: dict[str, Any] = {}
    for name, value in initial.items():
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def reports(france: Administration, kazakhstan: Administration) -> dict[str, Any]:
    """Approved reports of France (seen by grace) and one of Kazakhstan (not seen by grace)."""
    made = {
        "big": build_report(by=france, reference="FR-BIG", items=[cigarettes(200_000)]),
        "cocaine": build_report(by=france, reference="FR-COKE", items=[cocaine(12)]),
        "small": build_report(by=france, reference="FR-SMALL", items=[cigarettes(50_000)]),
        "kazakh": build_report(by=kazakhstan, reference="KZ-1", items=[cocaine(3)]),
    }
    for report in made.values():
        approve(report)
    return made


PROPOSAL = {
    "commodity_categories": ["tobacco", "drugs"],
    "thresholds": "cigarettes >= 100000 sticks",
    "fields_report": ["report.kind", "report.country_of_seizure", "report.seizure_date", "report.place"],
    "generalise__report__seizure_date": "month",
}


def test_the_dry_run_says_what_would_newly_be_shared_stop_being_shared_or_change_fields(
    grace: User, we_partner: PartnerSystem, reports: dict[str, Any]
) -> None:
    current = first_version(we_partner)
    form = PolicyForm(post_data(current, **PROPOSAL), partner=we_partner, actor=grace)
    assert form.is_valid(), form.errors
    result = policy_dry_run(actor=grace, partner=we_partner, spec=form.spec())

    assert (result.current_version, result.proposed_version, result.considered) == (1, 2, 3)  # KZ-1 not grace's
    assert [c.national_reference for c in result.newly_shared] == ["FR-COKE"]
    assert result.newly_shared[0].reason == "commodity category drugs not in policy v1"
    assert [c.national_reference for c in result.no_longer_shared] == ["FR-SMALL"]
    assert result.no_longer_shared[0].reason == "below threshold 100000 sticks for cigarettes (50000 sticks)"
    assert [c.national_reference for c in result.fields_changed] == ["FR-BIG"]
    assert result.fields_changed[0].changes == ["report.place: added", "report.seizure_date: changed (generalisation)"]
    assert "commodity categories: tobacco → tobacco, drugs" in result.settings_changes
    assert "fields added: report.place" in result.settings_changes
    assert SharingPolicy.objects.filter(partner=we_partner).count() == 1  # nothing saved


def test_the_save_button_is_on_the_dry_run_page_and_saves_the_new_version(
    signed_in: SignedIn, grace: User, we_partner: PartnerSystem, reports: dict[str, Any]
) -> None:
    current = first_version(we_partner)
    client = signed_in(grace)
    url = reverse("exchange:policy_edit", args=[we_partner.pk])
    form_page = client.get(url).content.decode()
    assert "Show the dry run" in form_page and "Save version" not in form_page

    dry_run = client.post(url, {**post_data(current, **PROPOSAL), "note": "Drugs desk asked", "action": "preview"})
    page = dry_run.content.decode()
    assert "Would newly be shared (1)" in page and "FR-COKE" in page
    assert "Would stop being shared (1)" in page and "FR-SMALL" in page
    assert "Would be shared with different fields (1)" in page and "report.place: added" in page
    assert "in the last 90 days" in page and "at most 500, newest first" in page
    assert 'name="action" value="save"' in page
    assert SharingPolicy.objects.filter(partner=we_partner).count() == 1

    # The dry-run page carries the proposal unchanged: going back to the form loses nothing.
    carried = dry_run.context["proposal"]
    back = client.post(url, {**_as_dict(carried), "action": "edit"})
    assert back.context["form"]["thresholds"].value() == "cigarettes >= 100000 sticks"
    assert back.context["form"]["note"].value() == "Drugs desk asked"

    saved = client.post(url, {**_as_dict(carried), "action": "save"})
    assert saved.status_code == 302
    policy = SharingPolicy.objects.get(partner=we_partner, version=2)
    assert policy.commodity_categories == ["tobacco", "drugs"]
    assert policy.thresholds == [{"commodity": "cigarettes", "min": "100000", "dimension": "sticks"}]
    assert policy.generalisations == {"report.seizure_date": "month"}
    assert policy.note == "Drugs desk asked" and policy.created_by == grace
    assert "report.place" in policy.fields


def _as_dict(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return {name: values[0] if len(values) == 1 else values for name, values in data.items()}


def test_a_non_personal_policy_cannot_keep_a_personal_field_and_the_form_names_it(
    signed_in: SignedIn, grace: User, we_partner: PartnerSystem
) -> None:
    current = first_version(we_partner)
    response = signed_in(grace).post(
        reverse("exchange:policy_edit", args=[we_partner.pk]),
        {**post_data(current), "fields_parties": ["parties.role", "parties.family_name"], "action": "preview"},
    )
    form = response.context["form"]
    assert form.errors["fields_parties"] == [
        "parties.family_name is personal data; a policy without personal data cannot keep it."
    ]
    page = response.content.decode()
    assert "There is a problem" in page and "parties.family_name is personal data" in page
    assert form["fields_parties"].value() == ["parties.role", "parties.family_name"]  # kept as ticked
    assert SharingPolicy.objects.filter(partner=we_partner).count() == 1


def test_a_partner_not_allowed_personal_data_cannot_get_a_personal_version(
    signed_in: SignedIn, grace: User, we_partner: PartnerSystem
) -> None:
    response = signed_in(grace).post(
        reverse("exchange:policy_edit", args=[we_partner.pk]),
        {**post_data(None), "personal_data": "on", "action": "preview"},
    )
    assert response.context["form"].errors["personal_data"] == [
        "WCO CEN may not receive personal data; this policy cannot include it."
    ]


def test_bad_thresholds_and_unknown_codes_are_reported_line_by_line(
    signed_in: SignedIn, grace: User, we_partner: PartnerSystem
) -> None:
    vocabulary()
    url = reverse("exchange:policy_edit", args=[we_partner.pk])
    response = signed_in(grace).post(
        url, {**post_data(None), "thresholds": "cigarettes >= lots\nwhisky >= 10 litres", "action": "preview"}
    )
    assert response.context["form"].errors["thresholds"] == [
        "Line 1 (“cigarettes >= lots”): write it as: cigarettes >= 100000 sticks."
    ]
    response = signed_in(grace).post(url, {**post_data(None), "thresholds": "whisky >= 10 litres", "action": "preview"})
    errors = response.context["form"].errors["thresholds"]
    assert "Threshold 1: unknown commodity category or type 'whisky'." in errors
    assert any(error.startswith("Threshold 1: the dimension must be one of") for error in errors)


def test_saving_over_a_version_saved_meanwhile_is_refused(
    signed_in: SignedIn, grace: User, we_partner: PartnerSystem
) -> None:
    current = first_version(we_partner)
    data = {**post_data(current, **PROPOSAL), "action": "save"}
    policy_version(partner=we_partner, commodity_categories=["drugs"], fields=["report.kind"])
    response = signed_in(grace).post(reverse("exchange:policy_edit", args=[we_partner.pk]), data)
    assert response.status_code == 200
    assert "changed while you were reviewing it (version 1 then, version 2 now)" in response.content.decode()
    assert SharingPolicy.objects.filter(partner=we_partner).count() == 2


def test_the_history_lists_every_version_newest_first(
    signed_in: SignedIn, erin: User, we_partner: PartnerSystem
) -> None:
    first_version(we_partner)
    policy_version(partner=we_partner, commodity_categories=["drugs"], fields=["report.kind"])
    page = signed_in(erin).get(reverse("exchange:policy_list", args=[we_partner.pk])).content.decode()
    assert page.index("Version 2 (current)") < page.index("Version 1")
    assert "Propose a change" not in page  # analysts look, administrators act


def test_a_policy_edit_by_an_administrator_without_the_personal_data_capability_keeps_personal_data(
    grace: User, we_partner: PartnerSystem
) -> None:
    PartnerSystem.objects.filter(pk=we_partner.pk).update(personal_data_allowed=True)
    we_partner.refresh_from_db()
    vocabulary()
    current = policy_version(
        partner=we_partner,
        personal_data=True,
        regions=["*"],
        administrations=["*"],
        commodity_categories=["*"],
        report_kinds=["*"],
        fields=FIELDS,
    )
    Group.objects.get(name=Role.RILO_ADMINISTRATOR).permissions.remove(
        Permission.objects.get(codename="allow_personal_data_partnersystem")
    )
    grace = User.objects.get(pk=grace.pk)  # without the cached permissions

    form = PolicyForm(post_data(current, note="Only the kind"), partner=we_partner, actor=grace)
    assert "personal_data" not in form.fields and form.is_valid(), form.errors
    saved = partner_policy_create(actor=grace, partner=we_partner, spec=form.spec(), base_version=current.version)

    assert saved.version == 2 and saved.personal_data is True
    with pytest.raises(PermissionDenied):
        partner_policy_create(
            actor=grace, partner=we_partner, spec={**form.spec(), "personal_data": False}, base_version=saved.version
        )
    assert SharingPolicy.objects.filter(partner=we_partner).count() == 2
