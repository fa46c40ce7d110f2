"""The upload templates, made from the field catalogue and the live vocabularies: an XLSX workbook and a CSV.

The workbook's first sheet, "Read me", explains every column of every sheet and of the CSV form (required
ones marked). One sheet per part follows (reports, items, …), each starting with the national reference;
required headers are bold on a coloured ground. Coded columns offer a drop-down of the *active* terms of
their vocabulary (or of the choices, or of the countries) as ``CODE — label``, listed on a hidden "Lists"
sheet: the reader keeps the code (:func:`apps.uploads.values.code`). Typing a code or a label in any language
instead is allowed (Excel only warns). Text and identifier columns are formatted as text (``@``) so that
leading zeros and long numbers survive; date columns as dates. Every cell the template writes holds text, never a
formula, whatever it quotes (a term's code or label starting with "=").

The CSV template is the header row of the CSV form (UTF-8 with a byte-order mark, so that Excel opens it
in the right encoding; comma-separated).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db.models import Model, TextChoices
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_countries import countries
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from apps.core.languages import language_names
from apps.reference.selectors import in_reading_order
from apps.reports.catalogue import Field
from apps.reports.choices import FormVariant

from . import columns as upload_columns
from .columns import Column
from .values import DROPDOWN_SEPARATOR

TEXT_FORMAT = "@"
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "hh:mm"
# Kinds whose cells are text however they look (identifiers, codes typed by hand, free text).
_TEXT_KINDS = frozenset({"text", "longtext", "hs_code", "attributes", "operation"})
_REQUIRED_FILL = PatternFill("solid", fgColor="FFE699")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_BOLD = Font(bold=True)


def _list_key(spec: Field) -> str | None:
    """Which drop-down list a field takes its values from (``None``: no list)."""
    if spec.kind in ("term", "terms") and spec.vocabulary is not None:
        return f"vocabulary:{spec.vocabulary._meta.label_lower}"
    if spec.kind == "choice" and spec.choices is not None:
        return f"choices:{spec.choices.__module__}.{spec.choices.__qualname__}"
    if spec.kind == "country":
        return "countries"
    return None


def _entries(spec: Field) -> list[str]:
    """The drop-down entries of a field: ``CODE — label``, active terms only, in the vocabulary's order."""
    if spec.kind in ("term", "terms") and spec.vocabulary is not None:
        model: type[Model] = spec.vocabulary
        terms = in_reading_order(model.objects.active())  # type: ignore[attr-defined]
        return [f"{term.code}{DROPDOWN_SEPARATOR}{term.localized_label}" for term in terms]
    if spec.kind == "choice" and spec.choices is not None:
        choices: type[TextChoices] = spec.choices
        return [f"{value}{DROPDOWN_SEPARATOR}{label}" for value, label in choices.choices]
    if spec.kind == "country":
        return [f"{code}{DROPDOWN_SEPARATOR}{name}" for code, name in countries]
    return []


def _what_to_enter(column: Column) -> str:
    """The read-me's explanation of what a column takes."""
    spec = column.field
    kind = spec.kind
    if column.key == upload_columns.REFERENCE and column.part != "report":
        explanation = _("The national reference of the report this row belongs to (as on the reports sheet).")
    elif kind == "date":
        explanation = _("A date: a date cell, YYYY-MM-DD or DD/MM/YYYY.")
    elif kind == "time":
        explanation = _("A time: HH:MM.")
    elif kind == "decimal":
        explanation = _("A number, with a decimal point or a decimal comma.")
    elif kind == "integer":
        explanation = _("A whole number.")
    elif kind == "term":
        explanation = _(
            "Choose from the list, or type the code or the label (in one of these languages: %(languages)s)."
        ) % {"languages": language_names()}
    elif kind == "terms":
        explanation = _(
            "Codes or labels (in one of these languages: %(languages)s); separate several with a semicolon (;)."
        ) % {"languages": language_names()}
    elif kind == "choice":
        explanation = _("Choose from the list, or type the value.")
    elif kind == "country":
        explanation = _(
            "Choose from the list, or type the two-letter country code (e.g. FR) or the country's name "
            "(in one of these languages: %(languages)s)."
        ) % {"languages": language_names()}
    elif kind == "hs_code":
        explanation = _("An HS code of 2, 4 or 6 digits, kept as text.")
    elif kind == "attributes":
        explanation = _(
            "The commodity type's attributes as name=value pairs separated by semicolons (purity=80; form=powder), "
            'or a JSON object ({"purity": 80}).'
        )
    elif spec.max_length:
        explanation = ngettext(
            "Text, at most %(count)s character.", "Text, at most %(count)s characters.", spec.max_length
        ) % {"count": spec.max_length}
    else:
        explanation = _("Text.")
    help_text = str(spec.help_text or "")
    return f"{explanation} {help_text}".strip()


def _append(sheet: Worksheet, values: Sequence[Any]) -> None:
    """A row of ``values`` below the sheet's last, its text written as text: openpyxl takes a string starting with
    "=" for a formula, and the lists' entries quote the vocabularies' codes and labels, which RILO's administrators
    edit (the other cells are the catalogue's words, written the same way all the same)."""
    sheet.append(list(values))
    row = sheet.max_row
    for column, value in enumerate(values, start=1):
        if isinstance(value, str):
            sheet.cell(row=row, column=column).data_type = "s"


def _text(sheet: Worksheet, *, row: int, column: int, value: str) -> None:
    """One cell holding ``value`` as text, never as a formula (see :func:`_append`)."""
    sheet.cell(row=row, column=column, value=value).data_type = "s"


def _autosize(sheet: Worksheet, widths: Iterable[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width, 10), 60)


