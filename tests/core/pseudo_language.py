"""A pseudo language in which every string of a catalogue comes out visibly wrapped (``⟦…⟧``), for the test
that walks the pages looking for strings nobody marked for translation.

Its catalogue is built at test time from every msgid the pages can show: ours (the French ``.po``, which holds
every marked string whether translated or not) and those of Django and the installed apps (their French
``.mo``: the same msgids as in every language). It is activated as a test-only language through the
language cookie.
"""

from __future__ import annotations

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


def _wrap(text: str) -> str:
    return f"{OPEN}{text}{CLOSE}"


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


class _VisibleText(HTMLParser):
    """The text a reader sees (the title included; scripts, styles and typed-in values left out)."""

    HIDDEN = {"script", "style", "textarea", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self._hidden_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self._hidden_depth:
            self._hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth and data.strip():
            self.chunks.append(data)


_INNERMOST = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
# What may stand unwrapped: numbers, dates and times, codes (upper case, digits, separators), e-mail
# addresses, UUIDs, punctuation and symbols.
_DATA = re.compile(
    r"[\w.+-]+@[\w.-]+"  # e-mail addresses
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # UUIDs
    r"|\b[A-Z0-9][A-Z0-9_./:-]*\b"  # codes and numbers
    r"|[^\w]"  # punctuation, symbols, spaces
    r"|\d"
)


def unwrapped_text(html: str, data: Iterable[str]) -> list[str]:
    """The pieces of visible text of ``html`` that are neither inside a wrapped (translated) string nor data:
    the strings someone forgot to mark. ``data`` are the values the page may show as they are stored."""
    parser = _VisibleText()
    parser.feed(html)
    # Joined, so a translated string whose markup splits it into several text nodes is seen whole.
    text = "\n".join(parser.chunks)
    while True:
        stripped = _INNERMOST.sub(" ", text)
        if stripped == text:
            break
        text = stripped
    values = sorted(data, key=len, reverse=True)
    if values:
        # Whole words only: a stored "en" must not hide the middle of "tokens".
        text = re.sub(r"(?<!\w)(?:" + "|".join(map(re.escape, values)) + r")(?!\w)", " ", text)
    leftovers = []
    for line in text.split("\n"):
        if _DATA.sub("", line).strip():
            leftovers.append(" ".join(line.split()))
    return leftovers
