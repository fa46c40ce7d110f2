"""Forms of the report pages, one module per page.

- :mod:`.entry`: the entry forms (the case and one form and formset per part);
- :mod:`.attributes`: an item's commodity-specific attributes as fields, from its type's schema;
- :mod:`.entry_page`: the whole entry page (:class:`ReportEntry`), its layout and initial values;
- :mod:`.review`: the review actions (return, approve, withdraw, duplicate, correction reason);
- :mod:`.attachments`: the attachment form;
- :mod:`.share`: the "Joint operation sharing" and "Reviewer" sections.

Every public name is importable from here, as ``apps.reports.forms.<Name>``.
"""

from .attachments import AttachmentForm
from .entry import (
    COUNTRY_FIELDS,
    FORMSETS,
    PART_FORMS,
    PART_TITLES,
    PARTS,
    ROW_REQUIRED,
    SIMPLIFIED_FIELDS,
    CaseForm,
    ConveyanceForm,
    EntryForm,
    ItemForm,
    PartyForm,
    RouteForm,
    commodity_types_of,
)
from .entry_page import (
    CASE_GROUPS,
    FieldView,
    ReportEntry,
    RowView,
    SectionView,
    SummaryEntry,
    build_row,
    entry_as_data,
    initial_from_report,
    payload_as_querydict,
)
from .review import (
    ApproveForm,
    CorrectionForm,
    DuplicateForm,
    ReturnForm,
    WithdrawForm,
    free_text_checked_field,
)
from .share import (
    AdministrationChoiceField,
    AssignReviewerForm,
    ReviewerChoiceField,
    ShareForm,
    sharing_sections,
)

__all__ = [
    "CASE_GROUPS",
    "COUNTRY_FIELDS",
    "FORMSETS",
    "PARTS",
    "PART_FORMS",
    "PART_TITLES",
    "ROW_REQUIRED",
    "SIMPLIFIED_FIELDS",
    "AdministrationChoiceField",
    "ApproveForm",
    "AssignReviewerForm",
    "AttachmentForm",
    "CaseForm",
    "ConveyanceForm",
    "CorrectionForm",
    "DuplicateForm",
    "EntryForm",
    "FieldView",
    "ItemForm",
    "PartyForm",
    "ReportEntry",
    "ReturnForm",
    "ReviewerChoiceField",
    "RouteForm",
    "RowView",
    "SectionView",
    "ShareForm",
    "SummaryEntry",
    "WithdrawForm",
    "build_row",
    "commodity_types_of",
    "entry_as_data",
    "free_text_checked_field",
    "initial_from_report",
    "payload_as_querydict",
    "sharing_sections",
]