def _read_me(sheet: Worksheet, *, variant: str) -> None:
    label = dict(FormVariant.choices).get(variant, variant)
    _append(sheet, [_("Bulk upload of seizures and offences: %(variant)s form") % {"variant": label}])
    sheet["A1"].font = Font(bold=True, size=14)
    rows = settings.RILO_UPLOAD_MAX_ROWS
    for line in (
        _("One sheet per part of a report. Each row of a sheet after the first holds one report, item, route step, …"),
        _(
            "Every sheet starts with the national reference: it ties items, route steps, conveyances and persons "
            "to their report. A report whose national reference is already a draft of your administration updates "
            "that draft."
        ),
        _("Required columns are marked Yes below, and their headers are bold on a yellow ground."),
        _("Formulas are never read: a cell holding one is reported as an error. Paste values instead."),
        ngettext("At most %(limit)s row per sheet.", "At most %(limit)s rows per sheet.", rows)
        % {"limit": number_format(rows, force_grouping=True)},
        _(
            "The CSV form has one row per item; the report's columns are repeated on each of its item rows. Its "
            "route steps, conveyances and persons or companies go in numbered columns (Route step 1: Country, …), "
            "given once per report on any of its rows. Headers may be the column's label or its key."
        ),
        "",
    ):
        _append(sheet, [line])
    header = [_("Sheet"), _("Column"), _("Key"), _("Required"), _("What to enter")]
    _append(sheet, header)
    for cell in sheet[sheet.max_row]:
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
    for part in upload_columns.sheet_parts(variant=variant):
        for column in upload_columns.sheet_columns(part, variant=variant):
            _append(
                sheet,
                [
                    upload_columns.sheet_title(part),
                    str(column.header),
                    column.key,
                    _("Yes") if column.required else "",
                    _what_to_enter(column),
                ],
            )
    sheet.append([])
    for column in upload_columns.csv_columns(variant=variant):
        _append(
            sheet,
            [_("CSV"), str(column.header), column.key, _("Yes") if column.required else "", _what_to_enter(column)],
        )
    for row in sheet.iter_rows(min_row=len(header) + 4):
        row[-1].alignment = Alignment(wrap_text=True, vertical="top")
    _autosize(sheet, (22, 34, 26, 10, 80))


class _Lists:
    """The hidden sheet of drop-down lists, one column per list, each entry once."""

    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet
        self.ranges: dict[str, str] = {}

    def range_for(self, spec: Field) -> str | None:
        key = _list_key(spec)
        if key is None:
            return None
        if key not in self.ranges:
            entries = _entries(spec)
            if not entries:
                return None
            index = len(self.ranges) + 1
            letter = get_column_letter(index)
            title = spec.vocabulary._meta.verbose_name_plural if spec.vocabulary is not None else spec.label
            _text(self.sheet, row=1, column=index, value=str(title))
            for row, entry in enumerate(entries, start=2):
                _text(self.sheet, row=row, column=index, value=entry)
            self.ranges[key] = f"{quote_sheetname(self.sheet.title)}!${letter}$2:${letter}${len(entries) + 1}"
        return self.ranges[key]


def _part_sheet(sheet: Worksheet, part: str, *, variant: str, lists: _Lists) -> None:
    layout = upload_columns.sheet_columns(part, variant=variant)
    _append(sheet, [str(column.header) for column in layout])
    last_row = settings.RILO_UPLOAD_MAX_ROWS + 1
    for index, column in enumerate(layout, start=1):
        letter = get_column_letter(index)
        header = sheet.cell(row=1, column=index)
        header.font = _BOLD
        header.fill = _REQUIRED_FILL if column.required else _HEADER_FILL
        kind = column.field.kind
        dimension = sheet.column_dimensions[letter]
        if kind in _TEXT_KINDS:
            dimension.number_format = TEXT_FORMAT
        elif kind == "date":
            dimension.number_format = DATE_FORMAT
        elif kind == "time":
            dimension.number_format = TIME_FORMAT
        dimension.width = min(max(len(str(column.header)) + 4, 14), 40)
        source = lists.range_for(column.field)
        if source is not None:
            validation = DataValidation(
                type="list",
                formula1=f"={source}",
                allow_blank=True,
                # A code or a label (in any language) typed by hand is accepted too: Excel warns, never refuses. Several
                # detection methods in one cell are not one entry of the list: no warning there.
                showErrorMessage=kind != "terms",
                errorStyle="warning",
                errorTitle=_("Not in the list"),
                error=_("Not an entry of the list: the upload accepts it only if it is a code or a label."),
            )
            validation.add(f"{letter}2:{letter}{last_row}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "B2"


def template_xlsx(*, variant: str) -> bytes:
    """The XLSX template of ``variant`` ("simplified" or "full"): read-me, one sheet per part, hidden lists."""
    parts = upload_columns.sheet_parts(variant=variant)
    book = Workbook()
    read_me = book.active
    assert read_me is not None  # noqa: S101 (a new workbook has its sheet)
    read_me.title = str(upload_columns.READ_ME_SHEET)[:31]
    sheets = {part: book.create_sheet(upload_columns.sheet_title(part)) for part in parts}
    lists = _Lists(book.create_sheet(str(upload_columns.LISTS_SHEET)[:31]))
    lists.sheet.sheet_state = "hidden"
    _read_me(read_me, variant=variant)
    for part, sheet in sheets.items():
        _part_sheet(sheet, part, variant=variant, lists=lists)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def template_csv(*, variant: str) -> bytes:
    """The CSV template of ``variant``: the header row of the CSV form (UTF-8 with a byte-order mark)."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerow([str(column.header) for column in upload_columns.csv_columns(variant=variant)])
    return buffer.getvalue().encode("utf-8-sig")
