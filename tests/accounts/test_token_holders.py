"""A token speaks for its holder only: who may issue whose token, from which session, on record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apps.accounts.models import ApiToken, User
from apps.accounts.roles import Role
from apps.accounts.services import TwoFactorRequired, token_issue, token_revoke
from apps.audit.models import AuditEvent
from apps.core.exceptions import NotFound, PermissionDenied
from apps.exchange.models import PartnerSystem
from apps.reports.choices import ReportStatus
from apps.tenancy.models import Administration, Region
from tests.builders import build_report, complete_report
from tests.factories import UserFactory
from tests.helpers import bearer, deliver_mail, sign_in

LIST, NEW, API = "/accounts/tokens/", "/accounts/tokens/new/", "/api/v1/accounts/tokens/"


def in_days(days: int = 30):
    return timezone.now() + timedelta(days=days)


def partner_account(username: str, region: Region, **fields) -> User:
    """A partner system managed by ``region``'s RILO, with its own account."""
    account = UserFactory.create(username=username, role=Role.PARTNER_SYSTEM, **fields)
    PartnerSystem.objects.create(
        name=f"Partner {username}", region=region, endpoint_url=f"https://{username}.example.org/", account=account
    )
    return account


@pytest.fixture
def cleo(france: Administration) -> User:
    """A second coordinator of French Customs."""
    return UserFactory.create(username="cleo", role=Role.NATIONAL_COORDINATOR, administration=france)


# --- a person's token is issued by that person only ------------------------------------------------------


def test_a_coordinator_cannot_issue_a_token_for_another_coordinator(api, client, cora, cleo, issue_token):
    sign_in(client, cora)
    form = client.get(NEW).content.decode()
    assert 'value="cleo"' not in form
    response = client.post(NEW, {"user": "cleo", "name": "as cleo", "scopes": ["read"], "expires_in_days": 7})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    # Through the API, with her session or with her token: refused the same way.
    body = {"user": "cleo", "name": "as cleo", "scopes": ["read"]}
    assert api.post(API, body, format="json", **bearer(issue_token(cora, "read", "write"))).status_code == 400
    with pytest.raises(PermissionDenied) as refused:
        token_issue(user=cleo, name="as cleo", scopes=["read"], expires_at=in_days(), actor=cora)
    assert "only by that person" in refused.value.message
    assert not ApiToken.objects.filter(user=cleo).exists()
    attempt = AuditEvent.objects.get(action="accounts.token_issue_refused")
    assert (attempt.actor, attempt.detail) == (cora, {"holder": cleo.pk})


def test_a_rilo_administrator_cannot_issue_a_token_for_an_analyst(api, client, grace, erin, issue_token):
    sign_in(client, grace)
    response = client.post(NEW, {"user": "erin", "name": "as erin", "scopes": ["review"], "expires_in_days": 7})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    body = {"user": "erin", "name": "as erin", "scopes": ["review"]}
    assert api.post(API, body, format="json", **bearer(issue_token(grace, "write", "review"))).status_code == 400
    with pytest.raises(PermissionDenied):
        token_issue(user=erin, name="as erin", scopes=["review"], expires_at=in_days(), actor=grace)
    assert not ApiToken.objects.filter(user=erin).exists()


def test_a_rilo_administrator_cannot_issue_a_token_for_another_regions_partner_account(
    client, grace, region_we, region_cis, kazakhstan
):
    ours = partner_account("cen", region_we)
    theirs = partner_account("cis-peer", region_cis)
    kz_system = UserFactory.create(username="kzsys", role=Role.PARTNER_SYSTEM, administration=kazakhstan)
    sign_in(client, grace)
    form = client.get(NEW).content.decode()
    assert 'value="cen"' in form and 'value="cis-peer"' not in form and 'value="kzsys"' not in form
    response = client.post(NEW, {"user": "cen", "name": "feed", "scopes": ["read"], "expires_in_days": 7})
    assert response.status_code == 200 and ApiToken.objects.filter(user=ours).exists()
    for account in (theirs, kz_system):
        response = client.post(NEW, {"user": account.username, "name": "x", "scopes": ["read"], "expires_in_days": 7})
        assert "Select a valid choice" in response.content.decode()
        with pytest.raises(NotFound):
            token_issue(user=account, name="x", scopes=["read"], expires_at=in_days(), actor=grace)
    assert not ApiToken.objects.filter(user__in=[theirs, kz_system]).exists()


