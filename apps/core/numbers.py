"""The one reading of a number typed as text, whichever way it comes in: a web form, the API or an upload's
text cell (a spreadsheet's numeric cell is a number already and is not read here).

The rule, the same in the four languages:

- a decimal point or a decimal comma: ``1234.5`` and ``1234,5`` are both 1234.5;
- digits grouped in threes by spaces (ordinary, no-break or narrow no-break): ``1 234,5``, ``1 234 567``;
- digits grouped in threes by several commas or several points, the only reading there is: ``1,234,567`` and
  ``1.234.567`` are 1234567;
- both a comma and a point, when one groups digits in threes and the other comes once, last:
  ``1,234.5`` and ``1.234,5`` are both 1234.5 (no language writes a decimal separator before a thousands one);
- refused as ambiguous, with a message saying how to write the number:

  - a single comma followed by exactly three digits after one to three digits, ``1,234`` or ``12,500``: a
    thousand and more in English, a decimal in French, Spanish and Russian;
  - the same with a single point, ``1.234``, unless the active language is English: French, Spanish and Russian
    writers usually mean 1234 (an upload's text cells are read in its sender's language, as the sender would
    type them: "885.840" kg from an English sender's system is the decimal it looks like);
  - any other mixture of commas and points (``1,23.4``).

Digits are ASCII digits only (full-width or Arabic-Indic digits would slip past the grouping rules), and a
number is at most ``MAX_LENGTH`` characters and below 10^18: reading longer ones costs time out of proportion
(Python's big-integer conversion), and no quantity, value or count of a seizure comes near.

A quantity of a seizure is not guessed: the person types it again.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from apps.core.languages import current_language

# Spaces grouping digits in threes, as French and Russian write thousands: ordinary, no-break, narrow no-break.
_GROUPING_SPACE = re.compile(r"(?<=[0-9])[ \u00a0\u202f](?=[0-9]{3}(?![0-9]))")
_SIGNED = r"[-+]?"
_PLAIN = re.compile(_SIGNED + r"([0-9]+([.,][0-9]*)?|[.,][0-9]+)")
_GROUPED = re.compile(_SIGNED + r"[1-9][0-9]{0,2}(?P<sep>[.,])[0-9]{3}((?P=sep)[0-9]{3})*")
_GROUPED_WITH_DECIMALS = re.compile(
    _SIGNED + r"[1-9][0-9]{0,2}(?P<sep>[.,])[0-9]{3}((?P=sep)[0-9]{3})*(?P<dec>[.,])[0-9]+"
)
# One group of three after one to three digits (a leading zero too: "01,234"), but not "0,125" or "0.125".
_ONE_GROUP = re.compile(_SIGNED + r"([1-9][0-9]{0,2}|0[0-9]{1,2})[.,][0-9]{3}")
MAX_LENGTH = 40
_LARGEST_EXPONENT = 17  # below 10^18

AMBIGUOUS = _(
    "“%(value)s” is ambiguous: it may be a thousand and more or a decimal. Write it without a thousands "
    "separator (1234.5 or 1234,5) or group the digits with spaces (1 234,5)."
)
NOT_A_NUMBER = _("Enter a number.")
NOT_WHOLE = _("Enter a whole number.")


class NumberError(ValueError):
    """Text that is no number, or that may be read as two; ``message`` says how to write it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _english() -> bool:
    return current_language() == "en"


def _digits(text: str) -> str:
    """``text`` in Python's notation, or :class:`NumberError`."""
    if len(text) > MAX_LENGTH * 2 or len(text.strip()) > MAX_LENGTH:
        raise NumberError(str(NOT_A_NUMBER))
    value = _GROUPING_SPACE.sub("", text.strip())
    if _ONE_GROUP.fullmatch(value):
        # "1,234" (and "1.234" outside English) is refused rather than guessed: see the module's rule.
        if value.lstrip("+-")[-4] == "." and _english():
            return value
        raise NumberError(str(AMBIGUOUS % {"value": text.strip()}))
    if _PLAIN.fullmatch(value):
        return value.replace(",", ".")
    if _GROUPED.fullmatch(value):
        return value.replace(",", "").replace(".", "")
    if found := _GROUPED_WITH_DECIMALS.fullmatch(value):
        if found.group("sep") == found.group("dec"):
            raise NumberError(str(NOT_A_NUMBER))  # "1.234.5": no reading
        grouping = found.group("sep")
        return value.replace(grouping, "").replace(",", ".")
    if "," in value and "." in value:
        raise NumberError(str(AMBIGUOUS % {"value": text.strip()}))
    raise NumberError(str(NOT_A_NUMBER))


def parse_decimal(text: str) -> Decimal:
    """The number ``text`` writes, by the module's rule; :class:`NumberError` with a message otherwise."""
    try:
        number = Decimal(_digits(text))
    except InvalidOperation:
        raise NumberError(str(NOT_A_NUMBER)) from None
    if not within_bounds(number):
        raise NumberError(str(NOT_A_NUMBER))
    return number


def within_bounds(number: Decimal) -> bool:
    """Whether ``number`` is finite and below 10^18 (see the module's rule): safe to turn into an int."""
    return number.is_finite() and (not number or number.adjusted() <= _LARGEST_EXPONENT)


def parse_integer(text: str) -> int:
    """The whole number ``text`` writes (``1 234``, ``1,234,567``, ``12.0``); :class:`NumberError` otherwise."""
    try:
        number = parse_decimal(text)
    except NumberError as error:
        if error.message == str(NOT_A_NUMBER):
            raise NumberError(str(NOT_WHOLE)) from None
        raise
    if number != number.to_integral_value():
        raise NumberError(str(NOT_WHOLE))
    return int(number)
