"""Reads of uploads: every read starts from ``Upload.objects.restrict(user)`` (their administration's)."""

from __future__ import annotations

import copy
import uuid as uuid_module
from collections.abc import Iterable
from functools import cache

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.core.actor import Actor
from apps.core.caches import process_cache_register
from apps.core.exceptions import NotFound
from apps.reports import catalogue

from .choices import ProblemKind
from .columns import part_for_sheet
from .models import Upload, UploadProblem

# The right to see the personal data shown only to those who may (catalogue fields marked ``restricted``).
PERSONAL_DATA_PERMISSION = "reports.view_personal_data_report"
# An audit event names at most this many problems read (and always how many).
AUDITED_PROBLEM_IDS = 100


def upload_list(*, user: Actor) -> QuerySet[Upload]:
    """The uploads of the user's administration, newest first (``-created_at, -pk``: the order the list page's
    keyset and the API's pages cut), never sliced here: every upload is reachable a page at a time."""
    return Upload.objects.restrict(user, "view").select_related("uploaded_by").order_by("-created_at", "-pk")


def upload_get(*, user: Actor, uuid: uuid_module.UUID | str, action: str = "view") -> Upload:
    """One upload the user may ``action``, else :class:`NotFound` (another administration's upload does not
    exist for them)."""
    try:
        key = uuid if isinstance(uuid, uuid_module.UUID) else uuid_module.UUID(str(uuid))
    except ValueError as error:
        raise NotFound(_("Upload not found.")) from error
    upload = Upload.objects.restrict(user, action).filter(uuid=key).first()
    if upload is None:
        raise NotFound(_("Upload not found."))
    return upload


def upload_problems(
    *, upload: Upload, kind: str | None = None, sheet: str | None = None, row: int | None = None
) -> QuerySet[UploadProblem]:
    """The problems of an upload already read through :func:`upload_get`, in file order; only those of ``kind``,
    of ``sheet`` (as the file names it: a workbook's sheet, or "CSV") or of the file's ``row`` when given."""
    problems = UploadProblem.objects.filter(upload=upload)
    if kind is not None:
        problems = problems.filter(kind=kind)
    if sheet is not None:
        problems = problems.filter(sheet=sheet)
    if row is not None:
        problems = problems.filter(row=row)
    return problems.order_by("pk")


def upload_errors(*, upload: Upload) -> QuerySet[UploadProblem]:
    return upload_problems(upload=upload, kind=ProblemKind.ERROR)


def upload_duplicates(*, upload: Upload) -> QuerySet[UploadProblem]:
    return upload_problems(upload=upload, kind=ProblemKind.DUPLICATE)


def may_see_personal_data(user: Actor) -> bool:
    """Whether ``user`` may see the personal data shown only with the right to (a party's cells, the modus
    operandi, a conveyance's identifier, a concealment's detail), as on a report's pages."""
    return bool(user.has_perm(PERSONAL_DATA_PERMISSION))


@cache
def _restricted_names() -> dict[str, frozenset[str]]:
    return {part: frozenset(catalogue.names(part, restricted=True)) for part in ("report", *catalogue.ROW_PARTS)}


process_cache_register("uploads.selectors.restricted_names", _restricted_names.cache_clear)


def problem_is_personal(problem: UploadProblem) -> bool:
    """Whether ``problem`` names personal data: a possible duplicate found by it (see ``UploadProblem.personal``),
    or a problem at a cell of a restricted field, whose message may quote what was typed there (a name, a document
    number). The sheet says the part (XLSX); a CSV row mixes parts, so there a field name
    restricted in any part counts."""
    if problem.personal:  # a possible duplicate found by a conveyance's identifier
        return True
    if not problem.field:
        return False
    restricted = _restricted_names()
    part = part_for_sheet(problem.sheet) if problem.sheet else None
    if part is not None:
        return problem.field in restricted.get(part, frozenset())
    return any(problem.field in names for names in restricted.values())


def _withheld_message(problem: UploadProblem) -> str:
    if problem.kind == ProblemKind.DUPLICATE:
        return _(
            "A possible duplicate found by personal data, which you may not see: it is named only to a user who may "
            "see personal data."
        )
    return _(
        "This cell holds personal data, which you may not see: what is wrong with it is shown only to a user who "
        "may see personal data."
    )


def upload_problems_seen(*, user: Actor, upload: Upload, problems: Iterable[UploadProblem]) -> list[UploadProblem]:
    """``problems`` of ``upload`` (read through :func:`upload_get`) as ``user`` may read them.

    A problem at a cell of personal data (:func:`problem_is_personal`) may quote what was typed there. Without the
    right to see personal data its message is withheld (its sheet, row and column stay: where to look); with it,
    the read is audited (``upload.personal_read``), as reading a report's personal data is. The problems returned
    for display are copies: nothing is saved."""
    shown = list(problems)
    personal = [index for index, problem in enumerate(shown) if problem_is_personal(problem)]
    if not personal:
        return shown
    if may_see_personal_data(user):
        ids = [shown[index].pk for index in personal]
        audit_record(
            actor=user,
            action="upload.personal_read",
            obj=upload,
            detail={"problems": len(ids), "problem_ids": ids[:AUDITED_PROBLEM_IDS]},
        )
        return shown
    for index in personal:
        withheld = copy.copy(shown[index])
        withheld.message = _withheld_message(withheld)
        shown[index] = withheld
    return shown
