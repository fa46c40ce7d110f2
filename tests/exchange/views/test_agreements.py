"""Cross-region agreements and the personal-data capability through the pages, and who sees what on record.

grace administers RILO Western Europe (partner "WCO CEN"), olga RILO CIS; hugo audits Western
Europe, kira CIS; tariq administers a third region, which the agreement does not concern.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.audit.models import AuditEvent
from apps.exchange.models import CrossRegionAgreement, PartnerSystem, SharingPolicy
from apps.exchange.services import agreement_request
from apps.tenancy.models import Region
from tests.exchange.conftest import form_data
from tests.factories import RegionFactory, UserFactory
from tests.helpers import deliver_mail

pytestmark = pytest.mark.django_db
SignedIn = Callable[..., Client]


@pytest.fixture
def kira(region_cis: Region) -> User:
    return UserFactory.create(username="kira", role=Role.AUDITOR, region=region_cis)


@pytest.fixture
def tariq(db: None) -> User:
    region = RegionFactory.create(code="rilo-esa", name="RILO Eastern and Southern Africa")
    return UserFactory.create(username="tariq", role=Role.RILO_ADMINISTRATOR, region=region)


@pytest.fixture
def asked(grace: User, we_partner: PartnerSystem, region_cis: Region) -> CrossRegionAgreement:
    return agreement_request(actor=grace, partner=we_partner, region=region_cis)


def decide_url(agreement: CrossRegionAgreement, decision: str) -> str:
    return reverse("exchange:agreement_decide", args=[agreement.pk, decision])


def edit_data(partner: PartnerSystem, **overrides: str) -> dict[str, str]:
    return {
        **form_data(name=partner.name, endpoint_url=partner.endpoint_url, auth="keep", contact_email=""),
        "state": partner.state,
        **overrides,
    }


def without_personal_data_capability() -> None:
    """Take the capability away from the RILO administrators (this test's transaction only)."""
    permission = Permission.objects.get(codename="allow_personal_data_partnersystem")
    Group.objects.get(name=Role.RILO_ADMINISTRATOR).permissions.remove(permission)


def test_an_administrator_asks_another_region_from_the_partner_page_and_its_administrator_approves(
    signed_in: SignedIn, grace: User, olga: User, we_partner: PartnerSystem, region_cis: Region
) -> None:
    page = signed_in(grace).get(reverse("exchange:partner_detail", args=[we_partner.pk])).content.decode()
    assert "Ask that region for its reports" in page and "RILO CIS" in page

    response = signed_in(grace).post(
        reverse("exchange:agreement_request", args=[we_partner.pk]), {"region": region_cis.pk}
    )
    assert response.status_code == 302
    agreement = CrossRegionAgreement.objects.get(partner=we_partner)
    assert (agreement.region, agreement.status, agreement.requested_by) == (region_cis, "requested", grace)

    olga_client = signed_in(olga)
    listing = olga_client.get(reverse("exchange:agreement_list")).content.decode()
    assert "WCO CEN" in listing and decide_url(agreement, "approve") in listing
    assert olga_client.post(decide_url(agreement, "approve")).status_code == 302
    agreement.refresh_from_db()
    assert (agreement.status, agreement.decided_by) == ("approved", olga)
    assert "In force" in signed_in(grace).get(reverse("exchange:partner_detail", args=[we_partner.pk])).content.decode()
    policy_page = signed_in(grace).get(reverse("exchange:policy_edit", args=[we_partner.pk])).content.decode()
    assert 'value="rilo-cis"' in policy_page  # its policy may now list the region

    assert olga_client.post(decide_url(agreement, "revoke")).status_code == 302
    agreement.refresh_from_db()
    assert (agreement.status, agreement.revoked_by) == ("revoked", olga)


def test_the_policy_form_offers_only_the_partners_own_region_and_refuses_another(
    signed_in: SignedIn, grace: User, we_partner: PartnerSystem, france: object, kazakhstan: object
) -> None:
    client = signed_in(grace)
    url = reverse("exchange:policy_edit", args=[we_partner.pk])
    page = client.get(url).content.decode()
    assert 'value="rilo-we"' in page and 'value="rilo-cis"' not in page
    assert 'value="fr"' in page and 'value="kz"' not in page

    response = client.post(url, {"action": "save", "regions": ["rilo-cis"], "embargo_hours": "0"})
    assert response.status_code == 200
    assert "Select a valid choice. rilo-cis is not one of the available choices." in response.content.decode()
    assert not SharingPolicy.objects.filter(partner=we_partner).exists()


def test_a_rilo_administrator_cannot_approve_an_agreement_for_their_own_partner(
    signed_in: SignedIn, grace: User, asked: CrossRegionAgreement
) -> None:
    client = signed_in(grace)
    for decision in ("approve", "refuse", "revoke"):
        assert client.post(decide_url(asked, decision)).status_code == 403, decision
    asked.refresh_from_db()
    assert asked.status == "requested" and asked.decided_by is None


def test_a_rilo_administrator_cannot_approve_an_agreement_for_a_region_not_theirs(
    signed_in: SignedIn, tariq: User, farid: User, asked: CrossRegionAgreement
) -> None:
    assert "WCO CEN" not in signed_in(tariq).get(reverse("exchange:agreement_list")).content.decode()
    assert signed_in(tariq).post(decide_url(asked, "approve")).status_code == 404
    assert signed_in(farid).post(decide_url(asked, "approve")).status_code == 403  # CIS analyst: looks, decides not
    asked.refresh_from_db()
    assert asked.status == "requested"


def test_an_agreement_cannot_be_asked_of_the_partners_own_region_nor_twice(
    grace: User, we_partner: PartnerSystem, region_we: Region, asked: CrossRegionAgreement, region_cis: Region
) -> None:
    from django.core.exceptions import ValidationError

    from apps.core.exceptions import Conflict

    with pytest.raises(ValidationError):
        agreement_request(actor=grace, partner=we_partner, region=region_we)
    with pytest.raises(Conflict):
        agreement_request(actor=grace, partner=we_partner, region=region_cis)
    assert CrossRegionAgreement.objects.count() == 1


def test_the_other_regions_auditors_see_the_agreement_events(
    signed_in: SignedIn, olga: User, hugo: User, kira: User, tariq: User, asked: CrossRegionAgreement
) -> None:
    client = signed_in(olga)
    client.post(decide_url(asked, "approve"))
    client.post(decide_url(asked, "revoke"))

    steps = ["exchange.agreement_request", "exchange.agreement_approve", "exchange.agreement_revoke"]
    for auditor in (hugo, kira):
        seen = AuditEvent.objects.restrict(auditor).filter(object_type="exchange.crossregionagreement")
        assert sorted(seen.values_list("action", flat=True)) == sorted(steps), auditor
    outsider = UserFactory.create(username="auditor-esa", role=Role.AUDITOR, region=tariq.region)
    assert not AuditEvent.objects.restrict(outsider).filter(object_type="exchange.crossregionagreement").exists()


def test_changing_personal_data_permission_needs_its_own_capability(
    signed_in: SignedIn, grace: User, we_partner: PartnerSystem
) -> None:
    without_personal_data_capability()
    client = signed_in(grace)
    url = reverse("exchange:partner_edit", args=[we_partner.pk])
    assert 'name="personal_data_allowed"' not in client.get(url).content.decode()
    assert (
        'name="personal_data"' not in client.get(reverse("exchange:policy_edit", args=[we_partner.pk])).content.decode()
    )

    client.post(url, edit_data(we_partner, personal_data_allowed="on"))
    we_partner.refresh_from_db()
    assert we_partner.personal_data_allowed is False

    from apps.core.exceptions import PermissionDenied
    from apps.exchange.services import partner_create, partner_policy_create, partner_update

    with pytest.raises(PermissionDenied):
        partner_update(actor=grace, partner=we_partner, personal_data_allowed=True)
    with pytest.raises(PermissionDenied):
        partner_create(
            actor=grace,
            name="Names",
            adapter="webhook",
            endpoint_url=we_partner.endpoint_url,
            personal_data_allowed=True,
        )
    with pytest.raises(PermissionDenied):
        partner_policy_create(actor=grace, partner=we_partner, spec={"personal_data": True}, base_version=None)
    we_partner.refresh_from_db()
    assert we_partner.personal_data_allowed is False and not PartnerSystem.objects.filter(name="Names").exists()
    assert not SharingPolicy.objects.filter(partner=we_partner).exists()


def test_changing_personal_data_permission_is_audited_and_mailed_to_the_regions_auditors(
    signed_in: SignedIn,
    grace: User,
    hugo: User,
    kira: User,
    we_partner: PartnerSystem,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = signed_in(grace)
    url = reverse("exchange:partner_edit", args=[we_partner.pk])
    assert 'name="personal_data_allowed"' in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, edit_data(we_partner, personal_data_allowed="on")).status_code == 302
    we_partner.refresh_from_db()
    assert we_partner.personal_data_allowed is True

    event = AuditEvent.objects.restrict(hugo).get(action="exchange.partner_personal_data")
    assert (event.actor, event.object_id, event.detail) == (grace, str(we_partner.pk), {"personal_data_allowed": True})
    assert not AuditEvent.objects.restrict(kira).filter(action="exchange.partner_personal_data").exists()
    [message] = deliver_mail()
    assert message.to == [hugo.email]
    assert "WCO CEN" in message.subject and "grace" in message.body


def test_partner_edits_are_on_record_for_the_partners_region_auditors(
    signed_in: SignedIn, grace: User, hugo: User, we_partner: PartnerSystem
) -> None:
    admin = UserFactory.create(username="root", role="", is_superuser=True)
    for actor in (grace, admin):
        client = signed_in(actor)
        detail = reverse("exchange:partner_edit", args=[we_partner.pk])
        client.post(detail, edit_data(we_partner, max_in_flight=str(3 if actor == grace else 5)))
        state = reverse("exchange:partner_state", args=[we_partner.pk])
        client.post(state, {"state": "paused", "reason": "maintenance"})
        client.post(state, {"state": "active"})
        base = str(SharingPolicy.objects.filter(partner=we_partner).count() or "")
        policy = {"action": "save", "embargo_hours": "0", "base_version": base}
        client.post(reverse("exchange:policy_edit", args=[we_partner.pk]), policy)

    seen = list(AuditEvent.objects.restrict(hugo).filter(object_id=str(we_partner.pk)).values_list("actor", "action"))
    for actor in (grace, admin):
        for action in ("partner_update", "partner_paused", "partner_active", "policy_create"):
            assert (actor.pk, f"exchange.{action}") in seen, (actor, action)


def test_the_agreement_service_refuses_a_user_without_the_capability_to_ask(
    grace: User, we_partner: PartnerSystem, region_cis: Region
) -> None:
    from apps.core.exceptions import PermissionDenied

    Group.objects.get(name=Role.RILO_ADMINISTRATOR).permissions.remove(
        Permission.objects.get(codename="add_crossregionagreement")
    )
    grace = User.objects.get(pk=grace.pk)  # without the cached permissions

    with pytest.raises(PermissionDenied):
        agreement_request(actor=grace, partner=we_partner, region=region_cis)
    assert not CrossRegionAgreement.objects.exists()


def test_turning_personal_data_on_leaves_the_partners_agreements_as_they_are(
    grace: User, olga: User, we_partner: PartnerSystem, region_cis: Region
) -> None:
    from apps.exchange.services import agreement_approve, partner_update

    agreement = agreement_approve(
        actor=olga, agreement=agreement_request(actor=grace, partner=we_partner, region=region_cis)
    )

    partner_update(actor=grace, partner=we_partner, personal_data_allowed=True)

    agreement.refresh_from_db()
    assert agreement.status == "approved" and agreement.personal_data is False
    assert CrossRegionAgreement.objects.filter(partner=we_partner).count() == 1
