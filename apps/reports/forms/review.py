"""Forms of the review actions: return, approve, withdraw, mark as duplicate, and the reason of a correction."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def free_text_checked_field() -> forms.BooleanField:
    """The approving analyst's "Free text checked: no personal data" tick (approval and correction)."""
    return forms.BooleanField(
        label=_("Free text checked: no personal data"),
        required=False,
        help_text=_(
            "Tick only if you read this version's place, customs office, route places, item descriptions, brands "
            "and attributes and they name no person. Partners without personal data receive this free text only "
            "if you tick it (places only as their country); otherwise it is left out."
        ),
    )


class CorrectionForm(forms.Form):
    """Why an approved report is corrected (recorded with the new version), and whether its free text was checked."""

    reason = forms.CharField(
        label=_("Reason for the correction"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded with the new version and shown to reviewers."),
    )
    free_text_checked = free_text_checked_field()


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("What needs correcting"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required. The authors see this comment."),
    )


class ApproveForm(forms.Form):
    comment = forms.CharField(label=_("Comment (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    free_text_checked = free_text_checked_field()


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for withdrawal"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required. Partners that received the report are told it was withdrawn."),
    )


class DuplicateForm(forms.Form):
    of = forms.CharField(
        label=_("Duplicate of (report UUID)"),
        max_length=64,
        required=False,
        help_text=_("The UUID of the report describing the same seizure, e.g. from the candidates listed."),
    )
    comment = forms.CharField(label=_("Comment (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_of(self) -> str:
        value = (self.cleaned_data.get("of") or "").strip()
        if not value:
            raise ValidationError(_("Give the UUID of the original report."))
        return value