def test_a_rilo_administrator_cannot_issue_a_token_for_a_national_system_account(api, client, grace, nsys, issue_token):
    # nsys writes as French Customs, in grace's region: its tokens come from its coordinators only.
    sign_in(client, grace)
    assert 'value="nsys"' not in client.get(NEW).content.decode()
    response = client.post(NEW, {"user": "nsys", "name": "as nsys", "scopes": ["read"], "expires_in_days": 7})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    body = {"user": "nsys", "name": "as nsys", "scopes": ["read"]}
    assert api.post(API, body, format="json", **bearer(issue_token(grace, "read", "write"))).status_code == 400
    with pytest.raises(PermissionDenied) as refused:
        token_issue(user=nsys, name="as nsys", scopes=["read"], expires_at=in_days(), actor=grace)
    assert "coordinators of its administration" in refused.value.message
    assert not ApiToken.objects.filter(user=nsys).exists()
    attempt = AuditEvent.objects.get(action="accounts.token_issue_refused")
    assert (attempt.actor, attempt.detail) == (grace, {"holder": nsys.pk})


def test_a_partners_token_issued_from_its_page_is_one_audit_event_naming_the_partner(grace, region_we):
    from apps.exchange.services import partner_account_token_issue

    account = partner_account("cen", region_we)
    partner = PartnerSystem.objects.get(account=account)
    token, _ = partner_account_token_issue(actor=grace, partner=partner, name="feed", scopes=["read"], days=30)
    [event] = AuditEvent.objects.exclude(action="accounts.token_issue_refused")
    assert (event.action, event.actor, event.object_id) == ("accounts.token_issue", grace, str(token.pk))
    assert event.detail["partner"] == partner.pk and event.region_id == region_we.pk


def test_an_analyst_without_a_verified_second_factor_cannot_issue_a_token_for_themselves(client, erin):
    sign_in(client, erin, verified=False)
    response = client.post(NEW, {"user": "erin", "name": "mine", "scopes": ["read"], "expires_in_days": 7})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/setup/")
    with pytest.raises(TwoFactorRequired):
        token_issue(user=erin, name="mine", scopes=["read"], expires_at=in_days(), actor=erin)
    assert not ApiToken.objects.exists()
    # Once verified, she issues her own.
    sign_in(client, erin, verified=True)
    response = client.post(NEW, {"user": "erin", "name": "mine", "scopes": ["read"], "expires_in_days": 7})
    assert response.status_code == 200 and ApiToken.objects.get().user == erin


