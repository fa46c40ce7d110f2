"""The translation catalogues under locale/: every marked string is in them, and (once the translators are
through) every entry is translated and none is fuzzy; Russian plural forms are right.

The extraction is the one translators run (``manage.py catalogues_update``), into a copy of the committed
catalogues: a string marked in the code but missing from them fails, and so does an entry no code uses any
more. It needs GNU gettext (xgettext, msgmerge), as that command does.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from django.conf import settings
from django.template import Context, Template
from django.test import override_settings
from django.utils import translation

from apps.core.catalogues import (
    DOMAINS,
    TRANSLATED_LANGUAGES,
    catalogue_path,
    catalogues_compile,
    catalogues_extract,
)

COMMITTED = Path(settings.LOCALE_PATHS[0])
CATALOGUES = [(language, domain) for language in TRANSLATED_LANGUAGES for domain in DOMAINS]


def _read(path: Path) -> Catalog:
    with path.open("rb") as po_file:
        return read_po(po_file)


def _ids(catalog: Catalog) -> set[tuple[str | None, str]]:
    return {
        (message.context, message.id if isinstance(message.id, str) else message.id[0])
        for message in catalog
        if message.id
    }


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The catalogues as ``catalogues_update`` would leave them now, written into a copy of the committed ones.

    The extraction runs in a tree of links to the sources beside that copy: makemessages writes into the
    ``locale/`` beside the files it reads, which must not be the committed one.
    """
    if not shutil.which("xgettext") or not shutil.which("msgmerge"):
        pytest.fail("GNU gettext is needed to extract messages: apt-get install gettext")
    tree = tmp_path_factory.mktemp("tree")
    for entry in Path(settings.BASE_DIR).iterdir():
        if entry.name != "locale" and not entry.name.startswith("."):
            (tree / entry.name).symlink_to(entry)
    shutil.copytree(COMMITTED, tree / "locale", ignore=shutil.ignore_patterns("*.mo"))
    with pytest.MonkeyPatch.context() as patch, override_settings(LOCALE_PATHS=[tree / "locale"]):
        patch.chdir(tree)
        catalogues_extract(verbosity=0, symlinks=True)
    return tree / "locale"


@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_every_marked_string_is_in_the_committed_catalogues(extracted: Path, language: str, domain: str) -> None:
    committed = _ids(_read(catalogue_path(language, domain, COMMITTED)))
    now = _ids(_read(catalogue_path(language, domain, extracted)))
    assert sorted(now - committed, key=str) == [], "marked but not in the catalogue: run manage.py catalogues_update"
    assert sorted(committed - now, key=str) == [], "in the catalogue but no longer marked: run catalogues_update"


@pytest.mark.parametrize(
    ("language", "domain"),
    [pytest.param(language, domain) for language, domain in CATALOGUES],
)
def test_no_entry_is_untranslated_or_fuzzy(language: str, domain: str) -> None:
    catalog = _read(catalogue_path(language, domain))
    untranslated = [
        message.id
        for message in catalog
        if message.id
        and (message.fuzzy or not (message.string if isinstance(message.string, str) else all(message.string or ())))
    ]
    assert untranslated == []


@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_the_first_pass_of_translations_is_never_fuzzy(language: str, domain: str) -> None:
    """What is translated is final: msgmerge's guesses (fuzzy) are never committed, since Django ignores them."""
    catalog = _read(catalogue_path(language, domain))
    assert [message.id for message in catalog if message.id and message.fuzzy] == []


def test_the_committed_catalogues_compile_without_gettext(tmp_path: Path) -> None:
    copy = tmp_path / "locale"
    shutil.copytree(COMMITTED, copy, ignore=shutil.ignore_patterns("*.mo"))
    written = catalogues_compile(root=copy)
    assert sorted(path.relative_to(copy).as_posix() for path in written) == sorted(
        f"{language}/LC_MESSAGES/{domain}.mo" for language, domain in CATALOGUES
    )


PLURAL = Template(
    "{% load i18n %}{% blocktranslate count counter=n %}{{ counter }} user{% plural %}{{ counter }} users"
    "{% endblocktranslate %}"
)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ru", ["1 пользователь", "2 пользователя", "5 пользователей", "21 пользователь"]),
        ("fr", ["1 utilisateur", "2 utilisateurs", "5 utilisateurs", "21 utilisateurs"]),
        ("es", ["1 usuario", "2 usuarios", "5 usuarios", "21 usuarios"]),
        ("en", ["1 user", "2 users", "5 users", "21 users"]),
    ],
)
def test_counted_messages_take_the_plural_form_of_the_language(language: str, expected: list[str]) -> None:
    with translation.override(language):
        assert [PLURAL.render(Context({"n": n})) for n in (1, 2, 5, 21)] == expected


def test_every_counted_message_has_every_plural_form_of_the_language_where_translated() -> None:
    forms = {"fr": 2, "es": 3, "ru": 4}
    for language, expected in forms.items():
        catalog: Any = _read(catalogue_path(language, "django"))
        assert catalog.num_plurals == expected, language
        for message in catalog:
            if message.pluralizable and any(message.string):
                assert len(message.string) == expected and all(message.string), (language, message.id)
