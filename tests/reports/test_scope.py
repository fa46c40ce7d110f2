"""restrict() for reports, per persona: capability x administration/region scope x guardian exceptions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef, Subquery
from django.test.utils import CaptureQueriesContext

from apps.core.exceptions import NotFound, PermissionDenied
from apps.core.keyset import Keyset
from apps.reports.choices import ReportStatus
from apps.reports.models import Report, ReportGroupObjectPermission, ReportUserObjectPermission
from apps.reports.selectors import (
    attachments_for,
    parties_for,
    report_allowed_actions,
    report_get,
    report_list,
    report_list_ordering,
    report_list_rows,
)
from apps.reports.services import (
    report_approve,
    report_assign_reviewer,
    report_share_with_administration,
    report_unshare_with_administration,
    report_update_draft,
)
from tests.builders import ReportFactory, ReportItemFactory, RouteCountryFactory
from tests.factories import UserFactory


@pytest.fixture
def reports(france, germany, kazakhstan):
    """One report per (administration, state) that matters."""
    made = {}
    for admin in (france, germany, kazakhstan):
        for status in ReportStatus:
            made[f"{admin.code}-{status}"] = ReportFactory.create(
                administration=admin, status=status, national_reference=f"{admin.code}-{status}"
            )
    return made


def refs(queryset) -> set[str]:
    return set(queryset.values_list("national_reference", flat=True))


ALL_STATES = {str(s) for s in ReportStatus}
NON_DRAFT = ALL_STATES - {"draft"}


def test_officers_and_coordinators_see_their_administrations_reports_in_every_state(reports, alice, cora, bob):
    assert refs(Report.objects.restrict(alice, "view")) == {f"fr-{s}" for s in ALL_STATES}
    assert refs(Report.objects.restrict(cora, "view")) == {f"fr-{s}" for s in ALL_STATES}
    assert refs(Report.objects.restrict(bob, "view")) == {f"de-{s}" for s in ALL_STATES}


def test_officers_change_only_drafts_and_returned_reports_of_their_administration(reports, alice):
    assert refs(Report.objects.restrict(alice, "change")) == {"fr-draft", "fr-returned"}
    assert refs(Report.objects.restrict(alice, "submit")) == {"fr-draft", "fr-returned"}
    assert not Report.objects.restrict(alice, "approve").exists()
    assert not Report.objects.restrict(alice, "correct").exists()  # officers do not correct approved reports


def test_analysts_see_their_regions_reports_once_submitted_never_drafts(reports, erin, farid):
    assert refs(Report.objects.restrict(erin, "view")) == {f"{a}-{s}" for a in ("fr", "de") for s in NON_DRAFT}
    assert refs(Report.objects.restrict(farid, "view")) == {f"kz-{s}" for s in NON_DRAFT}


def test_analysts_review_and_approve_only_submitted_reports_of_their_region(reports, erin):
    assert refs(Report.objects.restrict(erin, "review")) == {"fr-submitted", "de-submitted"}
    assert refs(Report.objects.restrict(erin, "approve")) == {"fr-submitted", "de-submitted"}
    assert refs(Report.objects.restrict(erin, "withdraw")) == {"fr-approved", "de-approved"}
    assert not Report.objects.restrict(erin, "change").exists()


def test_rilo_administrators_see_without_reviewing_and_auditors_and_partners_see_nothing(reports, grace, hugo, ivan):
    assert refs(Report.objects.restrict(grace, "view")) == {f"{a}-{s}" for a in ("fr", "de") for s in NON_DRAFT}
    assert not Report.objects.restrict(grace, "review").exists()
    assert not Report.objects.restrict(grace, "view_personal_data").exists()
    assert not Report.objects.restrict(hugo, "view").exists()
    assert not Report.objects.restrict(ivan, "view").exists()


def test_another_tenants_report_is_not_found(reports, bob, farid):
    french = reports["fr-submitted"]
    with pytest.raises(NotFound):
        report_get(user=bob, pk=french.pk)
    with pytest.raises(NotFound):
        report_get(user=farid, uuid=french.uuid)
    with pytest.raises(NotFound):
        report_get(user=bob, uuid="not-a-uuid")


def test_report_get_checks_the_action(reports, alice):
    assert report_get(user=alice, pk=reports["fr-draft"].pk, action="change")
    with pytest.raises(NotFound):
        report_get(user=alice, pk=reports["fr-approved"].pk, action="change")


def _queue(user):
    """The review queue as its page and its export read it: its rows in its order."""
    return report_list_rows(user=user, queue=True).order_by(
        *Keyset(Report, report_list_ordering(queue=True)).order_by()
    )


def test_review_queue_lists_submitted_reports_oldest_first(reports, erin, alice, france):
    from django.utils import timezone

    newer = ReportFactory.create(administration=france, status="submitted", submitted_at=timezone.now())
    reports["de-submitted"].submitted_at = timezone.now() - dt.timedelta(days=2)
    reports["de-submitted"].save()
    reports["fr-submitted"].submitted_at = timezone.now() - dt.timedelta(days=1)
    reports["fr-submitted"].save()
    assert [r.national_reference for r in _queue(erin)] == [
        "de-submitted",
        "fr-submitted",
        newer.national_reference,
    ]
    assert not _queue(alice).exists()


def test_a_share_with_another_administration_is_read_only_and_without_personal_data(reports, erin, bob, germany):
    french = reports["fr-approved"]
    report_share_with_administration(report=french, administration=germany, actor=erin)
    assert ReportGroupObjectPermission.objects.filter(content_object=french).count() == 1
    assert "fr-approved" in refs(Report.objects.restrict(bob, "view"))
    assert "fr-approved" not in refs(Report.objects.restrict(bob, "change"))
    assert "fr-approved" not in refs(Report.objects.restrict(bob, "view_personal_data"))
    assert parties_for(user=bob, report=french) == []
    # users who join the administration later are covered too: membership is the administration FK
    newcomer = UserFactory.create(username="berta", role="officer", administration=germany)
    assert "fr-approved" in refs(Report.objects.restrict(newcomer, "view"))
    # ... and only the shared report, never the other French ones
    assert refs(Report.objects.restrict(bob, "view")) - {f"de-{s}" for s in ALL_STATES} == {"fr-approved"}


def test_a_share_can_include_personal_data_and_can_end(reports, erin, bob, germany):
    french = reports["fr-approved"]
    report_share_with_administration(report=french, administration=germany, actor=erin, include_personal_data=True)
    assert "fr-approved" in refs(Report.objects.restrict(bob, "view_personal_data"))
    report_unshare_with_administration(report=french, administration=germany, actor=erin)
    assert "fr-approved" not in refs(Report.objects.restrict(bob, "view"))


def test_only_rilo_staff_and_coordinators_share_and_never_drafts(reports, alice, cora, germany):
    from apps.core.exceptions import Conflict

    with pytest.raises(PermissionDenied):
        report_share_with_administration(report=reports["fr-approved"], administration=germany, actor=alice)
    with pytest.raises(Conflict):
        report_share_with_administration(report=reports["fr-draft"], administration=germany, actor=cora)
    report_share_with_administration(report=reports["fr-approved"], administration=germany, actor=cora)


def test_an_assigned_reviewer_from_another_region_may_review_that_report_only(reports, erin, farid):
    german = reports["de-submitted"]
    report_assign_reviewer(report=german, reviewer=farid, actor=erin)
    assert ReportUserObjectPermission.objects.filter(user=farid, content_object=german).count() == 4
    assert refs(Report.objects.restrict(farid, "review")) == {"kz-submitted", "de-submitted"}
    assert "fr-submitted" not in refs(Report.objects.restrict(farid, "view"))
    assert report_approve(report=german, actor=farid).status == ReportStatus.APPROVED


def test_personal_data_is_gated_per_report(reports, alice, erin, grace, bob):
    french = reports["fr-submitted"]
    french.parties.create(family_name="Dupont", given_names="Jean")
    assert [p.family_name for p in parties_for(user=alice, report=french)] == ["Dupont"]
    assert [p.family_name for p in parties_for(user=erin, report=french)] == ["Dupont"]
    assert parties_for(user=grace, report=french) == []
    with pytest.raises(NotFound):
        parties_for(user=bob, report=french)


def test_personal_free_text_is_blanked_unless_asked_for_and_allowed(reports, alice, grace):
    french = reports["fr-submitted"]
    french.conveyances.create(identifier_type="plate", identifier="AB123CD")
    assert report_get(user=alice, pk=french.pk).modus_operandi == ""
    shown = report_get(user=alice, pk=french.pk, with_personal_data=True)
    assert shown.modus_operandi == "Free text naming a person"
    assert [c.identifier for c in shown.conveyances.all()] == ["AB123CD"]
    hidden = report_get(user=grace, pk=french.pk, with_personal_data=True)
    assert hidden.modus_operandi == ""
    assert [c.identifier for c in hidden.conveyances.all()] == [""]
    assert hidden.can_view_personal_data is False  # type: ignore[attr-defined]


def test_personal_attachments_are_listed_only_to_those_entitled(reports, erin, grace):
    french = reports["fr-submitted"]
    french.attachments.create(
        file="x", original_name="photo.jpg", content_type="image/jpeg", size=1, sha256="0", contains_personal_data=False
    )
    french.attachments.create(file="y", original_name="passport.jpg", content_type="image/jpeg", size=1, sha256="0")
    assert sorted(a.original_name for a in attachments_for(user=erin, report=french)) == ["passport.jpg", "photo.jpg"]
    assert [a.original_name for a in attachments_for(user=grace, report=french)] == ["photo.jpg"]


def test_allowed_actions_drive_the_buttons(reports, alice, erin):
    assert report_allowed_actions(user=alice, report=reports["fr-draft"]) == {
        "change",
        "submit",
        "export",
        "view_personal_data",
    }
    assert {"review", "approve", "assign", "mark_duplicate"} <= report_allowed_actions(
        user=erin, report=reports["fr-submitted"]
    )
    assert report_allowed_actions(user=erin, report=reports["fr-draft"]) == frozenset()


def test_report_list_runs_the_same_number_of_queries_for_few_or_many_reports(france, alice):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as context:
            for report in report_list(user=alice):
                _ = [(i.commodity_type, i.unit, i.commodity_category) for i in report.items.all()]
                _ = [(r.country, r.role) for r in report.route.all()]
                _ = (report.administration.name, report.location_type, list(report.detection_methods.all()))
        return len(context.captured_queries)

    def add(n: int) -> None:
        for _ in range(n):
            report = ReportFactory.create(administration=france)
            ReportItemFactory.create(report=report)
            RouteCountryFactory.create(report=report)

    add(2)
    count_queries()  # the first call also loads the user's permissions
    few = count_queries()
    add(8)
    assert count_queries() == few


def test_an_officer_cannot_edit_another_administrations_draft_even_shared(reports, erin, bob, germany):
    with pytest.raises(NotFound):
        report_update_draft(report=reports["fr-draft"], actor=bob, fields={"place": "x"})


ACTIONS = [
    "view",
    "change",
    "submit",
    "approve",
    "correct",
    "withdraw",
    "mark_duplicate",
    "view_personal_data",
    "share",
]


def test_allows_answers_as_restrict_for_every_persona_action_and_report(
    reports, alice, cora, bob, dmitri, erin, farid, grace, hugo, ivan
):
    personas = [alice, cora, bob, dmitri, erin, farid, grace, hugo, ivan]
    for user in personas:
        for action in ACTIONS:
            expected = set(Report.objects.restrict(user, action).values_list("pk", flat=True))
            allowed = {r.pk for r in reports.values() if Report.objects.allows(user, action, r.pk)}
            assert allowed == expected, (user.username, action)
    assert any(Report.objects.allows(erin, "approve", r.pk) for r in reports.values())  # not all empty


def test_allowed_among_answers_as_restrict_for_every_persona_action_and_page(
    reports, alice, cora, bob, dmitri, erin, farid, grace, hugo, ivan
):
    page = [r.pk for r in reports.values()]
    for user in [alice, cora, bob, dmitri, erin, farid, grace, hugo, ivan]:
        for action in ACTIONS:
            expected = set(Report.objects.restrict(user, action).values_list("pk", flat=True))
            assert Report.objects.allowed_among(user, action, page) == expected, (user.username, action)
            assert Report.objects.allowed_among(user, action, page[:1]) == expected & set(page[:1])
    assert Report.objects.allowed_among(erin, "view_personal_data", page)  # not all empty
    assert Report.objects.allowed_among(erin, "view", []) == set()


def test_allows_sees_a_share_and_a_lost_permission_at_once(reports, alice, bob, erin, germany):
    french = reports["fr-approved"]
    assert not Report.objects.allows(bob, "view", french.pk)
    report_share_with_administration(report=french, administration=germany, actor=erin)
    assert Report.objects.allows(bob, "view", french.pk)  # the compiled rule reads the grants when it runs

    assert Report.objects.allows(alice, "view", french.pk)
    alice.groups.clear()
    fresh = type(alice).objects.get(pk=alice.pk)  # a new request: permissions read again
    assert not Report.objects.allows(fresh, "view", french.pk)


def test_restrict_compiled_holds_restricts_rows_for_every_persona_and_action(
    reports, alice, cora, bob, dmitri, erin, farid, grace, hugo, ivan
):
    from apps.accounts.models import User

    inactive = UserFactory.create(username="gone", role=alice.role, administration=alice.administration)
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    inactive.refresh_from_db()
    root = UserFactory.create(username="root", role=alice.role, administration=alice.administration)
    User.objects.filter(pk=root.pk).update(is_superuser=True)
    root.refresh_from_db()
    for user in [alice, cora, bob, dmitri, erin, farid, grace, hugo, ivan, inactive, root]:
        for action in ACTIONS:
            expected = set(Report.objects.restrict(user, action).values_list("pk", flat=True))
            for _ in range(2):  # compiled, then kept
                compiled = Report.objects.restrict_compiled(user, action).filter(status__isnull=False)
                assert set(compiled.values_list("pk", flat=True)) == expected, (user.username, action)
    assert Report.objects.restrict_compiled(alice, "view").exists()  # not all empty
    # An officer's condition (no join) is kept as SQL; a region's staff's (through the administration) is not.
    assert Report.objects.restrict_condition(alice, "view") is not None
    assert Report.objects.restrict_condition(erin, "view") is None
    assert Report.objects.restrict_condition(root, "view") == ("TRUE", ())  # every row, nothing to compile


def test_restrict_compiled_refuses_a_query_whose_table_is_renamed(reports, alice):
    inner = Report.objects.filter(duplicate_of__isnull=True)
    inner.query.bump_prefix(Report.objects.all().query)
    with pytest.raises(ValueError, match="own table"):
        inner.restrict_compiled(alice, "view")


def test_restrict_compiled_sees_a_share_and_a_lost_permission_at_once(reports, alice, bob, erin, germany):
    french = reports["fr-approved"]
    assert not Report.objects.restrict_compiled(bob, "view").filter(pk=french.pk).exists()
    report_share_with_administration(report=french, administration=germany, actor=erin)
    assert Report.objects.restrict_compiled(bob, "view").filter(pk=french.pk).exists()

    assert Report.objects.restrict_compiled(alice, "view").filter(pk=french.pk).exists()
    alice.groups.clear()
    fresh = type(alice).objects.get(pk=alice.pk)  # a new request: permissions read again
    assert not Report.objects.restrict_compiled(fresh, "view").filter(pk=french.pk).exists()


def test_restrict_compiled_inside_a_subquery_is_refused_where_its_rows_would_be_wrong(reports, alice):
    # "Is there another report alice may see?" is true of every report; the compiled condition names the report
    # table, which inside Exists() is the outer row's, so it would ask whether the outer report is hers instead.
    restricted = Report.objects.restrict(alice, "view")
    assert refs(Report.objects.filter(Exists(restricted.exclude(pk=OuterRef("pk"))))) == refs(Report.objects.all())
    compiled = Report.objects.restrict_compiled(alice, "view")
    assert Report.objects.restrict_condition(alice, "view") is not None  # the compiled SQL, not restrict()
    for outer in (
        Report.objects.filter(Exists(compiled.exclude(pk=OuterRef("pk")))),
        Report.objects.annotate(other=Subquery(compiled.exclude(pk=OuterRef("pk")).values("pk")[:1])),
        Report.objects.filter(pk__in=compiled.values("pk")),
    ):
        with pytest.raises(ValueError, match="own table"):
            list(outer)
    # A whole queryset given to __in stays an uncorrelated subquery over the table by its own name: its rows.
    Report.objects.filter(pk=reports["de-approved"].pk).update(duplicate_of=reports["fr-approved"])
    Report.objects.filter(pk=reports["de-submitted"].pk).update(duplicate_of=reports["kz-approved"])
    assert refs(Report.objects.filter(duplicate_of__in=compiled)) == {"de-approved"}
    assert refs(Report.objects.filter(duplicate_of__in=restricted)) == {"de-approved"}
    assert refs(compiled) == refs(restricted) == {f"fr-{s}" for s in ALL_STATES}
