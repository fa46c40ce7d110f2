"""Seizure and offence reports (DESIGN.md 4.1).

``PERSONAL_FIELDS`` lists, per model (for a report and its parts: as the field catalogue
``apps.reports.catalogue`` tags them), every field that holds personal data (free text counts as
possibly personal); ``NON_PERSONAL_FIELDS`` lists the rest explicitly, so a test can prove that no
field is left untagged. ``REVIEWABLE_FREE_TEXT`` names the personal free text that a partner
without personal data may still receive once the analyst approving a version ticked "Free text
checked: no personal data" (``ReviewEvent.free_text_checked``); everything else personal never goes
to such a partner. The exchange layer reads all three through ``apps.core.personal``.
"""

from __future__ import annotations

from .. import catalogue
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

# The models of a report and its parts are tagged in the field catalogue (``apps.reports.catalogue``);
# the others here.
_REPORT_PERSONAL, _REPORT_NON_PERSONAL, _REPORT_REVIEWABLE = catalogue.personal_tags()

PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    **_REPORT_PERSONAL,
    "Operation": frozenset(),
    "Attachment": frozenset({"original_name", "description", "uploaded_by"}),
    "ReviewEvent": frozenset({"actor", "comment"}),
    "DuplicateCandidate": frozenset(),
    "ReportUserObjectPermission": frozenset({"user"}),
    "ReportGroupObjectPermission": frozenset(),
}

NON_PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    **_REPORT_NON_PERSONAL,
    "Operation": frozenset({"id", "code", "name", "region", "starts_on", "ends_on", "created_at", "updated_at"}),
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
# attributes): personal until the analyst approving a version checks it (``reviewable`` in the
# catalogue). Coded fields are not free text; the modus operandi, concealment details and conveyance
# identifiers stay personal whatever the check says (they describe what people did and which vehicle
# they drove).
REVIEWABLE_FREE_TEXT: dict[str, frozenset[str]] = _REPORT_REVIEWABLE
