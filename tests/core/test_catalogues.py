"""The translation catalogues under locale/: every marked string is in them, and (once the translators are
through) every entry is translated and none is fuzzy; Russian plural forms are right.

The extraction is the one translators run (``manage.py catalogues_update``), into a copy of the committed
catalogues: a string marked in the code but missing from them fails, and so does an entry no code uses any
more. It needs GNU gettext (xgettext, msgmerge), as that command does.

Every translation keeps its msgid's placeholders (``%(name)s``, ``{name}``, ``%s``): ``msgfmt --check-format``
says so for the entries flagged as formats, and a check of our own for every entry, flagged or not.
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
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


@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_no_entry_is_untranslated_or_fuzzy(language: str, domain: str) -> None:
    catalog = _read(catalogue_path(language, domain))
    untranslated = [
        message.id
        for message in catalog
        if message.id
        and (message.fuzzy or not (message.string if isinstance(message.string, str) else all(message.string or ())))
    ]
    assert untranslated == []


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


@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_gettext_finds_no_format_or_header_problem(language: str, domain: str) -> None:
    """GNU gettext's own checks: every ``python-format`` translation keeps its msgid's placeholders, every
    header field (plural forms included) is right."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.fail("GNU gettext is needed to check the catalogues: apt-get install gettext")
    path = catalogue_path(language, domain)
    checked = subprocess.run(
        [msgfmt, "--check-format", "--check-header", "--output-file=/dev/null", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr == "", checked.stderr


# A printf placeholder, named or not (``%%`` is a percent sign), or a brace placeholder.
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?P<conversion>[diouxXeEfFgGcrsa%])"
    r"|\{(?P<brace>\w*)\}"
)


def placeholders(text: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """The named placeholders of ``text`` (``%(name)`` and ``{name}``) and its positional ones, in order."""
    named: set[str] = set()
    positional: list[str] = []
    for match in PLACEHOLDER.finditer(text):
        if match["brace"] is not None:
            named.add(f"{{{match['brace']}}}")
        elif match["name"] is not None:
            named.add(f"%({match['name']})")
        elif match["conversion"] != "%":
            positional.append(f"%{match['conversion']}")
    return frozenset(named), tuple(positional)


def rare_forms(catalog: Catalog) -> set[int]:
    """The plural forms the catalogue's formula gives to fewer than five counts of 0…1000 (the French singular:
    0 and 1; the Spanish one: 1): there gettext lets a translation leave the count out ("one report")."""
    form_of = gettext.c2py(catalog.plural_expr)  # the C formula of the header, evaluated as gettext does
    uses = Counter(form_of(n) for n in range(1001))
    return {form for form in range(catalog.num_plurals) if uses[form] < 5}


def _placeholder_problems(catalog: Catalog) -> Iterator[str]:
    rare = rare_forms(catalog)
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, str):
            string = message.string if isinstance(message.string, str) else ""
            if string and placeholders(string) != placeholders(message.id):
                yield f"{message.id!r}: {message.string!r}"
            continue
        named, positional = placeholders(message.id[1])
        for form, string in enumerate(message.string or ()):
            if not string:
                continue
            form_named, form_positional = placeholders(string)
            fits = form_named <= named if form in rare else form_named == named
            if not fits or form_positional != positional:
                yield f"{message.id[1]!r} [{form}]: {string!r}"


@pytest.mark.parametrize(("language", "domain"), CATALOGUES)
def test_every_translation_keeps_the_placeholders_of_its_message(language: str, domain: str) -> None:
    """Every msgstr has its msgid's placeholders, flagged as a format or not (a placeholder lost shows the
    reader nothing where the value belongs; one added or misspelt breaks the page). Each plural form is held
    to the plural msgid; only a form used for fewer than five counts may leave a placeholder out, as gettext
    allows ("le premier rapport" for one report)."""
    problems = list(_placeholder_problems(_read(catalogue_path(language, domain))))
    assert problems == []


def _empty_like(language: str) -> Catalog:
    """An empty catalogue with the committed one's headers (its plural forms)."""
    catalog = Catalog(locale=language)
    catalog.mime_headers = _read(catalogue_path(language, "django")).mime_headers
    return catalog


def test_the_placeholder_check_finds_a_placeholder_lost_added_or_left_out_of_a_frequent_plural_form() -> None:
    catalog = _empty_like("ru")
    catalog.add("Report %(reference)s saved.", "Отчёт сохранён.")
    catalog.add("Hello {name}", "Привет {nom}")
    catalog.add("%s of %s", "%s из %s")
    catalog.add(
        ("%(counter)s report", "%(counter)s reports"), ("отчёт", "%(counter)s отчёта", "%(counter)s отчётов", "x")
    )
    assert rare_forms(catalog) == {3}  # Russian: the fractional form
    assert list(_placeholder_problems(catalog)) == [
        "'Report %(reference)s saved.': 'Отчёт сохранён.'",
        "'Hello {name}': 'Привет {nom}'",
        "'%(counter)s reports' [0]: 'отчёт'",  # 1, 21, 31…: the count must be shown
    ]
    french = _empty_like("fr")
    french.add(("one report", "%(counter)s reports"), ("un rapport", "%(counter)s rapports"))
    french.add(("%(counter)s report", "%(counter)s reports"), ("%(counter)s rapport", "%(other)s rapports"))
    assert rare_forms(french) == {0}
    assert list(_placeholder_problems(french)) == ["'%(counter)s reports' [1]: '%(other)s rapports'"]
