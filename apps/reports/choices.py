"""Choice lists of the reports app."""

from __future__ import annotations

from django.db import models


class ReportKind(models.TextChoices):
    SEIZURE = "seizure", "Seizure"
    OFFENCE = "offence", "Offence without seizure"


class FormVariant(models.TextChoices):
    SIMPLIFIED = "simplified", "Simplified (minimal data)"
    FULL = "full", "Full"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    RETURNED = "returned", "Returned for correction"
    APPROVED = "approved", "Approved"
    WITHDRAWN = "withdrawn", "Withdrawn"


# States RILO staff may see: everything but drafts.
REVIEWABLE_STATES = frozenset(
    {ReportStatus.SUBMITTED, ReportStatus.RETURNED, ReportStatus.APPROVED, ReportStatus.WITHDRAWN}
)
# States in which the author's administration may still edit the report.
EDITABLE_STATES = frozenset({ReportStatus.DRAFT, ReportStatus.RETURNED})


class LegalFollowUp(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    NONE = "none", "None"
    ADMINISTRATIVE = "administrative", "Administrative penalty"
    CRIMINAL = "criminal", "Criminal proceedings"
    SETTLEMENT = "settlement", "Settlement"
    PENDING = "pending", "Pending"


class Genuineness(models.TextChoices):
    GENUINE = "genuine", "Genuine (contraband)"
    COUNTERFEIT = "counterfeit", "Counterfeit"
    ILLICIT_WHITE = "illicit_white", "Illicit white"
    UNKNOWN = "unknown", "Unknown"


class RouteRole(models.TextChoices):
    ORIGIN = "origin", "Origin"
    DEPARTURE = "departure", "Departure"
    TRANSIT = "transit", "Transit"
    DESTINATION = "destination", "Destination"
    INTENDED_DESTINATION = "intended_destination", "Intended destination"


class IdentifierType(models.TextChoices):
    IMO = "imo", "IMO number"
    FLIGHT = "flight", "Flight number"
    PLATE = "plate", "Registration plate"
    CONTAINER = "container", "Container (ISO 6346)"
    AWB = "awb", "Air waybill"
    POSTAL = "postal", "Postal item"
    OTHER = "other", "Other"


class PartyKind(models.TextChoices):
    PERSON = "person", "Person"
    COMPANY = "company", "Company"


class PartyRole(models.TextChoices):
    OFFENDER = "offender", "Offender"
    SUSPECT = "suspect", "Suspect"
    COURIER = "courier", "Courier"
    CONSIGNOR = "consignor", "Consignor"
    CONSIGNEE = "consignee", "Consignee"
    CARRIER = "carrier", "Carrier"
    OWNER = "owner", "Owner"
    DECLARANT = "declarant", "Declarant"
    OTHER = "other", "Other"


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    OTHER = "X", "Other"
    UNKNOWN = "U", "Unknown"


class IdDocumentType(models.TextChoices):
    PASSPORT = "passport", "Passport"
    ID_CARD = "id_card", "Identity card"
    DRIVING_LICENCE = "driving_licence", "Driving licence"
    RESIDENCE_PERMIT = "residence_permit", "Residence permit"
    OTHER = "other", "Other"


class Transition(models.TextChoices):
    CREATE = "create", "Created"
    SUBMIT = "submit", "Submitted"
    RETURN = "return", "Returned for correction"
    RESUBMIT = "resubmit", "Resubmitted"
    APPROVE = "approve", "Approved"
    CORRECT = "correct", "Corrected"
    WITHDRAW = "withdraw", "Withdrawn"
    MARK_DUPLICATE = "mark_duplicate", "Marked as duplicate"
    SHARE = "share", "Shared"
    ASSIGN = "assign", "Reviewer assigned"


class AgeBand(models.TextChoices):
    """A person's age at the seizure, in bands: what may be shown instead of a birth date (the labels the
    exchange's snapshots use too)."""

    UNDER_18 = "<18", "Under 18"
    FROM_18 = "18-24", "18 to 24"
    FROM_25 = "25-34", "25 to 34"
    FROM_35 = "35-44", "35 to 44"
    FROM_45 = "45-54", "45 to 54"
    FROM_55 = "55-64", "55 to 64"
    FROM_65 = "65+", "65 and over"


# The orders a report list may be given, on the web and in the API (the one FilterSet offers these): each is
# walked by cursor pages through an index on the field and the key (Report.Meta.indexes), either way.
ORDERING_CHOICES = [
    ("-seizure_date", "Seizure date, newest first"),
    ("seizure_date", "Seizure date, oldest first"),
    ("-submitted_at", "Submitted, newest first"),
    ("submitted_at", "Submitted, oldest first"),
    ("national_reference", "Reference"),
]
ORDERINGS = frozenset(value for value, _ in ORDERING_CHOICES)
DEFAULT_ORDERING = "-seizure_date"
