"""Forms of the report page's "Joint operation sharing" and "Reviewer" sections, and what those sections show.

The shares (with who shared, when, and when each ends) are shown to those who may share the report and
to the RILO staff who see all of the region's reports; only those who may share get the buttons that end them.

The choices come from the report selectors, so a form only ever offers (and accepts) what the
domain allows this user on this report: another administration is chosen among the active ones
but the report's own, a reviewer among the RILO analysts the assignment rule admits. Each form has
a prefix, so its field ids stay unique on a page that holds several forms.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.core.actor import Actor
from apps.tenancy.models import Administration

from ..models import Report
from ..selectors import (
    report_assigned_reviewers,
    report_reviewer_candidates,
    report_share_targets,
    report_shares,
    report_shares_visible,
)


class AdministrationChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.country.code}) — {obj.region.name}"


class ReviewerChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name() or obj.username
        region = obj.region.name if obj.region_id else "no region"
        return f"{name} ({obj.username}) — {region}"


class ShareForm(forms.Form):
    """Share a report read-only with another administration."""

    prefix = "share"

    administration = AdministrationChoiceField(
        label=_("Administration"),
        queryset=Administration.objects.none(),
        empty_label=_("Choose an administration…"),
        error_messages={
            "required": _("Choose the administration to share the report with."),
            "invalid_choice": _("Choose one of the administrations listed."),
        },
        help_text=_("Its users will be able to read this report, not change it."),
    )
    include_personal_data = forms.BooleanField(
        label=_("Include personal data"),
        required=False,
        help_text=_("Persons, companies, personal attachments and free text. Every reading is recorded."),
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example the joint operation's name."),
    )
    expires_at = forms.DateTimeField(
        label=_("Ends on (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        # Year first only: "03/04/2026 10:00" would end the share in March or in April by the reader's language.
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        error_messages={"invalid": _("Enter a date and time, e.g. 2026-12-31 18:00.")},
        help_text=_("From then on the administration no longer sees the report. Leave empty for no end."),
    )

    def __init__(self, *args: Any, administrations: QuerySet[Administration], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["administration"].queryset = administrations  # type: ignore[attr-defined]


class AssignReviewerForm(forms.Form):
    """Assign a RILO analyst to review one submitted report."""

    prefix = "reviewer"

    reviewer = ReviewerChoiceField(
        label=_("Reviewer"),
        queryset=User.objects.none(),
        empty_label=_("Choose an analyst…"),
        error_messages={
            "required": _("Choose the analyst who will review this report."),
            "invalid_choice": _("Choose one of the analysts listed."),
        },
        help_text=_("They may read, return and approve this report only."),
    )

    def __init__(self, *args: Any, reviewers: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = reviewers  # type: ignore[attr-defined]


def sharing_sections(
    *, user: Actor, report: Report, allowed: frozenset[str], forms: Mapping[str, Any]
) -> dict[str, Any]:
    """The context of the two sections: the shares for users who may see them (with the form and the buttons that
    end them for those who may share), the reviewers for those who may assign.

    ``forms`` may hold a bound ``share_form`` or ``reviewer_form`` to show again with its errors.
    """
    can_share = "share" in allowed
    context: dict[str, Any] = {
        "can_share": can_share,
        "can_see_shares": can_share or report_shares_visible(user=user, report=report),
        "can_assign": "assign" in allowed,
    }
    if context["can_see_shares"]:
        context["shares"] = report_shares(user=user, report=report)
    if can_share:
        context["share_form"] = forms.get("share_form") or ShareForm(
            administrations=report_share_targets(user=user, report=report)
        )
    if context["can_assign"]:
        context["assigned_reviewers"] = report_assigned_reviewers(user=user, report=report)
        context["reviewer_form"] = forms.get("reviewer_form") or AssignReviewerForm(
            reviewers=report_reviewer_candidates(user=user, report=report)
        )
    return context
