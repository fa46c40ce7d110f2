"""Grants that end on the report page: a share's end is chosen, shown and honoured; an assigned reviewer's rights
end with the review. The shares are listed to those who may see them, with the button that ends one for those who
may share."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.models import User
from apps.reports.choices import ReportStatus
from apps.reports.models import Report, ReportGroupObjectPermission, ReportUserObjectPermission
from apps.reports.services import report_assign_reviewer, report_share_with_administration
from apps.tenancy.models import Administration
from tests.helpers import sign_in

from .test_sharing import french_report, share, url


@pytest.fixture
def submitted(alice: User) -> Report:
    return french_report(alice)


def _expire(report: Report) -> None:
    ReportGroupObjectPermission.objects.filter(content_object=report).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )


def _sharing_section(page: str) -> str:
    found = re.search(r'<section class="panel" aria-labelledby="sharing-title".*?</section>', page, re.S)
    assert found is not None, "no sharing section"
    return found[0]


def test_a_shares_expiry_is_shown_on_the_report_page(client: Client, cora, submitted, germany):
    ends = timezone.localtime() + dt.timedelta(days=10)
    sign_in(client, cora)
    response = client.post(
        url(submitted, "shares/"),
        {"share-administration": str(germany.pk), "share-expires_at": ends.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    shown = ends.strftime("%Y-%m-%d %H:%M")  # the short date and time of English (year first)
    assert f"The share ends on {shown}." in page
    section = _sharing_section(page)
    assert re.search(
        rf"<td>German Customs \(DE\)</td>\s*<td>Not included</td>\s*<td>Cora</td>\s*<td>[^<]+</td>\s*"
        rf'<td class="share-ends"><time datetime="[^"]+">{re.escape(shown)}</time></td>',
        section,
    ), section
    stored = set(ReportGroupObjectPermission.objects.values_list("expires_at", flat=True))
    assert stored == {ends.replace(second=0, microsecond=0)}


def test_a_share_without_an_end_says_so(client: Client, cora, submitted, germany):
    sign_in(client, cora)
    share(client, submitted, germany)
    section = _sharing_section(client.get(url(submitted)).content.decode())
    assert '<td class="share-ends">No end</td>' in section
    assert 'name="share-expires_at"' in section and 'type="datetime-local"' in section


def test_an_end_in_the_past_is_refused_beside_the_field_and_nothing_typed_is_lost(
    client: Client, cora, submitted, germany
):
    sign_in(client, cora)
    past = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = share(client, submitted, germany, personal=True, **{"share-expires_at": past})  # type: ignore[arg-type]
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(r'id="field-share-expires_at">.*?Choose a moment in the future', page, re.S)
    assert f'value="{past}"' in page
    assert "Operation Ocean</textarea>" in page
    assert not ReportGroupObjectPermission.objects.exists()


def test_an_expired_share_grants_nothing_on_the_list_and_the_report_page(client, cora, bob, submitted, germany):
    report_share_with_administration(
        report=submitted, administration=germany, actor=cora, expires_at=timezone.now() + dt.timedelta(days=1)
    )
    sign_in(client, bob)
    assert client.get(url(submitted)).status_code == 200
    assert submitted.national_reference in client.get("/reports/").content.decode()

    _expire(submitted)

    assert client.get(url(submitted)).status_code == 404
    assert client.get(url(submitted, "history/")).status_code == 404
    assert submitted.national_reference not in client.get("/reports/").content.decode()
    export = client.get("/reports/export.csv")
    assert submitted.national_reference.encode() not in b"".join(export.streaming_content)
    # ... and it is no longer listed as a share on the report page
    sign_in(client, cora)
    assert "Not shared with any other administration." in _sharing_section(client.get(url(submitted)).content.decode())


def test_a_rilo_administrator_sees_the_shares_but_no_button_to_end_them(
    client: Client, cora, grace, bob, submitted, germany
):
    report_share_with_administration(report=submitted, administration=germany, actor=cora)
    sign_in(client, grace)  # sees every report of the region; holds no reports.share_report
    section = _sharing_section(client.get(url(submitted)).content.decode())
    assert "German Customs (DE)" in section
    assert "/end/" not in section and "End sharing" not in section
    assert 'action="/reports/' not in section  # nor the form to share
    assert client.post(url(submitted, f"shares/{germany.pk}/end/")).status_code == 404
    assert ReportGroupObjectPermission.objects.filter(content_object=submitted).exists()

    sign_in(client, bob)  # the administration it is shared with does not see who else it is shared with
    assert "Joint operation sharing" not in client.get(url(submitted)).content.decode()


@pytest.mark.parametrize(("action", "data"), [("approve/", {"comment": "Fine"}), ("return/", {"comment": "Fix it"})])
def test_an_assigned_reviewer_loses_access_when_the_report_leaves_review(
    client: Client, erin, farid, submitted, action, data
):
    report_assign_reviewer(report=submitted, reviewer=farid, actor=erin)
    sign_in(client, farid)
    assert client.get(url(submitted)).status_code == 200

    response = client.post(url(submitted, action), data)

    assert response.status_code == 302 and response["Location"] == "/reports/review/"
    submitted.refresh_from_db()
    assert submitted.status in (ReportStatus.APPROVED, ReportStatus.RETURNED)
    assert client.get(url(submitted)).status_code == 404
    assert client.get(url(submitted, "history/")).status_code == 404
    assert f'href="/reports/{submitted.uuid}/"' not in client.get("/reports/").content.decode()
    assert not ReportUserObjectPermission.objects.filter(user=farid).exists()


def test_the_analyst_of_the_region_who_approves_stays_on_the_report(client: Client, erin, submitted):
    sign_in(client, erin)
    response = client.post(url(submitted, "approve/"), {"comment": "Fine"})
    assert response["Location"] == url(submitted)


def test_an_expired_share_cannot_be_ended_but_is_gone(client: Client, cora, submitted, germany: Administration):
    report_share_with_administration(
        report=submitted, administration=germany, actor=cora, expires_at=timezone.now() + dt.timedelta(days=1)
    )
    _expire(submitted)
    sign_in(client, cora)
    assert client.post(url(submitted, f"shares/{germany.pk}/end/")).status_code == 404
