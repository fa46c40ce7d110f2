"""A cell's raw content turned into the value the one validator (:mod:`apps.reports.validation`) expects.

Per catalogue input kind:

- dates: a date cell (an Excel serial number, 1900 or 1904 system), ``YYYY-MM-DD`` (a time after it is
  dropped), ``DD/MM/YYYY``, ``DD.MM.YYYY`` or ``DD-MM-YYYY`` become a :class:`datetime.date`; times: an Excel
  fraction of a day becomes a :class:`datetime.time`;
- numbers: a numeric cell is the number it holds; a text cell is read by the one rule of forms and the API
  (:mod:`apps.core.numbers`: ``1234,5``, ``1 234,5`` and ``1,234.5`` are read, ``1,234`` is refused as
  ambiguous) into a :class:`~decimal.Decimal`; whole numbers an ``int``;
- vocabulary terms, choices and countries stay the text typed (the validator resolves a code or an
  English label, case aside); a template's drop-down value ``CODE — label`` gives its code; several
  detection methods are separated by ``;`` or new lines;
- commodity attributes: a JSON object, or ``name=value`` pairs separated by ``;`` (a value that reads as
  JSON, a number or ``true``, is taken as such);
- text stays as typed, leading ``= + - @`` included: it is stored as text, and the exports neutralise it.

Whatever does not convert is handed over as typed, and the validator says what is wrong with it in the
words the web form uses. Nothing here queries the database.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import sys
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.utils import translation
from django.utils.translation import gettext, pgettext

from apps.core.caches import ProcessCache, process_cache, process_cache_register
from apps.core.languages import offered_languages
from apps.core.numbers import NumberError, parse_decimal, parse_integer, within_bounds
from apps.reports.catalogue import Field

Converter = Callable[[Any], Any]

# A template's drop-down offers "CODE — label": the code is what the validator needs.
DROPDOWN_SEPARATOR = " — "
EXCEL_EPOCH_1900 = dt.date(1899, 12, 30)  # serial 1 is 1900-01-01, counting Excel's 1900-02-29
EXCEL_EPOCH_1904 = dt.date(1904, 1, 1)
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_TERM_SEPARATORS = re.compile(r"[;\n\r]+")


class ExcelNumber(str):
    """The text of a numeric XLSX cell (``"45123"``, ``"12.5"``) as the sheet XML holds it: a date serial in a
    date column, a number in a number column, text elsewhere."""

    __slots__ = ()


# Excel stores numbers as doubles and shows at most 15 significant digits: a cell typed 79.243 is stored as
# 79.24299999999999, which the validator would refuse (more than 3 decimal places). A cell's number is taken as
# Excel shows it.
_EXCEL_DIGITS = 15


def _as_shown(number: str) -> str:
    """A number of a cell's XML or a float's repr rounded to the digits Excel shows; whole numbers as written
    (they are exact up to 2**53, and identifiers typed as numbers must not change)."""
    if "." not in number and "e" not in number and "E" not in number:
        return number
    try:
        value = float(number)
    except ValueError:
        return number
    if not math.isfinite(value):
        return number
    shown = format(value, f".{_EXCEL_DIGITS}g")
    if "e" in shown:
        shown = format(Decimal(shown), "f")  # 1e-05 as 0.00001: text, as the cell shows it
    return shown


def _as_text(raw: Any) -> str:
    """A cell as text: a number as typed (a whole one without a fraction), a date as ``YYYY-MM-DD``."""
    kind = type(raw)
    if kind is str:
        return raw  # type: ignore[no-any-return]
    if kind is ExcelNumber:
        # Excel writes whole numbers without a fraction; other writers may add ".0".
        return _as_shown(str.__str__(raw[:-2] if raw.endswith(".0") else raw))
    if kind is float:
        return str(int(raw)) if raw.is_integer() else _as_shown(repr(raw))
    if kind is dt.datetime:
        return raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat(sep=" ")
    if kind in (dt.date, dt.time):
        return raw.isoformat()  # type: ignore[no-any-return]
    return str(raw)


def text(raw: Any) -> str:
    """Free text as typed."""
    return _as_text(raw)


def hs_code(raw: Any) -> str:
    """An HS code; a number that lost its leading zero (``901`` for ``0901``) gets it back."""
    value = _as_text(raw)
    if type(raw) is not str and value.isdigit() and len(value) % 2:
        return "0" + value
    return value


# The codes of short texts read (a file repeats a few codes in every row): emptied when full.
_codes: ProcessCache[str, str] = process_cache("uploads.values.codes", limit=4096)
_CODE_CACHED_LENGTH = 64  # a longer text is no code a file repeats: not kept


def code(raw: Any) -> str:
    """A term, choice or country: the text typed, or the code of a template drop-down's ``CODE — label``.

    Interned: a file repeats a few codes in every row, and its rows are all held until checked (one string per
    code, not one per cell)."""
    kept = type(raw) is str and len(raw) <= _CODE_CACHED_LENGTH
    if kept and (known := _codes.get(raw)) is not None:
        return known
    value = _as_text(raw).strip()
    if DROPDOWN_SEPARATOR in value:
        value = value.partition(DROPDOWN_SEPARATOR)[0].strip()
    value = sys.intern(value)
    if kept:
        _codes.put(raw, value)
    return value


def codes(raw: Any) -> list[str]:
    """Several terms separated by ``;`` or new lines."""
    return [code(part) for part in _TERM_SEPARATORS.split(_as_text(raw)) if part.strip()]


def decimal(raw: Any) -> Decimal | str:
    """A number with a decimal point or comma; as typed when it is none."""
    kind = type(raw)
    if kind is float:
        number = Decimal(_as_shown(repr(raw))) if math.isfinite(raw) else None
        return number if number is not None and within_bounds(number) else repr(raw)
    if kind is int:
        return Decimal(raw)
    if kind is ExcelNumber:
        try:
            number = Decimal(_as_shown(str.__str__(raw)))
        except InvalidOperation:
            return str.__str__(raw)
        # "NaN", "Infinity" or 1E999999999 written in a workbook's XML: no number (and no int() of it).
        return number if within_bounds(number) else str.__str__(raw)
    typed = _as_text(raw)
    try:
        return parse_decimal(typed)
    except NumberError:
        return typed  # the validator reads it again and says how to write it


def integer(raw: Any) -> int | str:
    """A whole number (``12``, ``12.0``, ``1 200``); as typed when it is none."""
    kind = type(raw)
    if kind is int:
        return raw  # type: ignore[no-any-return]
    if kind in (ExcelNumber, float):
        number = decimal(raw)
        if isinstance(number, Decimal) and number == number.to_integral_value():
            return int(number)
        return _as_text(raw)
    typed = _as_text(raw)
    try:
        return parse_integer(typed)
    except NumberError:
        return typed


def _serial_date(serial: Decimal, *, date1904: bool) -> dt.date | None:
    if not 0 <= serial < 2958466:  # up to 9999-12-31
        return None
    epoch = EXCEL_EPOCH_1904 if date1904 else EXCEL_EPOCH_1900
    return epoch + dt.timedelta(days=int(serial))


def date(raw: Any, *, date1904: bool = False) -> dt.date | str:
    """A date cell (or its Excel serial number), ``YYYY-MM-DD`` or ``DD/MM/YYYY`` (also with dots or dashes);
    else as typed."""
    kind = type(raw)
    if kind is dt.datetime:
        return raw.date()  # type: ignore[no-any-return]
    if kind is dt.date:
        return raw  # type: ignore[no-any-return]
    if kind in (ExcelNumber, float, int):
        number = decimal(raw)
        found = _serial_date(number, date1904=date1904) if isinstance(number, Decimal) else None
        return found if found is not None else _as_text(raw)
    value = _as_text(raw).strip()
    try:
        if match := _ISO_DATE.match(value):
            year, month, day = match.groups()
            return dt.date(int(year), int(month), int(day))
        if match := _DAY_FIRST.match(value):
            day, month, year = match.groups()
            return dt.date(int(year), int(month), int(day))
    except ValueError:
        pass  # 31/02/2024: handed over as typed, the validator says what a date looks like
    return value


def time(raw: Any) -> dt.time | str:
    """A time cell (or its fraction of a day), or the text typed (``HH:MM``)."""
    kind = type(raw)
    if kind is dt.time:
        return raw  # type: ignore[no-any-return]
    if kind is dt.datetime:
        return raw.time()  # type: ignore[no-any-return]
    if kind is dt.timedelta:
        raw = Decimal(raw.total_seconds()) / 86400
    if kind in (ExcelNumber, float, dt.timedelta):
        number = decimal(raw)
        if isinstance(number, Decimal) and 0 <= number < 1:
            seconds = int((number * 86400).to_integral_value())
            return dt.time(min(seconds // 3600, 23), (seconds // 60) % 60, seconds % 60)
        return _as_text(raw)
    return _as_text(raw).strip()


def _attribute_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def attributes(raw: Any) -> Any:
    """Commodity attributes: a JSON object or ``name=value; name=value``; as typed when neither."""
    value = _as_text(raw).strip()
    if value.startswith("{"):
        try:
            return json.loads(value, parse_float=Decimal)
        except ValueError:
            return value
    pairs: dict[str, Any] = {}
    for piece in _TERM_SEPARATORS.split(value):
        name, separator, given = piece.partition("=")
        if not separator or not name.strip():
            return value
        pairs[name.strip()] = _attribute_value(given.strip())
    return pairs


@cache
def _boolean_words() -> tuple[frozenset[str], frozenset[str]]:
    """The words a yes/no cell may hold in any of the site's languages (``oui``, ``sí``, ``нет``, ``false``),
    casefolded, accents also dropped (``si``)."""
    yes, no = {"1", "y", "true", "yes"}, {"0", "n", "false", "no"}
    for language in offered_languages():
        with translation.override(language):
            yes.update(_both(gettext("Yes")), _both(pgettext("yes/no value", "true")))
            no.update(_both(gettext("No")), _both(pgettext("yes/no value", "false")))
    return frozenset(yes), frozenset(no)


def _both(word: str) -> tuple[str, str]:
    folded = word.strip().casefold()
    plain = "".join(c for c in unicodedata.normalize("NFD", folded) if not unicodedata.combining(c))
    return folded, plain


process_cache_register("uploads.values.boolean_words", _boolean_words.cache_clear)


def boolean(raw: Any) -> bool | str:
    value = _as_text(raw).strip().casefold()
    if raw is True or raw is False:
        return raw  # type: ignore[no-any-return]
    yes, no = _boolean_words()
    if value in yes:
        return True
    if value in no:
        return False
    return _as_text(raw)


_BY_KIND: dict[str, Converter] = {
    "text": text,
    "longtext": text,
    "hs_code": hs_code,
    "choice": code,
    "term": code,
    "country": code,
    "operation": code,
    "terms": codes,
    "decimal": decimal,
    "integer": integer,
    "time": time,
    "attributes": attributes,
    "boolean": boolean,
}


def converter(spec: Field, *, date1904: bool = False) -> Converter:
    """The conversion of a non-blank cell of the field ``spec`` (blank cells are ``None`` before this)."""
    if spec.kind == "date":
        return lambda raw: date(raw, date1904=date1904)
    return _BY_KIND.get(spec.kind, text)
