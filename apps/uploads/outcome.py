"""A check's outcome: the findings of its shares (one, or the worker's and its helper's: :mod:`apps.uploads.helper`)
joined in the file's order, and the possible duplicates among them and with what is recorded flagged."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.db.models import Model
from django.utils.translation import gettext as _

from apps.core.actor import Actor

from .candidates import NAMED, Compared
from .cells import Record
from .problems import DUPLICATES, Problem, Problems
from .spool import ReportSpool
from .writing import CheckedReport, Outline


@dataclass
class CheckOutcome:
    """What a check found: the reports ready to write, the problems, the counts and the preview."""

    reports: Sequence[CheckedReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # the first found, up to RILO_UPLOADS_MAX_PROBLEMS
    errors: int = 0  # found, whether kept in ``problems`` or not
    rows_read: int = 0
    new_reports: int = 0
    drafts_updated: int = 0
    rows_with_errors: int = 0
    duplicate_candidates: int = 0
    preview: list[dict[str, Any]] = field(default_factory=list)
    encoding: str = ""  # a CSV's codec as read (that of the encoding chosen, or detected): Upload.detected_encoding
    separator: str = ""
    # Of the reports: what the commit checks before writing any, and the instances they name by label and key.
    outline: Outline = field(default_factory=Outline)
    terms: set[tuple[str, Any]] = field(default_factory=set)

    @property
    def has_errors(self) -> bool:
        return self.errors > 0


@dataclass
class Findings:
    """What one share of a check found (a helper's is handed to the worker's process, which joins them)."""

    problems: Problems
    compared: Compared
    rows_read: int
    numbers: dict[str, int]  # the first share's (the helper's are the same)
    located: dict[str, Record]  # the first share's: the row of every report of the file
    pieces: list[tuple[int, list[bytes], int]] = field(default_factory=list)  # per block: its reports pickled
    known: dict[tuple[str, Any], Model] = field(default_factory=dict)  # the instances they were pickled from
    terms: set[tuple[str, Any]] = field(default_factory=set)  # those instances' labels and keys
    outline: Outline = field(default_factory=Outline)  # of the share's reports
    previews: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # the first few, by number
    new_reports: int = 0
    encoding: str = ""
    separator: str = ""

    def handed(self) -> Findings:
        """What a helper hands over: what the first share lacks. Its reports' pieces name instances by key (read
        back by the worker's process); its outline holds the joint operations named, as instances (pickled whole
        through the helper's own pipe)."""
        return dataclasses.replace(self, numbers={}, located={}, known={})


def joined(shares: Sequence[Findings], *, actor: Actor, progress: Callable[[int, int], None]) -> CheckOutcome:
    """The outcome of a check: its shares' findings (the first the worker's) joined in the file's order, possible
    duplicates flagged; the progress told complete."""
    first = shares[0]
    pieces = sorted((piece for share in shares for piece in share.pieces), key=itemgetter(0))
    spool = ReportSpool.of_pieces(
        (piece for _block, block_pieces, _count in pieces for piece in block_pieces),
        count=sum(count for _block, _pieces, count in pieces),
        known=first.known,
    )
    problems = Problems.joined([share.problems for share in shares])
    outcome = CheckOutcome(
        reports=spool,
        rows_read=first.rows_read,
        new_reports=sum(share.new_reports for share in shares),
        encoding=first.encoding,
        separator=first.separator,
    )
    outcome.drafts_updated = len(spool) - outcome.new_reports
    outcome.outline = Outline.joined(share.outline for share in shares)
    outcome.terms = set().union(*(share.terms for share in shares))
    compared = Compared.joined([share.compared for share in shares])
    _flag_duplicates(compared, first.located, first.numbers, actor=actor, problems=problems)
    outcome.problems = problems.kept
    outcome.errors = problems.errors
    outcome.rows_with_errors = len(problems.error_rows)
    outcome.duplicate_candidates = len(problems.duplicate_reports)
    previews = sorted((preview for share in shares for preview in share.previews), key=itemgetter(0))
    outcome.preview = [preview for _number, preview in previews[: int(settings.RILO_UPLOADS_PREVIEW_REPORTS)]]
    progress(outcome.rows_read, outcome.rows_read)
    return outcome


def _flag_duplicates(
    compared: Compared,
    located: Mapping[str, Record],
    numbers: Mapping[str, int],
    *,
    actor: Actor,
    problems: Problems,
) -> None:
    """Each possible duplicate flagged at its report's row (flagged, never refused), in the file's order."""
    message = _(
        "National reference: %(reference)s may be the same seizure as %(others)s. It will be written; the reviewer "
        "decides."
    )
    found = compared.found(actor)
    for reference in sorted({*found.by_items, *found.by_conveyance}, key=numbers.__getitem__):
        problems.at = (DUPLICATES, numbers[reference])
        if reference in found.by_items:
            others = "; ".join(sorted(found.by_items[reference])[:NAMED])
            problems.duplicate(located[reference], reference, message % {"reference": reference, "others": others})
        if reference in found.by_conveyance:  # a match by personal data: named only to whom may see it
            others = "; ".join(sorted(found.by_conveyance[reference])[:NAMED])
            problems.duplicate(
                located[reference], reference, message % {"reference": reference, "others": others}, personal=True
            )
