"""Reads of reports. Every read starts from ``Report.objects.restrict(user, action)``.

Personal data (parties, personal attachments, modus operandi, conveyance identifiers) is returned
only to users who may see it on that report (``restrict(user, "view_personal_data")``) and only
when asked for; each such read is recorded in the audit log.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.audit.models import AuditEvent
from apps.audit.services import audit_event, audit_record, audit_records
from apps.core.actor import Actor
from apps.core.exceptions import NotFound
from apps.core.keyset import Keyset
from apps.core.querysets import unexpired
from apps.tenancy.models import Administration

from . import catalogue
from .choices import DEFAULT_ORDERING, ORDERINGS, ReportStatus
from .duplicates import BY_ITEMS, candidates_told
from .models import (
    Attachment,
    Conveyance,
    DuplicateCandidate,
    Operation,
    Party,
    Report,
    ReportGroupObjectPermission,
    ReportItem,
    ReportUserObjectPermission,
    ReviewEvent,
    RouteCountry,
)
from .profiles import PROFILE_COLUMNS, PartyProfile, party_profile, without_person_attributes
from .querysets import administration_group_name
from .search import search_query

# The actions whose availability the UI shows as buttons on a report's page.
ACTIONS = (
    "change",
    "submit",
    "review",
    "approve",
    "correct",
    "withdraw",
    "mark_duplicate",
    "share",
    "assign",
    "export",
    "view_personal_data",
)
REDACTED = ""


def _personal_flag(user: Actor) -> Exists:
    return Exists(Report.objects.restrict(user, "view_personal_data").filter(pk=OuterRef("pk")))


# The report's terms (its single-valued vocabulary fields), read with it for the lists.
_REPORT_TERMS = tuple(field.name for field in catalogue.fields("report", editable=None) if field.kind == "term")


def _rows(user: Actor, action: str) -> QuerySet[Report]:
    items = ReportItem.objects.select_related("commodity_category", "commodity_type", "unit", "hs_code")
    return (
        Report.objects.restrict(user, action)
        .select_related("administration", *_REPORT_TERMS, "operation", "duplicate_of")
        .prefetch_related(Prefetch("items", queryset=items), "route", "detection_methods")
        .defer("modus_operandi", "search_vector")
    )


def _listed(user: Actor, action: str = "view") -> QuerySet[Report]:
    return _rows(user, action).annotate(can_view_personal_data=_personal_flag(user))


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part for part in value.split(",") if part]
    if isinstance(value, Iterable):
        return list(value)
    return [value]


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def report_filter(reports: QuerySet[Report], filters: Mapping[str, Any]) -> QuerySet[Report]:
    """Apply list filters (all optional): ``q`` (full text: reference, place, office, items' descriptions
    and brands), ``status``, ``kind``, ``administration`` (ids), ``country_of_seizure``, ``route_country`` (with
    ``route_role``: a step of the route in that role, else in any), ``transport_mode``, ``direction`` and
    ``detection_method`` (codes), ``operation`` (code), ``date_from``/``date_to`` (seizure date),
    ``approved_from``/``approved_to`` (approval date), ``duplicates`` ("exclude" | "only"), ``ordering``; and the
    items' ``commodity_category``, ``commodity_type``, ``concealment`` (codes) and ``hs_chapter`` (two digits),
    which one item must match together (the statistics count a report by its items so)."""
    if filters.get("q"):
        reports = reports.filter(search_vector=search_query(str(filters["q"])))
    if statuses := _as_list(filters.get("status")):
        reports = reports.filter(status__in=statuses)
    if kinds := _as_list(filters.get("kind")):
        reports = reports.filter(kind__in=kinds)
    if administrations := _as_list(filters.get("administration")):
        reports = reports.filter(administration_id__in=administrations)
    if countries := _as_list(filters.get("country_of_seizure")):
        reports = reports.filter(country_of_seizure__in=[str(c).upper() for c in countries])
    if route_country := filters.get("route_country"):
        steps = RouteCountry.objects.filter(report=OuterRef("pk"), country=str(route_country).upper())
        if route_role := filters.get("route_role"):
            steps = steps.filter(role=route_role)
        reports = reports.filter(Exists(steps))
    for name, path in (("transport_mode", "transport_mode__code"), ("direction", "direction__code")):
        if codes := _as_list(filters.get(name)):
            reports = reports.filter(**{f"{path}__in": codes})
    if methods := _as_list(filters.get("detection_method")):
        through = Report.detection_methods.through.objects.filter(
            report=OuterRef("pk"), detectionmethod__code__in=methods
        )
        reports = reports.filter(Exists(through))
    item = Q()
    for name, path in (
        ("commodity_category", "commodity_category__code__in"),
        ("commodity_type", "commodity_type__code__in"),
        ("concealment", "concealment_method__code__in"),
    ):
        if codes := _as_list(filters.get(name)):
            item &= Q(**{path: codes})
    if filters.get("hs_chapter"):
        item &= Q(hs_code__code__startswith=str(filters["hs_chapter"]))
    if item:
        reports = reports.filter(Exists(ReportItem.objects.filter(item, report=OuterRef("pk"))))
    if filters.get("operation"):
        reports = reports.filter(operation__code=filters["operation"])
    if date_from := _date(filters.get("date_from")):
        reports = reports.filter(seizure_date__gte=date_from)
    if date_to := _date(filters.get("date_to")):
        reports = reports.filter(seizure_date__lte=date_to)
    if approved_from := _date(filters.get("approved_from")):
        reports = reports.filter(approved_at__date__gte=approved_from)
    if approved_to := _date(filters.get("approved_to")):
        reports = reports.filter(approved_at__date__lte=approved_to)
    if filters.get("duplicates") == "exclude":
        reports = reports.filter(duplicate_of__isnull=True)
    elif filters.get("duplicates") == "only":
        reports = reports.filter(duplicate_of__isnull=False)
    if filters.get("ordering") in ORDERINGS:
        reports = reports.order_by(*Keyset(Report, (filters["ordering"],)).order_by())
    return reports


def report_list(*, user: Actor, filters: Mapping[str, Any] | None = None) -> QuerySet[Report]:
    """The reports the user may see, filtered (see :func:`report_filter`), newest seizure first.

    Related rows are joined or prefetched, so the number of queries does not grow with the
    number of reports. ``modus_operandi`` is not loaded (personal); each row carries
    ``can_view_personal_data``.
    """
    return report_filter(_listed(user), filters or {})


# What a list page shows of a report (templates/reports/list.html) and the keys it may be ordered by
# (choices.ORDERINGS).
_LIST_COLUMNS = (
    "uuid",
    "national_reference",
    "status",
    "seizure_date",
    "country_of_seizure",
    "submitted_at",
    "updated_at",
    "duplicate_of",
    "administration__name",
    "transport_mode",
)

# What a list page shows of an item: its commodity (type, else category), quantity and unit.
_LIST_ITEM_COLUMNS = (
    "report_id",
    "position",
    "quantity",
    *(f"{term}__{column}" for term in ("commodity_category", "commodity_type") for column in ("label", "translations")),
    "unit__code",
)


def report_list_rows(*, user: Actor, queue: bool = False) -> QuerySet[Report]:
    """What a list page lists before its filters: the reports the user may see (``queue``: the submitted reports
    they may review), with only what the page shows (its columns, administration, transport, items).

    No per-row annotation: PostgreSQL computes one for every row of the list before it can take a page, so a
    page is read through an index however long the list is; the queue's column comes from
    :func:`duplicate_candidate_counts`. Few joins: planning the report page's nine cost more than running them.
    """
    items = (
        ReportItem.objects.select_related("commodity_category", "commodity_type", "unit")
        .only(*_LIST_ITEM_COLUMNS)
        .order_by("report_id", "position", "pk")
    )
    reports = (
        Report.objects.restrict(user, "review" if queue else "view")
        .select_related("administration", "transport_mode")
        .only(*_LIST_COLUMNS)
        .prefetch_related(Prefetch("items", queryset=items))
    )
    return reports.filter(status=ReportStatus.SUBMITTED) if queue else reports


def report_list_ordering(*, ordering: str = "", queue: bool = False) -> tuple[str, ...]:
    """The order of a list page or of the API's list, for :class:`~apps.core.keyset.Keyset` (which makes it unique
    by the primary key): the review queue's oldest submission first; else ``ordering`` if it is one of
    :data:`~apps.reports.choices.ORDERINGS`, newest seizure first otherwise."""
    if queue:
        return ("submitted_at",)
    return (ordering if ordering in ORDERINGS else DEFAULT_ORDERING,)


def duplicate_candidate_counts(*, user: Actor, report_ids: Iterable[int]) -> dict[int, int]:
    """For a page of reports, how many duplicate candidates each has that the user may be told of (the count must
    not tell of reports out of reach, nor of a conveyance they may not see: :func:`candidates_told`); reports
    without any are left out. One query."""
    rows = (
        candidates_told(user, DuplicateCandidate.objects.filter(report_id__in=list(report_ids)))
        .values("report_id")
        .annotate(candidates=Count("candidate_id", distinct=True))
        .order_by()
    )
    return {row["report_id"]: row["candidates"] for row in rows}


def joint_operations_attachable(*, actor: Actor, administration: Administration | None = None) -> QuerySet[Operation]:
    """The joint operations a report of ``administration`` (the actor's when not given) may be attached to.

    Those open to every region, and those of the region the administration belongs to; a RILO user
    without an administration, those of their region. Every write of a report applies this rule.
    """
    open_to = Q(region__isnull=True)
    administration_id = administration.pk if administration is not None else actor.administration_id
    if administration_id:
        open_to |= Q(region__administrations=administration_id)
    elif actor.region_id:
        open_to |= Q(region_id=actor.region_id)
    return Operation.objects.filter(open_to).order_by("-starts_on", "code")


def report_get(
    *,
    user: Actor,
    pk: int | None = None,
    uuid: uuid_module.UUID | str | None = None,
    action: str = "view",
    with_personal_data: bool = False,
) -> Report:
    """One report the user may take ``action`` on, else :class:`NotFound` (never "forbidden").

    Personal fields (modus operandi, conveyance identifiers) are blanked unless
    ``with_personal_data`` is asked for and the user may see them; such a read is audited.
    ``report.can_view_personal_data`` says whether asking would succeed.
    """
    if pk is None and uuid is None:
        raise NotFound(_("Report not found."))
    reports = _listed(user, action).defer(None).prefetch_related("conveyances")
    lookup: dict[str, Any] = {"pk": pk} if pk is not None else {}
    if uuid is not None:
        try:
            lookup["uuid"] = uuid if isinstance(uuid, uuid_module.UUID) else uuid_module.UUID(str(uuid))
        except ValueError as error:
            raise NotFound(_("Report not found.")) from error
    report = reports.filter(**lookup).first()
    if report is None:
        raise NotFound(_("Report not found."))
    conveyances: list[Conveyance] = list(report.conveyances.all())
    if with_personal_data and report.can_view_personal_data:  # type: ignore[attr-defined]
        audit_record(
            actor=user, action="report.personal_read", obj=report, detail={"fields": ["modus_operandi", "identifier"]}
        )
    else:
        report.modus_operandi = REDACTED
        for conveyance in conveyances:
            conveyance.identifier = REDACTED
    return report


def report_allowed_actions(*, user: Actor, report: Report) -> frozenset[str]:
    """Which of :data:`ACTIONS` the user may take on this report now (one query; for a detail page's buttons)."""
    flags = {action: Exists(Report.objects.restrict(user, action).filter(pk=OuterRef("pk"))) for action in ACTIONS}
    row = Report.objects.filter(pk=report.pk).annotate(**{f"can_{a}": f for a, f in flags.items()}).values()
    values = row.first() or {}
    return frozenset(action for action in ACTIONS if values.get(f"can_{action}"))


def _visible(user: Actor, report: Report) -> None:
    if not Report.objects.restrict(user, "view").filter(pk=report.pk).exists():
        raise NotFound(_("Report not found."))


def _personal_allowed(user: Actor, report: Report) -> bool:
    return Report.objects.restrict(user, "view_personal_data").filter(pk=report.pk).exists()


def parties_for(*, user: Actor, report: Report) -> list[Party]:
    """The persons and companies of a report if the user may see personal data on it (else an empty list).

    A read is recorded in the audit log (identifiers and counts only).
    """
    _visible(user, report)
    if not _personal_allowed(user, report):
        return []
    parties = list(Party.objects.filter(report_id=report.pk).order_by("position", "pk"))
    audit_record(
        actor=user,
        action="report.parties_read",
        obj=report,
        detail={"parties": [party.pk for party in parties]},
    )
    return parties


def party_profiles_for(*, user: Actor, report: Report) -> list[PartyProfile]:
    """The profile of each party (kind, role, nationality, sex, age band at the seizure), for anyone who may see
    the report; nationality, sex and age band (derived from a person's data) only for users who may see the
    report's personal data, as on its web page. Not audited: no identity leaves; the birth date only gives the band."""
    _visible(user, report)
    parties = Party.objects.filter(report_id=report.pk).only(*PROFILE_COLUMNS).order_by("position", "pk")
    profiles = [party_profile(party, on=report.seizure_date) for party in parties]
    if profiles and not _personal_allowed(user, report):
        return [without_person_attributes(profile) for profile in profiles]
    return profiles


def reports_with_personal_data(*, user: Actor, report_ids: Iterable[int]) -> set[int]:
    """Of these reports, those whose personal data the user may see (one query; for a list's page of rows)."""
    return Report.objects.allowed_among(user, "view_personal_data", report_ids)


def attachments_for(*, user: Actor, report: Report) -> list[Attachment]:
    """A report's attachments; those containing personal data only for users entitled to it (read audited)."""
    _visible(user, report)
    attachments = Attachment.objects.filter(report_id=report.pk).order_by("uploaded_at", "pk")
    if not _personal_allowed(user, report):
        return list(attachments.filter(contains_personal_data=False))
    found = list(attachments)
    personal = [attachment.pk for attachment in found if attachment.contains_personal_data]
    if personal:
        audit_record(actor=user, action="report.attachments_read", obj=report, detail={"attachments": personal})
    return found


def attachment_get(*, user: Actor, report: Report, pk: int) -> Attachment:
    """One attachment the user may open (for a download view), else :class:`NotFound`; personal ones are audited."""
    _visible(user, report)
    attachment = Attachment.objects.filter(report_id=report.pk, pk=pk).first()
    if attachment is None:
        raise NotFound(_("Attachment not found."))
    if attachment.contains_personal_data:
        if not _personal_allowed(user, report):
            raise NotFound(_("Attachment not found."))
        audit_record(actor=user, action="report.attachment_open", obj=report, detail={"attachment": attachment.pk})
    return attachment


def duplicate_candidates_for(*, user: Actor, report: Report) -> list[DuplicateCandidate]:
    """Possible duplicates found on submission that the user may be told of (:func:`candidates_told`: reports they
    may see; one found by a conveyance's identifier alone where they may see the personal data of both). Telling
    of one found so is a read of personal data: audited."""
    _visible(user, report)
    candidates = list(
        candidates_told(user, DuplicateCandidate.objects.filter(report_id=report.pk))
        .select_related("candidate", "candidate__administration")
        .order_by("candidate__seizure_date", "candidate_id")
    )
    by_conveyance = [c.candidate for c in candidates if BY_ITEMS not in c.reasons]
    if by_conveyance:  # the identifier of each report read, on each report's record
        candidates_read = [str(other.uuid) for other in by_conveyance]
        read = {"fields": ["identifier"], "duplicate_candidates": candidates_read}
        read_as_candidate = {"fields": ["identifier"], "duplicate_candidate_of": str(report.uuid)}
        audit_records(
            [
                audit_event(actor=user, action="report.personal_read", obj=report, detail=read),
                *(
                    audit_event(actor=user, action="report.personal_read", obj=other, detail=read_as_candidate)
                    for other in by_conveyance
                ),
            ]
        )
    return candidates


def review_events_for(*, user: Actor, report: Report) -> list[ReviewEvent]:
    """The workflow trail, oldest first; comments (free text) blanked for users without personal-data rights."""
    _visible(user, report)
    events = list(ReviewEvent.objects.filter(report_id=report.pk).select_related("actor").order_by("at", "pk"))
    if not _personal_allowed(user, report):
        for event in events:
            event.comment = REDACTED
    return events


def report_statistics(*, user: Actor, filters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Counts and normalised quantities per commodity category and dimension over the reports the user
    may see. Duplicates, drafts and withdrawn reports never count."""
    reports = report_filter(Report.objects.restrict(user, "view").counted(), filters or {})
    rows = (
        ReportItem.objects.filter(report__in=reports.values("pk"))
        .values("commodity_category__code", "commodity_category__label", "normalised_dimension")
        .annotate(
            reports=Count("report", distinct=True),
            items=Count("pk"),
            quantity=Sum("normalised_quantity", filter=~Q(normalised_dimension="")),
        )
        .order_by("commodity_category__code", "normalised_dimension")
    )
    return list(rows)


# --- exceptions to the scope: shares and assigned reviewers --------------------------------------------


@dataclass(frozen=True)
class ReportShare:
    """One administration a report is shared with, read-only, who shared it when (from the audit log), and
    when the share ends (never when ``expires_at`` is None)."""

    administration: Administration
    include_personal_data: bool
    shared_by: User | None
    shared_at: dt.datetime | None
    expires_at: dt.datetime | None = None


def _require(user: Actor, report: Report, action: str) -> None:
    if not Report.objects.restrict(user, action).filter(pk=report.pk).exists():
        raise NotFound(_("Report not found."))


def report_shares_visible(*, user: Actor, report: Report) -> bool:
    """Whether the user may see who a report is shared with: those who may share it, and the RILO staff who see
    every report of its region (e.g. a RILO administrator). Not those it is shared with."""
    return Report.objects.allows(user, "share", report.pk) or Report.objects.allows(user, "view_all", report.pk)


def report_shares(*, user: Actor, report: Report) -> list[ReportShare]:
    """The administrations a report is shared with now (guardian rows on their groups, expired ones left out), for
    those who may see its shares (:func:`report_shares_visible`).

    Who shared and when come from the latest ``report.share`` audit event per administration.
    """
    if not report_shares_visible(user=user, report=report):
        raise NotFound(_("Report not found."))
    rows = unexpired(
        ReportGroupObjectPermission.objects.filter(
            content_object_id=report.pk, permission__codename__in=("view_report", "view_personal_data_report")
        )
    ).values_list("group__name", "permission__codename", "expires_at")
    codenames: dict[int, set[str]] = {}
    expiries: dict[int, dt.datetime] = {}
    for group_name, codename, expires_at in rows:
        tail = group_name.rpartition(":")[2]
        if tail.isdigit() and administration_group_name(int(tail)) == group_name:
            codenames.setdefault(int(tail), set()).add(codename)
            if expires_at is not None and codename == "view_report":
                expiries[int(tail)] = expires_at
    shared_ids = [pk for pk, granted in codenames.items() if "view_report" in granted]
    administrations = list(Administration.objects.filter(pk__in=shared_ids).order_by("name"))
    latest: dict[str, AuditEvent] = {}
    events = AuditEvent.objects.filter(
        action="report.share",
        object_type=Report._meta.label_lower,
        object_id=str(report.pk),
        detail__administration__in=[administration.code for administration in administrations],
    ).select_related("actor")
    for event in events.order_by("-at", "-pk"):
        latest.setdefault(event.detail.get("administration"), event)
    shares = []
    for administration in administrations:
        share_event = latest.get(administration.code)
        shares.append(
            ReportShare(
                administration=administration,
                include_personal_data="view_personal_data_report" in codenames[administration.pk],
                shared_by=share_event.actor if share_event else None,
                shared_at=share_event.at if share_event else None,
                expires_at=expiries.get(administration.pk),
            )
        )
    return shares


def report_share_targets(*, user: Actor, report: Report) -> QuerySet[Administration]:
    """The administrations a report may be shared with: every active one but its own, in any region
    (joint operations cross regions); none for a user who may not share this report."""
    if not Report.objects.restrict(user, "share").filter(pk=report.pk).exists():
        return Administration.objects.none()
    return (
        Administration.objects.filter(active=True)
        .exclude(pk=report.administration_id)
        .select_related("region")
        .order_by("name")
    )


def report_assigned_reviewers(*, user: Actor, report: Report) -> list[User]:
    """The users assigned to review this one report (guardian rows), for those who may assign reviewers."""
    _require(user, report, "assign")
    assigned = ReportUserObjectPermission.objects.filter(
        content_object_id=report.pk, permission__codename="review_report"
    ).values("user_id")
    return list(User.objects.filter(pk__in=assigned).select_related("region").order_by("last_name", "username"))


def report_reviewer_candidates(*, user: Actor, report: Report) -> QuerySet[User]:
    """The RILO analysts ``user`` may assign to review this report; none if they may not assign.

    The rule is the one :func:`apps.reports.services.report_assign_reviewer` applies: any active
    user who may review reports, of any region (a report may need a reviewer from elsewhere).
    Choices are limited to RILO analysts, leaving out ``user`` and those already assigned.
    """
    if not Report.objects.restrict(user, "assign").filter(pk=report.pk).exists():
        return User.objects.none()
    review = Permission.objects.filter(content_type__app_label="reports", codename="review_report")
    assigned = ReportUserObjectPermission.objects.filter(
        content_object_id=report.pk, permission__codename="review_report"
    ).values("user_id")
    reviewers = User.objects.filter(Q(groups__permissions__in=review) | Q(user_permissions__in=review)).values("pk")
    return (
        User.objects.filter(is_active=True, role=Role.RILO_ANALYST, pk__in=reviewers)
        .exclude(pk=user.pk)
        .exclude(pk__in=assigned)
        .select_related("region")
        .order_by("region__name", "last_name", "first_name", "username")
    )
