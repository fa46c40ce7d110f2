"""A pseudo language in which every string of a catalogue comes out visibly wrapped (``⟦…⟧``), for the test
that walks the pages looking for strings nobody marked for translation.

Its catalogue is built at test time from every msgid the pages can show: ours (the French ``.po``, which holds
every marked string whether translated or not) and those of Django and the installed apps (their French
``.mo``: the same msgids as in every language). It is activated as a test-only language through the
language cookie.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path

import django
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from django.apps import apps
from django.conf import settings

PSEUDO = "qps"
OPEN, CLOSE = "⟦", "⟧"
SOURCE_LANGUAGE = "fr"


def _source_catalogues() -> Iterable[Catalog]:
    roots = [Path(django.__file__).parent / "conf", *(Path(app.path) for app in apps.get_app_configs())]
    for root in roots:
        mo = root / "locale" / SOURCE_LANGUAGE / "LC_MESSAGES" / "django.mo"
        if mo.exists():
            with mo.open("rb") as mo_file:
                yield read_mo(mo_file)
    for locale_path in settings.LOCALE_PATHS:
        with (Path(locale_path) / SOURCE_LANGUAGE / "LC_MESSAGES" / "django.po").open("rb") as po_file:
            yield read_po(po_file)


# A placeholder of a message: what is put in it is checked on its own (wrapped itself, or data), so an English
# word passed into a translated sentence ("by the command line") is found too.
_PLACEHOLDER = re.compile(r"%\([^)]*\)[#0\- +]*\d*(?:\.\d+)?[a-zA-Z]|%[#0\- +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]")


def _wrap(text: str) -> str:
    """``text`` with each stretch between its placeholders wrapped: "⟦Report ⟧%(reference)s⟦ saved.⟧"."""
    pieces = _PLACEHOLDER.split(text)
    placeholders = _PLACEHOLDER.findall(text)
    wrapped = [f"{OPEN}{piece}{CLOSE}" if piece.strip() else piece for piece in pieces]
    return "".join(
        piece + (placeholders[index] if index < len(placeholders) else "") for index, piece in enumerate(wrapped)
    )


def build_pseudo_catalogue(root: Path) -> Path:
    """Write ``root/qps/LC_MESSAGES/django.mo``; returns ``root`` (for LOCALE_PATHS)."""
    pseudo = Catalog(locale="en")  # English plural rule: one and other
    for source in _source_catalogues():
        for message in source:
            if not message.id:
                continue
            if isinstance(message.id, list | tuple):
                singular, plural = message.id[0], message.id[1]
                pseudo.add((singular, plural), (_wrap(singular), _wrap(plural)), context=message.context)
            else:
                pseudo.add(message.id, _wrap(message.id), context=message.context)
    target = root / PSEUDO / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    with (target / "django.mo").open("wb") as mo_file:
        write_mo(mo_file, pseudo)
    return root


# Attributes a person reads (a tooltip, a screen reader, an empty field's hint, an image's stand-in).
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "aria-description", "alt"}
# Inputs whose value is their caption, not something typed.
CAPTIONED_INPUTS = {"submit", "button", "reset"}
# In the data a page embeds for its scripts (``json_script``: a dashboard's axis names, legends, series names and
# descriptions), the keys whose values are codes, identifiers or links, never shown as they are.
JSON_DATA_KEYS = {"key", "chart", "source", "as_of", "unit", "drill", "value", "from", "to", "code", "id", "href"}


def json_strings(value: object) -> Iterable[str]:
    """The strings of embedded JSON data a script may show, leaving out the values of ``JSON_DATA_KEYS`` and the
    codes a row gives a label for (the charts show ``state_label``, never ``state``)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for name, item in value.items():
            if name not in JSON_DATA_KEYS and f"{name}_label" not in value:
                yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)


