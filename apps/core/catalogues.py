"""The translation catalogues under ``locale/``: how they are extracted and compiled.

Extraction is Django's ``makemessages`` (it needs GNU gettext's xgettext and msgmerge: a translator's or a
developer's machine, never a server). Compiling uses Babel, pure Python, so ``make install`` builds the
``.mo`` files on a fresh machine that has no gettext. One set of options for both, used by the
``catalogues_update`` and ``catalogues_compile`` commands and by the test that checks the committed
catalogues are complete.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.core.management.commands.makemessages import Command as MakeMessagesCommand

from apps.core.languages import translated_languages

# Every language but English, the language of the source strings.
TRANSLATED_LANGUAGES: tuple[str, ...] = tuple(translated_languages())
DOMAINS = ("django", "djangojs")

# makemessages' options. Locations name the file, not the line: a translator sees where a string is used,
# and moving code does not rewrite every catalogue (merges of parallel branches stay clean).
MAKEMESSAGES_OPTIONS: dict[str, object] = {
    "add_location": "file",
    "no_obsolete": True,
    "ignore_patterns": ["tests/*", "bench/*", "docker/*", "staticfiles/*", "node_modules/*", "static/vendor/*"],
}


def catalogues_extract(*, verbosity: int = 1, symlinks: bool = False) -> None:
    """Add every marked string of the tree under the current directory to the catalogues (makemessages, both
    domains, every translated language). ``symlinks`` follows linked directories (the test's copy of the tree)."""
    for domain in DOMAINS:
        command = MakeMessagesCommand()
        # No fuzzy matching: msgmerge's guess from a similar string is usually wrong for customs terms, and a
        # fuzzy entry is ignored at run time anyway; a new string arrives empty, for a translator to write.
        command.msgmerge_options = ["-q", "--backup=none", "--update", "--no-fuzzy-matching"]
        call_command(
            command,
            locale=list(TRANSLATED_LANGUAGES),
            domain=domain,
            verbosity=verbosity,
            symlinks=symlinks,
            **MAKEMESSAGES_OPTIONS,
        )


def locale_dir() -> Path:
    return Path(settings.LOCALE_PATHS[0])


def catalogue_path(language: str, domain: str, root: Path | None = None) -> Path:
    return (root or locale_dir()) / language / "LC_MESSAGES" / f"{domain}.po"


def catalogues_compile(*, root: Path | None = None) -> list[Path]:
    """Write the ``.mo`` beside every ``.po`` under ``root`` (``locale/``); fuzzy entries are left out, as
    msgfmt does. Returns the files written."""
    written = []
    for po_path in sorted((root or locale_dir()).glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        written.append(mo_path)
    return written


def compiled_catalogues_version(locale_paths: list[Path] | None = None) -> str:
    """A digest of the compiled catalogues (every ``.mo`` under ``LOCALE_PATHS``: names and contents) and of
    Django's version (its own catalogues): the same in every process of one deployment, different as soon as a
    translation changes. The scripts' catalogue is stamped with it (its ETag)."""
    import hashlib

    import django

    digest = hashlib.sha256(django.get_version().encode())
    for root in [Path(path) for path in (settings.LOCALE_PATHS if locale_paths is None else locale_paths)]:
        for mo in sorted(root.rglob("*.mo")):
            digest.update(str(mo.relative_to(root)).encode() + b"\0")
            digest.update(mo.read_bytes())
    return digest.hexdigest()[:20]
