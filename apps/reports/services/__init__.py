"""Writes on reports: drafting, the review workflow (DESIGN.md 4.2), reports received from partners,
shares and attachments. One public function per operation; all are re-exported here."""

from .attachments import report_attachment_add
from .drafting import report_create_draft, report_update_draft, report_upsert_from_api
from .receiving import report_receive_from_partner
from .sharing import report_assign_reviewer, report_share_with_administration, report_unshare_with_administration
from .workflow import (
    report_approve,
    report_correct,
    report_mark_duplicate,
    report_return,
    report_send_for_review,
    report_withdraw,
)

__all__ = [
    "report_approve",
    "report_assign_reviewer",
    "report_attachment_add",
    "report_correct",
    "report_create_draft",
    "report_mark_duplicate",
    "report_receive_from_partner",
    "report_return",
    "report_send_for_review",
    "report_share_with_administration",
    "report_unshare_with_administration",
    "report_update_draft",
    "report_upsert_from_api",
    "report_withdraw",
]
