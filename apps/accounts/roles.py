"""Role groups and the capabilities (model permissions) each one holds.

This catalogue is the single source of the first permission layer. A data migration creates
the groups; ``sync_role_permissions`` (run after every ``migrate``) gives each group the
permissions listed here that exist, so apps added later extend a role by adding lines here.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OFFICER = "officer", _("Officer")
    NATIONAL_COORDINATOR = "national_coordinator", _("National coordinator")
    RILO_ANALYST = "rilo_analyst", _("RILO analyst")
    RILO_ADMINISTRATOR = "rilo_administrator", _("RILO administrator")
    PARTNER_SYSTEM = "partner_system", _("Partner system")
    AUDITOR = "auditor", _("Auditor")


ADMINISTRATION_ROLES = frozenset({Role.OFFICER, Role.NATIONAL_COORDINATOR})
RILO_ROLES = frozenset({Role.RILO_ANALYST, Role.RILO_ADMINISTRATOR, Role.AUDITOR})
SYSTEM_ROLES = frozenset({Role.PARTNER_SYSTEM})
# RILO staff and national coordinators (who manage accounts and tokens) must use two-factor
# authentication; officers may.
TWO_FACTOR_REQUIRED = frozenset({Role.NATIONAL_COORDINATOR, Role.RILO_ANALYST, Role.RILO_ADMINISTRATOR, Role.AUDITOR})

_VOCABULARY_MODELS = (
    "enforcementarea",
    "commoditycategory",
    "commoditytype",
    "detectionmethod",
    "selectionbasis",
    "concealmentmethod",
    "conveyancetype",
    "locationtype",
    "direction",
    "transportmode",
    "unit",
    "currency",
    "hscode",
)
_VIEW_VOCABULARIES = tuple(f"reference.view_{m}" for m in _VOCABULARY_MODELS)
_EDIT_VOCABULARIES = tuple(f"reference.{verb}_{m}" for m in _VOCABULARY_MODELS for verb in ("add", "change", "delete"))
# Every person sees and revokes their own API tokens (and issues them, from a verified session:
# apps.accounts.services.token_issue); ApiTokenQuerySet.scope says whose tokens beyond their own.
_OWN_API_TOKENS = ("accounts.view_apitoken", "accounts.change_apitoken")
# Managers also issue tokens for the partner-system accounts they manage ("add"), never for a person.
_MANAGE_API_TOKENS = (*_OWN_API_TOKENS, "accounts.add_apitoken")

# Everyone sees their own background jobs (large exports) and only those: JobQuerySet.restrict.
_OWN_JOBS = ("jobs.view_job",)

# An administration's staff and its national system upload spreadsheets of reports; they see, commit and cancel
# their administration's uploads (UploadQuerySet.scope). RILO staff do not: uploads hold drafts.
_UPLOADS = ("uploads.add_upload", "uploads.view_upload", "uploads.change_upload")

# Reports (apps.reports): capabilities per role; scope is decided by ReportQuerySet.scope.
_REPORT_AUTHOR = (
    "reports.add_report",
    "reports.change_report",
    "reports.view_report",
    "reports.submit_report",
    "reports.export_report",
    # officers see the personal data of their own administration's reports (they typed it)
    "reports.view_personal_data_report",
)
_REPORT_REVIEWER = (
    "reports.view_report",
    "reports.view_all_report",
    "reports.review_report",
    "reports.approve_report",
    "reports.correct_report",
    "reports.withdraw_report",
    "reports.mark_duplicate_report",
    "reports.share_report",
    "reports.assign_report",
    "reports.export_report",
    "reports.view_personal_data_report",
)

# Exchange (apps.exchange): analysts of the region watch partners and deliveries; administrators
# manage partners and policies and act on deliveries (replay). Scope: PartnerSystemQuerySet.scope.
_EXCHANGE_VIEW = (
    "exchange.view_partnersystem",
    "exchange.view_sharingpolicy",
    "exchange.view_delivery",
    "exchange.view_outboxevent",
    "exchange.view_crossregionagreement",
)
_EXCHANGE_MANAGE = (
    "exchange.add_partnersystem",
    "exchange.change_partnersystem",
    "exchange.add_sharingpolicy",
    "exchange.change_delivery",
    # ask another region for its reports, and decide on what other regions ask of this one
    "exchange.add_crossregionagreement",
    "exchange.change_crossregionagreement",
    # a capability of its own: letting personal data go to a partner (audited, auditors told)
    "exchange.allow_personal_data_partnersystem",
)

# A national system (a partner system account attached to an administration) pushes its
# administration's reports through the API; other partner systems have no administration, so
# ReportQuerySet.scope gives them no report whatever these capabilities say.
_REPORT_PUSH = (
    "reports.add_report",
    "reports.change_report",
    "reports.view_report",
    "reports.submit_report",
    "reports.view_personal_data_report",
)

# The regional dashboards' figures (apps.dashboards): everyone of a region reads them; SummaryQuerySet.scope says
# which region's, PersonSummaryQuerySet.scope who of them the person-derived ones.
_STATISTICS = tuple(
    f"dashboards.view_{m}"
    for m in (
        "reportsummary",
        "itemsummary",
        "regionreportsummary",
        "regionitemsummary",
        "personsummary",
        "largestitem",
    )
)

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.OFFICER: (
        *_OWN_JOBS,
        "tenancy.view_region",
        "tenancy.view_administration",
        *_OWN_API_TOKENS,
        *_VIEW_VOCABULARIES,
        *_STATISTICS,
        *_REPORT_AUTHOR,
        *_UPLOADS,
    ),
    Role.NATIONAL_COORDINATOR: (
        *_OWN_JOBS,
        "tenancy.view_region",
        "tenancy.view_administration",
        "tenancy.manage_users_administration",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        *_MANAGE_API_TOKENS,
        *_VIEW_VOCABULARIES,
        *_STATISTICS,
        *_REPORT_AUTHOR,
        "reports.correct_report",
        "reports.share_report",
        *_UPLOADS,
    ),
    Role.RILO_ANALYST: (
        *_OWN_JOBS,
        "tenancy.view_region",
        "tenancy.view_administration",
        *_OWN_API_TOKENS,
        *_VIEW_VOCABULARIES,
        *_STATISTICS,
        *_REPORT_REVIEWER,
        *_EXCHANGE_VIEW,
    ),
    Role.RILO_ADMINISTRATOR: (
        *_OWN_JOBS,
        "tenancy.view_region",
        "tenancy.view_administration",
        "tenancy.add_administration",
        "tenancy.change_administration",
        "tenancy.manage_users_administration",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        *_MANAGE_API_TOKENS,
        *_VIEW_VOCABULARIES,
        *_STATISTICS,
        *_EDIT_VOCABULARIES,
        "reports.view_report",
        "reports.view_all_report",
        *_EXCHANGE_VIEW,
        *_EXCHANGE_MANAGE,
    ),
    # Partner systems read their own feed and push reports in (apps.exchange.api); national systems
    # (attached to an administration) also push and submit their administration's reports (reports API).
    Role.PARTNER_SYSTEM: (
        *_VIEW_VOCABULARIES,
        *_STATISTICS,
        "exchange.view_delivery",
        "exchange.add_reportprovenance",
        *_REPORT_PUSH,
        *_UPLOADS,
    ),
    Role.AUDITOR: (
        *_OWN_JOBS,
        "tenancy.view_region",
        "tenancy.view_administration",
        "accounts.view_user",
        *_OWN_API_TOKENS,
        *_VIEW_VOCABULARIES,
        *_STATISTICS,
        "audit.view_auditevent",
    ),
}


def sync_role_permissions(sender: Any = None, *, apps: Any = None, using: str = "default", **kwargs: Any) -> None:
    """Create the role groups and grant each one the catalogue's permissions that exist.

    Idempotent; runs after every ``migrate`` (post_migrate) so permissions of apps migrated later
    are picked up. Permissions the catalogue no longer lists are removed from the role.
    """
    from django.contrib.auth.models import Group, Permission

    wanted_by_role = {role: set(perms) for role, perms in ROLE_PERMISSIONS.items()}
    all_wanted = set().union(*wanted_by_role.values())
    by_name: dict[str, Permission] = {}
    app_labels = {name.split(".", 1)[0] for name in all_wanted}
    for perm in (
        Permission.objects.using(using).filter(content_type__app_label__in=app_labels).select_related("content_type")
    ):
        by_name[f"{perm.content_type.app_label}.{perm.codename}"] = perm
    for role, wanted in wanted_by_role.items():
        group, _ = Group.objects.using(using).get_or_create(name=str(role))
        group.permissions.set([by_name[name] for name in sorted(wanted) if name in by_name])
