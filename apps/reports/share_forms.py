"""Forms of the report page's "Joint operation sharing" and "Reviewer" sections, and what those sections show.

The choices come from the report selectors, so a form only ever offers (and accepts) what the
domain allows this user on this report: another administration is chosen among the active ones
but the report's own, a reviewer among the RILO analysts the assignment rule admits. Each form has
a prefix, so its field ids stay unique on a page that holds several forms.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from apps.accounts.models import User
from apps.tenancy.models import Administration

from .models import Report
from .selectors import (
    report_assigned_reviewers,
    report_reviewer_candidates,
    report_share_targets,
    report_shares,
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
        label="Administration",
        queryset=Administration.objects.none(),
        empty_label="Choose an administration…",
        error_messages={
            "required": "Choose the administration to share the report with.",
            "invalid_choice": "Choose one of the administrations listed.",
        },
        help_text="Its users will be able to read this report, not change it.",
    )
    include_personal_data = forms.BooleanField(
        label="Include personal data",
        required=False,
        help_text="Persons, companies, personal attachments and free text. Every reading is recorded.",
    )
    comment = forms.CharField(
        label="Comment (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example the joint operation's name.",
    )

    def __init__(self, *args: Any, administrations: QuerySet[Administration], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["administration"].queryset = administrations  # type: ignore[attr-defined]


class AssignReviewerForm(forms.Form):
    """Assign a RILO analyst to review one submitted report."""

    prefix = "reviewer"

    reviewer = ReviewerChoiceField(
        label="Reviewer",
        queryset=User.objects.none(),
        empty_label="Choose an analyst…",
        error_messages={
            "required": "Choose the analyst who will review this report.",
            "invalid_choice": "Choose one of the analysts listed.",
        },
        help_text="They may read, return and approve this report only.",
    )

    def __init__(self, *args: Any, reviewers: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = reviewers  # type: ignore[attr-defined]


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ``ValidationError`` beside the fields it names (elsewhere: at the top of the form)."""
    if hasattr(error, "error_dict"):
        for field, texts in error.message_dict.items():
            for text in texts:
                form.add_error(field if field in form.fields else None, text)
    else:
        for text in error.messages:
            form.add_error(None, text)


def sharing_sections(*, user: Any, report: Report, allowed: frozenset[str], forms: Mapping[str, Any]) -> dict[str, Any]:
    """The context of the two sections, for users allowed to share or assign (nothing is queried otherwise).

    ``forms`` may hold a bound ``share_form`` or ``reviewer_form`` to show again with its errors.
    """
    context: dict[str, Any] = {"can_share": "share" in allowed, "can_assign": "assign" in allowed}
    if context["can_share"]:
        context["shares"] = report_shares(user=user, report=report)
        context["share_form"] = forms.get("share_form") or ShareForm(
            administrations=report_share_targets(user=user, report=report)
        )
    if context["can_assign"]:
        context["assigned_reviewers"] = report_assigned_reviewers(user=user, report=report)
        context["reviewer_form"] = forms.get("reviewer_form") or AssignReviewerForm(
            reviewers=report_reviewer_candidates(user=user, report=report)
        )
    return context