class _VisibleText(HTMLParser):
    """What a reader sees or hears: text nodes (the title and options included; scripts, styles, typed-in
    values and what the markup says is code — ``<code>``, ``<kbd>``, ``<samp>``: a key, a field's path — left
    out) and the attributes read out or shown (``READ_ATTRIBUTES``, buttons' captions, options' labels), each
    attribute as a piece of its own. The JSON a page embeds for its scripts (``<script type="application/json">``)
    is read too: its strings (``json_strings``) end up in charts' axes, legends and tooltips."""

    HIDDEN = {"script", "style", "textarea", "template", "code", "kbd", "samp"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._hidden_depth = 0
        self._json: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and dict(attrs).get("type") == "application/json" and not self._hidden_depth:
            self._json = []
        if tag in self.HIDDEN:
            self._hidden_depth += 1
        if self._hidden_depth:
            return
        attributes = dict(attrs)
        read = [value for name, value in attrs if name in READ_ATTRIBUTES]
        if tag == "input" and (attributes.get("type") or "").lower() in CAPTIONED_INPUTS:
            read.append(attributes.get("value"))
        if tag == "option":
            read.append(attributes.get("label"))
        # Each on its own line (unwrapped_text works line by line), apart from the surrounding text.
        self.chunks.extend(f"\n{value}\n" for value in read if value and value.strip())

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in self.HIDDEN and self._hidden_depth:
            self._hidden_depth -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._json is not None:
            embedded = json.loads("".join(self._json))
            self.chunks.extend(f"\n{value}\n" for value in json_strings(embedded) if value.strip())
            self._json = None
        if tag in self.HIDDEN and self._hidden_depth:
            self._hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._json is not None:
            self._json.append(data)
        if not self._hidden_depth and data.strip():
            self.chunks.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    # Joined, so a translated string whose markup splits it into several text nodes is seen whole.
    return "\n".join(parser.chunks)


_INNERMOST = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
# A word that may stand unwrapped: a code (upper case, digits, a few separators, at most 16 characters: "FR-1",
# "HS", "RILO", "ISO-8601"), an e-mail address, a UUID, a link or a path. Words without a letter (numbers,
# dates, punctuation, symbols) may always stand. Lower-case or longer upper-case words are text.
_DATA_WORD = re.compile(
    r"[A-Z0-9][A-Z0-9_./:-]{0,15}"
    r"|[\w.+-]+@[\w.-]+"
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|https?://\S+|/\S*"
)
_LETTER = re.compile(r"[^\W\d_]")
# Punctuation around a word ("(FR-1)", "alice,"): not part of it.
_EDGES = re.compile(r"^[^\w/]+|[^\w/]+$")


# Words in capitals one after the other are a sentence in capitals, not codes ("SEIZURE REPORT").
_CAPITALS = re.compile(r"(?<![\w-])[A-Z]{2,}\s+[A-Z]{2,}(?![\w-])")


def _is_text(word: str) -> bool:
    word = _EDGES.sub("", word)
    return bool(_LETTER.search(word)) and not _DATA_WORD.fullmatch(word)


def _holds_text(line: str) -> bool:
    return bool(_CAPITALS.search(line)) or any(_is_text(word) for word in line.split())


def unwrapped_text(html: str, data: Iterable[str]) -> list[str]:
    """The lines of visible text of ``html`` (``READ_ATTRIBUTES`` included) that hold a word neither inside a
    wrapped (translated) string nor data: the strings someone forgot to mark. ``data`` are the values the page
    may show as they are stored."""
    return unwrapped_lines(visible_text(html), data)


def unwrapped_lines(text: str, data: Iterable[str]) -> list[str]:
    """The lines of plain ``text`` (an e-mail, the visible text of a page) holding a word that is neither wrapped
    nor data."""
    while True:
        stripped = _INNERMOST.sub(" ", text)
        if stripped == text:
            break
        text = stripped
    values = sorted((value for value in data if value), key=len, reverse=True)
    if values:
        # Whole words only: a stored "en" must not hide the middle of "tokens".
        text = re.sub(r"(?<!\w)(?:" + "|".join(map(re.escape, values)) + r")(?!\w)", " ", text)
    leftovers = []
    for line in text.split("\n"):
        if _holds_text(line):
            leftovers.append(" ".join(line.split()))
    return leftovers
