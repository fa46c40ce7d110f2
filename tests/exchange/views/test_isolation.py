"""Nobody sees or changes partners, deliveries or timelines that are not theirs; every form needs its CSRF token.

RILO staff of another region, officers, coordinators, auditors and partner-system accounts get 404
on a partner's pages and on a report's timeline; nothing changes when they post.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.core.exceptions import NotFound
from apps.exchange.choices import DeliveryState, PartnerState
from apps.exchange.models import CrossRegionAgreement, Delivery, OutboxEvent, PartnerSystem, SharingPolicy
from apps.exchange.operations import delivery_get, partner_deliveries
from apps.exchange.selectors import partner_policies
from apps.exchange.services import agreement_request
from apps.tenancy.models import Administration, Region
from tests.builders import approve, build_report, vocabulary, webhook_partner
from tests.exchange.conftest import URL, form_data

pytestmark = pytest.mark.django_db
SignedIn = Callable[..., Client]
OUTSIDERS = ["farid", "olga", "alice", "cora", "hugo", "ivan"]


@pytest.fixture
def world(region_we: Region, region_cis: Region, france: Administration) -> dict[str, Any]:
    """A partner of RILO Western Europe with a policy and a dead delivery of a French report."""
    vocabulary()
    partner, _, _ = webhook_partner("WE partner", URL)
    partner.region = region_we
    partner.save(update_fields=["region"])
    event = approve(build_report(by=france, reference="FR-ISO-1"))
    from apps.exchange.services import event_fan_out

    event_fan_out(event_id=event.pk)
    delivery = Delivery.objects.get(event=event, partner=partner)
    Delivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.DEAD, reason="given up")
    return {"partner": partner, "delivery": delivery, "report_uuid": event.report_uuid, "region_cis": region_cis}


def pages(world: dict[str, Any]) -> list[str]:
    pk = world["partner"].pk
    return [
        reverse("exchange:partner_detail", args=[pk]),
        reverse("exchange:partner_edit", args=[pk]),
        reverse("exchange:policy_list", args=[pk]),
        reverse("exchange:policy_edit", args=[pk]),
        reverse("exchange:delivery_list", args=[pk]),
        reverse("exchange:timeline", args=[world["report_uuid"]]),
    ]


def posts(world: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    pk = world["partner"].pk
    return [
        (reverse("exchange:agreement_request", args=[pk]), {"region": str(world["region_cis"].pk)}),
        (
            reverse("exchange:partner_edit", args=[pk]),
            {**form_data(name="Hijacked"), "state": "active", "auth": "keep"},
        ),
        (reverse("exchange:partner_state", args=[pk]), {"state": "disabled", "reason": "hijack"}),
        (reverse("exchange:partner_rotate_secret", args=[pk]), {"overlap_hours": "0"}),
        (reverse("exchange:partner_token", args=[pk]), {"name": "x", "scopes": ["read"], "days": "30"}),
        (
            reverse("exchange:policy_edit", args=[pk]),
            {"action": "save", "base_version": "1", "regions": ["*"], "embargo_hours": "0"},
        ),
        (reverse("exchange:delivery_replay", args=[world["delivery"].pk]), {}),
        (reverse("exchange:partner_replay_since", args=[pk]), {"since": "2020-01-01T00:00"}),
    ]


def unchanged(world: dict[str, Any]) -> None:
    partner = PartnerSystem.objects.get(pk=world["partner"].pk)
    assert (partner.name, partner.state) == ("WE partner", PartnerState.ACTIVE)
    assert partner.signing_secrets() == world["partner"].signing_secrets()
    assert SharingPolicy.objects.filter(partner=partner).count() == 1
    assert Delivery.objects.get(pk=world["delivery"].pk).state == DeliveryState.DEAD
    assert not CrossRegionAgreement.objects.filter(partner=partner).exists()


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outsiders_get_404_on_a_partners_pages_and_a_reports_timeline(
    request: pytest.FixtureRequest, signed_in: SignedIn, world: dict[str, Any], persona: str
) -> None:
    user: User = request.getfixturevalue(persona)
    client = signed_in(user)
    for url in pages(world):
        assert client.get(url).status_code == 404, (persona, url)


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outsiders_change_nothing_by_posting(
    request: pytest.FixtureRequest, signed_in: SignedIn, world: dict[str, Any], persona: str
) -> None:
    user: User = request.getfixturevalue(persona)
    client = signed_in(user)
    for url, data in posts(world):
        assert client.post(url, data).status_code == 404, (persona, url)
    unchanged(world)


@pytest.mark.parametrize("persona", ["alice", "cora", "hugo", "ivan"])
def test_people_outside_rilo_exchange_get_404_on_the_exchange_lists(
    request: pytest.FixtureRequest, signed_in: SignedIn, persona: str
) -> None:
    client = signed_in(request.getfixturevalue(persona))
    for name in (
        "exchange:partner_list",
        "exchange:partner_create",
        "exchange:timeline_search",
        "exchange:agreement_list",
    ):
        assert client.get(reverse(name)).status_code == 404, (persona, name)


def test_another_rilos_administrator_cannot_create_for_this_rilo_nor_see_its_partners(
    signed_in: SignedIn, olga: User, world: dict[str, Any], region_cis: Region
) -> None:
    client = signed_in(olga)
    assert "WE partner" not in client.get(reverse("exchange:partner_list")).content.decode()
    client.post(reverse("exchange:partner_create"), form_data(name="Olga's partner"))
    assert PartnerSystem.objects.get(name="Olga's partner").region == region_cis


def test_an_analyst_of_the_region_may_look_but_not_act(signed_in: SignedIn, erin: User, world: dict[str, Any]) -> None:
    client = signed_in(erin)
    for url in pages(world):
        expected = 403 if url.endswith(("/edit/", "/policy/new/")) else 200
        assert client.get(url).status_code == expected, url
    for url, data in posts(world):
        assert client.post(url, data).status_code == 403, url
    unchanged(world)


def test_every_form_is_refused_without_its_csrf_token(signed_in: SignedIn, grace: User, world: dict[str, Any]) -> None:
    client = signed_in(grace, enforce_csrf_checks=True)
    for url, data in [*posts(world), (reverse("exchange:partner_create"), form_data(name="Forged"))]:
        assert client.post(url, data).status_code == 403, url
    unchanged(world)
    assert not PartnerSystem.objects.filter(name="Forged").exists()


def test_every_form_on_the_pages_carries_a_csrf_token(signed_in: SignedIn, grace: User, world: dict[str, Any]) -> None:
    client = signed_in(grace)
    for url in [*pages(world), reverse("exchange:partner_create")]:
        page = client.get(url).content.decode()
        forms = page.count('method="post"')
        assert forms >= 1 or url.endswith("/policy/"), url
        assert page.count('name="csrfmiddlewaretoken"') >= forms, url


@pytest.fixture
def agreement(world: dict[str, Any], grace: User) -> CrossRegionAgreement:
    """The WE partner asks RILO CIS for its reports: only CIS administrators decide."""
    return agreement_request(actor=grace, partner=world["partner"], region=world["region_cis"])


@pytest.mark.parametrize(
    ("persona", "status"),
    [("alice", 404), ("cora", 404), ("hugo", 404), ("ivan", 404), ("tariq", 404), ("grace", 403), ("farid", 403)],
)
def test_nobody_but_the_other_regions_administrators_decides_on_an_agreement(
    request: pytest.FixtureRequest, signed_in: SignedIn, agreement: CrossRegionAgreement, persona: str, status: int
) -> None:
    if persona == "tariq":
        from tests.factories import RegionFactory, UserFactory

        user = UserFactory.create(
            username="tariq", role="rilo_administrator", region=RegionFactory.create(code="rilo-esa", name="ESA")
        )
    else:
        user = request.getfixturevalue(persona)
    client = signed_in(user)
    for decision in ("approve", "refuse", "revoke"):
        url = reverse("exchange:agreement_decide", args=[agreement.pk, decision])
        assert client.post(url).status_code == status, (persona, decision)
        assert client.get(url).status_code in (404, 405), (persona, decision)  # POST only
    agreement.refresh_from_db()
    assert agreement.status == "requested"
    page = client.get(reverse("exchange:agreement_list"))
    if persona in ("grace", "farid"):  # the partner's region, and the region asked: both see it
        assert page.status_code == 200 and "WE partner" in page.content.decode()
    elif persona == "tariq":
        assert page.status_code == 200 and "WE partner" not in page.content.decode()
    else:
        assert page.status_code == 404


def test_agreement_decisions_are_refused_without_their_csrf_token(
    signed_in: SignedIn, olga: User, agreement: CrossRegionAgreement
) -> None:
    client = signed_in(olga, enforce_csrf_checks=True)
    url = reverse("exchange:agreement_decide", args=[agreement.pk, "approve"])
    assert client.post(url).status_code == 403
    agreement.refresh_from_db()
    assert agreement.status == "requested"
    page = signed_in(olga).get(reverse("exchange:agreement_list")).content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= page.count('method="post"') >= 2


@pytest.mark.parametrize("model", [Delivery, SharingPolicy, OutboxEvent], ids=lambda model: model.__name__)
def test_another_regions_administrator_lists_none_of_a_partners_rows(
    world: dict[str, Any], grace: User, olga: User, model: type[Any]
) -> None:
    assert model.objects.restrict(grace, "view").exists()  # the partner's own RILO reaches them
    assert not model.objects.restrict(olga, "view").exists()


def test_another_regions_administrator_gets_404_for_a_delivery_and_an_empty_list(
    world: dict[str, Any], grace: User, olga: User
) -> None:
    with pytest.raises(NotFound):
        delivery_get(actor=olga, pk=world["delivery"].pk)
    assert delivery_get(actor=grace, pk=world["delivery"].pk).pk == world["delivery"].pk
    assert not partner_deliveries(actor=olga, partner=world["partner"]).exists()
    assert not partner_policies(actor=olga, partner=world["partner"]).exists()
    assert partner_policies(actor=grace, partner=world["partner"]).exists()


def test_another_regions_administrator_cannot_replay_a_delivery(
    signed_in: SignedIn, world: dict[str, Any], olga: User
) -> None:
    response = signed_in(olga).post(reverse("exchange:delivery_replay", args=[world["delivery"].pk]))
    assert response.status_code == 404
    assert Delivery.objects.get(pk=world["delivery"].pk).state == DeliveryState.DEAD
