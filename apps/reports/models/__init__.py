"""Seizure and offence reports (DESIGN.md 4.1).

``PERSONAL_FIELDS`` lists, per model, every field that holds personal data (free text counts as
possibly personal); ``NON_PERSONAL_FIELDS`` lists the rest explicitly, so a test can prove that no
field is left untagged. ``REVIEWABLE_FREE_TEXT`` names the personal free text that a partner
without personal data may still receive once the analyst approving a version ticked "Free text
checked: no personal data" (``ReviewEvent.free_text_checked``); everything else personal never goes
to such a partner. The exchange layer reads all three through ``apps.core.personal``.
"""

from __future__ import annotations

from .attachments import Attachment
from .items import Conveyance, ReportItem, RouteCountry
from .parties import Party
from .report import Operation, Report, ReportGroupObjectPermission, ReportUserObjectPermission
from .review import DuplicateCandidate, ReviewEvent

__all__ = [
    "NON_PERSONAL_FIELDS",
    "PERSONAL_FIELDS",
    "REVIEWABLE_FREE_TEXT",
    "Attachment",
    "Conveyance",
    "DuplicateCandidate",
    "Operation",
    "Party",
    "Report",
    "ReportGroupObjectPermission",
    "ReportItem",
    "ReportUserObjectPermission",
    "ReviewEvent",
    "RouteCountry",
]

PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    "Operation": frozenset(),
    # Exact coordinates can point at a home: personal, and never cleared by a reviewer's check.
    "Report": frozenset(
        {
            "modus_operandi",
            "customs_office",
            "place",
            "latitude",
            "longitude",
            "created_by",
            "submitted_by",
            "approved_by",
        }
    ),
    "ReportItem": frozenset({"description", "brand", "attributes", "concealment_detail"}),
    "RouteCountry": frozenset({"place"}),
    "Conveyance": frozenset({"identifier"}),
    "Party": frozenset(
        {
            "family_name",
            "given_names",
            "birth_date",
            "nationality",
            "sex",
            "id_document_type",
            "id_document_number",
            "id_document_country",
            "company_name",
            "registration_number",
            "eori",
            "company_country",
        }
    ),
    "Attachment": frozenset({"original_name", "description", "uploaded_by"}),
    "ReviewEvent": frozenset({"actor", "comment"}),
    "DuplicateCandidate": frozenset(),
    "ReportUserObjectPermission": frozenset({"user"}),
    "ReportGroupObjectPermission": frozenset(),
}

NON_PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    "Operation": frozenset({"id", "code", "name", "region", "starts_on", "ends_on", "created_at", "updated_at"}),
    "Report": frozenset(
        {
            "id",
            "uuid",
            "created_at",
            "updated_at",
            "administration",
            "kind",
            "form_variant",
            "national_reference",
            "status",
            "version",
            "seizure_date",
            "seizure_time",
            "country_of_seizure",
            "location_type",
            "direction",
            "transport_mode",
            "conveyance_type",
            "detection_methods",
            "selection_basis",
            "number_of_offenders",
            "legal_follow_up",
            "operation",
            "duplicate_of",
            "submitted_at",
            "approved_at",
            "search_vector",
        }
    ),
    "ReportItem": frozenset(
        {
            "id",
            "report",
            "position",
            "commodity_category",
            "commodity_type",
            "hs_code",
            "quantity",
            "unit",
            "normalised_quantity",
            "normalised_dimension",
            "packages_count",
            "estimated_value",
            "currency",
            "genuineness",
            "country_of_manufacture",
            "concealment_method",
        }
    ),
    "RouteCountry": frozenset({"id", "report", "sequence", "role", "country", "unlocode"}),
    "Conveyance": frozenset({"id", "report", "transport_mode", "conveyance_type", "identifier_type", "flag_country"}),
    "Party": frozenset({"id", "report", "position", "kind", "role"}),
    "Attachment": frozenset(
        {"id", "report", "file", "content_type", "size", "sha256", "contains_personal_data", "shareable", "uploaded_at"}
    ),
    "ReviewEvent": frozenset(
        {"id", "report", "transition", "from_status", "to_status", "version", "free_text_checked", "at"}
    ),
    "DuplicateCandidate": frozenset({"id", "report", "candidate", "reasons", "found_at"}),
    "ReportUserObjectPermission": frozenset({"id", "permission", "content_object"}),
    "ReportGroupObjectPermission": frozenset({"id", "group", "permission", "content_object", "expires_at"}),
}

# Free text typed by officers (names of places and offices, descriptions, brands, commodity
# attributes): personal until the analyst approving a version checks it. Coded fields are not free
# text; the modus operandi, concealment details and conveyance identifiers stay personal whatever
# the check says (they describe what people did and which vehicle they drove).
REVIEWABLE_FREE_TEXT: dict[str, frozenset[str]] = {
    "Report": frozenset({"customs_office", "place"}),
    "ReportItem": frozenset({"description", "brand", "attributes"}),
    "RouteCountry": frozenset({"place"}),
}
