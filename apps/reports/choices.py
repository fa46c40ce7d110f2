"""Choice lists of the reports app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ReportKind(models.TextChoices):
    SEIZURE = "seizure", pgettext_lazy("report kind", "Seizure")
    OFFENCE = "offence", _("Offence without seizure")


class FormVariant(models.TextChoices):
    SIMPLIFIED = "simplified", _("Simplified (minimal data)")
    FULL = "full", _("Full")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for correction")
    APPROVED = "approved", _("Approved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# States RILO staff may see: everything but drafts.
REVIEWABLE_STATES = frozenset(
    {ReportStatus.SUBMITTED, ReportStatus.RETURNED, ReportStatus.APPROVED, ReportStatus.WITHDRAWN}
)
# States whose reports the statistics count (approved: the default figures; submitted: added on request). A change
# of a report in or out of these states moves the figures (apps.reports.counting).
COUNTED_STATES = (ReportStatus.APPROVED.value, ReportStatus.SUBMITTED.value)
# States in which the author's administration may still edit the report.
EDITABLE_STATES = frozenset({ReportStatus.DRAFT, ReportStatus.RETURNED})


class LegalFollowUp(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    NONE = "none", _("None")
    ADMINISTRATIVE = "administrative", _("Administrative penalty")
    CRIMINAL = "criminal", _("Criminal proceedings")
    SETTLEMENT = "settlement", _("Settlement")
    PENDING = "pending", _("Pending")


class Genuineness(models.TextChoices):
    GENUINE = "genuine", _("Genuine (contraband)")
    COUNTERFEIT = "counterfeit", _("Counterfeit")
    ILLICIT_WHITE = "illicit_white", _("Illicit white")
    UNKNOWN = "unknown", _("Unknown")


class RouteRole(models.TextChoices):
    ORIGIN = "origin", _("Origin")
    DEPARTURE = "departure", _("Departure")
    TRANSIT = "transit", _("Transit")
    DESTINATION = "destination", _("Destination")
    INTENDED_DESTINATION = "intended_destination", _("Intended destination")


class IdentifierType(models.TextChoices):
    IMO = "imo", _("IMO number")
    FLIGHT = "flight", _("Flight number")
    PLATE = "plate", _("Registration plate")
    CONTAINER = "container", _("Container (ISO 6346)")
    AWB = "awb", _("Air waybill")
    POSTAL = "postal", _("Postal item")
    OTHER = "other", _("Other")


class PartyKind(models.TextChoices):
    PERSON = "person", _("Person")
    COMPANY = "company", _("Company")


class PartyRole(models.TextChoices):
    OFFENDER = "offender", _("Offender")
    SUSPECT = "suspect", _("Suspect")
    COURIER = "courier", _("Courier")
    CONSIGNOR = "consignor", _("Consignor")
    CONSIGNEE = "consignee", _("Consignee")
    CARRIER = "carrier", _("Carrier")
    OWNER = "owner", _("Owner")
    DECLARANT = "declarant", _("Declarant")
    OTHER = "other", _("Other")


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    OTHER = "X", _("Other")
    UNKNOWN = "U", _("Unknown")


class IdDocumentType(models.TextChoices):
    PASSPORT = "passport", _("Passport")
    ID_CARD = "id_card", _("Identity card")
    DRIVING_LICENCE = "driving_licence", _("Driving licence")
    RESIDENCE_PERMIT = "residence_permit", _("Residence permit")
    OTHER = "other", _("Other")


class Transition(models.TextChoices):
    CREATE = "create", _("Created")
    SUBMIT = "submit", _("Submitted")
    RETURN = "return", _("Returned for correction")
    RESUBMIT = "resubmit", _("Resubmitted")
    APPROVE = "approve", _("Approved")
    CORRECT = "correct", _("Corrected")
    WITHDRAW = "withdraw", _("Withdrawn")
    MARK_DUPLICATE = "mark_duplicate", _("Marked as duplicate")
    SHARE = "share", _("Shared")
    ASSIGN = "assign", _("Reviewer assigned")


class AgeBand(models.TextChoices):
    """A person's age at the seizure, in bands: what may be shown instead of a birth date (the labels the
    exchange's snapshots use too)."""

    UNDER_18 = "<18", _("Under 18")
    FROM_18 = "18-24", _("18 to 24")
    FROM_25 = "25-34", _("25 to 34")
    FROM_35 = "35-44", _("35 to 44")
    FROM_45 = "45-54", _("45 to 54")
    FROM_55 = "55-64", _("55 to 64")
    FROM_65 = "65+", _("65 and over")


# The orders a report list may be given, on the web and in the API (the one FilterSet offers these): each is
# walked by cursor pages through an index on the field and the key (Report.Meta.indexes), either way.
ORDERING_CHOICES = [
    ("-seizure_date", _("Seizure date, newest first")),
    ("seizure_date", _("Seizure date, oldest first")),
    ("-submitted_at", _("Submitted, newest first")),
    ("submitted_at", _("Submitted, oldest first")),
    ("national_reference", _("Reference")),
]
ORDERINGS = frozenset(value for value, _label in ORDERING_CHOICES)
DEFAULT_ORDERING = "-seizure_date"
