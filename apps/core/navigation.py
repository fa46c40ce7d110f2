"""The navigation menu and the home page's next steps, per role.

Each entry names a URL and the permission that makes it useful; an entry whose URL is not
installed yet (a later app) is skipped, so apps extend the menu by adding entries here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .actor import Actor

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


def _in_a_region(user: Actor) -> bool:
    """Whether the user belongs to a region (RILO staff) or to one of its administrations: whose region's
    figures the dashboards show (apps.dashboards.selectors.statistics_scope)."""
    return bool(getattr(user, "region_id", None) or getattr(user, "administration_id", None))


def _in_an_administration(user: Actor) -> bool:
    """Whether the user works for an administration (a page of the administration's own work, such as its
    uploads)."""
    return bool(getattr(user, "administration_id", None))


@dataclass(frozen=True)
class NavEntry:
    # Translated when shown (lazy): the menu is built once, read in each request's language.
    label: str | Promise
    url_name: str
    permission: str | None
    description: str | Promise
    # Who else the entry is for, when a capability does not say it (None: everyone the permission lets through).
    audience: Callable[[Actor], bool] | None = None


ENTRIES: tuple[NavEntry, ...] = (
    NavEntry(_("Home"), "core:home", None, _("What you can do next.")),
    NavEntry(_("Reports"), "reports:list", "reports.view_report", _("Enter and follow seizure and offence reports.")),
    NavEntry(_("Review queue"), "reports:review_queue", "reports.review_report", _("Review submitted reports.")),
    NavEntry(
        _("Bulk upload"),
        "uploads:list",
        "uploads.add_upload",
        _("Upload many reports from a spreadsheet."),
        audience=_in_an_administration,
    ),
    NavEntry(_("My exports"), "jobs:list", "jobs.view_job", _("Large exports made in the background.")),
    NavEntry(_("Dashboards"), "dashboards:index", None, _("What the region's seizures say."), _in_a_region),
    NavEntry(
        _("Partners"), "exchange:partner_list", "exchange.view_partnersystem", _("Partner systems and deliveries.")
    ),
    NavEntry(_("Users"), "accounts:user_list", "accounts.view_user", _("Manage user accounts.")),
    NavEntry(
        _("API tokens"), "accounts:token_list", "accounts.view_apitoken", _("Tokens for partner systems and scripts.")
    ),
    NavEntry(
        _("Administrations"),
        "tenancy:administration_list",
        "tenancy.change_administration",
        _("Manage member administrations."),
    ),
    NavEntry(_("Audit log"), "audit:event_list", "audit.view_auditevent", _("Who did what, who read personal data.")),
    NavEntry(_("Reference data"), "admin:index", "reference.change_commoditytype", _("Edit controlled vocabularies.")),
    NavEntry(_("My account"), "accounts:profile", None, _("Password and two-factor authentication.")),
)


def entries_for(user: Actor | AnonymousUser) -> list[tuple[NavEntry, str]]:
    """The entries this user may use, with their resolved URLs."""
    if not user.is_authenticated:
        return []
    found = []
    for entry in ENTRIES:
        if entry.permission and not user.has_perm(entry.permission):
            continue
        if entry.audience is not None and not entry.audience(user):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        found.append((entry, url))
    return found


def navigation_for(user: Actor | AnonymousUser, current_path: str) -> list[dict[str, Any]]:
    items = []
    for entry, url in entries_for(user):
        current = current_path == url if url == "/" else current_path.startswith(url)
        items.append({"label": entry.label, "url": url, "current": current, "description": entry.description})
    return items