def test_an_officer_without_a_second_factor_is_sent_to_set_it_up_and_told_why(client, alice):
    sign_in(client, alice, verified=False)
    response = client.get(NEW, follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/2fa/setup/?next=")
    page = response.content.decode()
    assert "issued only from a session verified with your second factor" in page
    assert not ApiToken.objects.exists()


def test_a_person_issues_her_own_token_through_the_api_only_from_a_verified_session(api, erin, issue_token):
    body = {"user": "erin", "name": "script", "scopes": ["read"]}
    refused = api.post(API, body, format="json", **bearer(issue_token(erin, "read", "write")))
    assert refused.status_code == 403 and refused.json()["type"] == "two_factor_required"
    assert ApiToken.objects.filter(user=erin).count() == 1  # only the token used above
    sign_in(api, erin, verified=True)
    issued = api.post(API, body, format="json")
    assert issued.status_code == 201 and issued.json()["user"] == "erin"


def test_a_coordinator_issues_a_token_for_her_national_system_through_the_api(api, cora, nsys, issue_token):
    response = api.post(
        API, {"user": "nsys", "name": "nCEN", "scopes": ["write"]}, format="json", **bearer(issue_token(cora, "write"))
    )
    assert response.status_code == 201 and ApiToken.objects.filter(user=nsys).exists()


# --- on record, and the holder is told -----------------------------------------------------------------


def test_issuing_a_token_is_audited_and_mailed_to_the_holder(client, alice, django_capture_on_commit_callbacks):
    sign_in(client, alice, verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, {"user": "alice", "name": "my script", "scopes": ["read"], "expires_in_days": 7})
    plaintext = response.context["plaintext"]
    token = ApiToken.objects.get()
    event = AuditEvent.objects.get(action="accounts.token_issue")
    assert (event.actor, event.object_type, event.object_id) == (alice, "accounts.apitoken", str(token.pk))
    assert event.region_id == alice.administration.region_id
    assert event.detail == {
        "holder": alice.pk,
        "holder_role": "officer",
        "issuer": alice.pk,
        "actor": alice.pk,
        "scopes": ["read"],
        "expires_at": token.expires_at.isoformat(),
        "token_prefix": token.display_prefix,
    }
    assert plaintext.split("_", 2)[2] not in str(event.detail) and "my script" not in str(event.detail)
    [message] = deliver_mail()
    assert message.to == [alice.email]
    assert token.display_prefix in message.body and plaintext not in message.body


def test_a_system_account_without_an_address_has_its_managers_told(
    cora, cleo, alice, nsys, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=nsys.pk).update(email="")
    nsys.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        token_issue(user=nsys, name="nCEN", scopes=["write"], expires_at=in_days(), actor=cora)
    assert sorted(address for message in deliver_mail() for address in message.to) == sorted([cora.email, cleo.email])


def test_a_national_systems_token_is_told_to_its_coordinators_only_in_one_query(
    cora, grace, nsys, django_assert_num_queries
):
    from apps.accounts.notifications import token_recipients

    User.objects.filter(pk=nsys.pk).update(email="")
    nsys.refresh_from_db()
    with django_assert_num_queries(1):
        assert [address.email for address in token_recipients(nsys)] == [
            cora.email
        ]  # not grace: she does not manage national systems


def test_a_partners_token_is_told_to_the_administrators_of_its_rilo_in_one_query(
    grace, region_we, region_cis, django_assert_num_queries
):
    from apps.accounts.notifications import token_recipients

    olga = UserFactory.create(username="olga", role=Role.RILO_ADMINISTRATOR, region=region_cis)
    account = partner_account("cen", region_we, email="")
    with django_assert_num_queries(1):
        recipients = [address.email for address in token_recipients(account)]
    assert recipients == [grace.email] and olga.email not in recipients


def test_revoking_a_token_is_audited(client, cora, nsys, django_capture_on_commit_callbacks):
    token, _ = token_issue(user=nsys, name="nCEN", scopes=["read"], expires_at=in_days(), actor=cora)
    deliver_mail()
    mail.outbox.clear()
    sign_in(client, cora)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/accounts/tokens/{token.pk}/revoke/")
    event = AuditEvent.objects.get(action="accounts.token_revoke")
    assert event.actor == cora and event.object_id == str(token.pk)
    assert (event.detail["holder"], event.detail["token_prefix"]) == (nsys.pk, token.display_prefix)
    assert [message.to for message in deliver_mail()] == [[nsys.email]]
    assert "revoked" in deliver_mail()[0].subject


def test_a_person_revokes_her_own_token_but_not_anothers(alice, bob):
    mine, _ = token_issue(
        user=alice, name="x", scopes=["read"], expires_at=in_days(), actor=alice, two_factor_verified=True
    )
    bobs, _ = token_issue(
        user=bob, name="y", scopes=["read"], expires_at=in_days(), actor=bob, two_factor_verified=True
    )
    token_revoke(token=mine, actor=alice)
    with pytest.raises(NotFound):
        token_revoke(token=bobs, actor=alice)
    assert ApiToken.objects.get(pk=bobs.pk).revoked_at is None


# --- personal-data reads say how the reader came in ---------------------------------------------------


def test_a_personal_data_read_through_a_token_records_its_prefix(api, client, alice, issue_token):
    report = build_report(
        by=alice, reference="VIA-FR-1", status=ReportStatus.SUBMITTED, through_services=True, **complete_report()
    )
    plaintext = issue_token(alice, "read")
    token = ApiToken.objects.get()
    assert api.get(f"/api/v1/reports/{report.uuid}/", **bearer(plaintext)).status_code == 200
    through_token = AuditEvent.objects.filter(action="report.parties_read").get()
    assert (through_token.detail["via"], through_token.detail["token_prefix"]) == ("token", token.display_prefix)
    assert AuditEvent.objects.get(action="report.personal_read").detail["token_prefix"] == token.display_prefix

    sign_in(client, alice)
    client.get(f"/reports/{report.uuid}/")
    through_session = AuditEvent.objects.filter(action="report.parties_read").latest("pk")
    assert through_session.detail["via"] == "session" and "token_prefix" not in through_session.detail
