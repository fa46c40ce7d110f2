"""hs_load() and ``manage.py load_hs``: the full HS nomenclature from a CSV file, all or nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from apps.reference.models import HSCode
from apps.reference.services import HSFileError, hs_load

pytestmark = pytest.mark.django_db

HEADER = "section,hscode,description,parent,level\n"
HS_CSV = Path(settings.RILO_HS_CSV)
SECTIONS_CSV = HS_CSV.with_name("hs2022-sections.csv")


def write(tmp_path: Path, text: str | bytes, name: str = "hs.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def snapshot() -> list[tuple[object, ...]]:
    return sorted(HSCode.objects.values_list("code", "label", "level", "section", "parent_id"))


def refused(path: Path) -> HSFileError:
    before = snapshot()
    with pytest.raises(HSFileError) as caught:
        hs_load(rows_file=path)
    assert snapshot() == before, "a refused file must write nothing"
    return caught.value


def test_it_loads_the_full_hs_2022_nomenclature_and_a_second_load_changes_nothing():
    built_in = HSCode.objects.count()
    first = hs_load(rows_file=HS_CSV, sections_file=SECTIONS_CSV)
    assert first.rows >= 6900
    assert first.skipped == 1  # the data set's "TOTAL" root row
    assert (first.created, first.updated, first.unchanged) == (first.rows - built_in, 0, built_in)
    assert HSCode.objects.count() == first.rows
    cigarettes = HSCode.objects.select_related("parent__parent").get(code="240220")
    assert (cigarettes.label, cigarettes.level, cigarettes.section) == ("Cigarettes; containing tobacco", 6, "IV")
    assert (cigarettes.parent.code, cigarettes.parent.parent.code) == ("2402", "24")  # type: ignore[union-attr]
    assert HSCode.objects.get(code="99").section == ""  # "commodities not specified": outside the sections

    loaded = snapshot()
    second = hs_load(rows_file=HS_CSV)
    assert (second.created, second.updated, second.unchanged) == (0, 0, first.rows)
    assert snapshot() == loaded


def test_a_reload_restores_a_changed_description_and_keeps_the_active_flag(tmp_path):
    HSCode.objects.filter(code="2402").update(label="Smokes", active=False)
    cigars = "Cigars, cheroots, cigarillos and cigarettes; of tobacco or of tobacco substitutes"
    whiskies = HSCode.objects.get(code="2208").label
    path = write(
        tmp_path,
        HEADER
        + f'IV,2402,"{cigars}",24,4\nIV,240220,Cigarettes; containing tobacco,2402,6\nIV,2208,"{whiskies}",22,4\n',
    )
    summary = hs_load(rows_file=path)
    assert (summary.created, summary.updated, summary.unchanged) == (1, 1, 1)
    heading = HSCode.objects.get(code="2402")
    assert (heading.label, heading.active) == (cigars, False)


def test_the_command_prints_a_summary_line_with_counts_and_seconds():
    out = io.StringIO()
    call_command("load_hs", str(HS_CSV), "--sections", str(SECTIONS_CSV), stdout=out)
    line = out.getvalue().strip()
    assert line.startswith(f"Loaded {HS_CSV}: ")
    assert " created, 0 updated, " in line and " unchanged, 1 skipped in " in line and line.endswith(" s.")


def test_the_command_refuses_a_malformed_file_naming_the_line(tmp_path):
    path = write(tmp_path, HEADER + "I,01,Animals; live,TOTAL,2\nI,0199,Other animals,01,3\n")
    with pytest.raises(CommandError, match=r"(?s)nothing was loaded.*Line 3: level “3” is not 2, 4 or 6"):
        call_command("load_hs", str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("load_hs", str(tmp_path / "missing.csv"))


def test_a_byte_order_mark_and_windows_line_endings_are_tolerated(tmp_path):
    text = HEADER + "XX,94,Furniture,TOTAL,2\nXX,9401,Seats,94,4\n"
    path = write(tmp_path, b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    assert hs_load(rows_file=path).created == 2
    assert HSCode.objects.get(code="9401").parent.code == "94"  # type: ignore[union-attr]


def test_a_parent_already_in_the_database_is_accepted(tmp_path):
    path = write(tmp_path, HEADER + "IV,240299,Some new cigarettes,2402,6\n")
    assert hs_load(rows_file=path).created == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "code,description,parent,level\nI,01,Animals; live,TOTAL,2\n",
            "Line 1: bad header (missing column(s) section, hscode",
        ),
        ("", "Line 1: the file is empty"),
        ("\n\n", "Line 1: the file is empty"),
        (HEADER + "I,01,Animals; live,TOTAL,2\nI,0101,Horses,01,3\n", "Line 3: level “3” is not 2, 4 or 6"),
        (HEADER + "I,0101,Horses,01,four\n", "Line 2: level “four” is not 2, 4 or 6"),
        (
            HEADER + "I,019999,Unknown beasts,0199,6\n",
            "Line 2: parent “0199” of 019999 is neither in the file nor loaded",
        ),
        (HEADER + "I,01X1,Horses,01,4\n", "Line 2: HS code “01X1” must contain digits only"),
        (HEADER + "I,010,Horses,01,4\n", "Line 2: HS code “010” has 3 digits but its level is 4"),
        (HEADER + "I,0150,Horses,01,4\nI,0150,Horses again,01,4\n", "Line 3: HS code “0150” is already on line 2"),
        (HEADER + "XXV,0150,Horses,01,4\n", "Line 2: section “XXV” is not a Roman numeral from I to XXI"),
        (HEADER + "I,0150,,01,4\n", "Line 2: the description is empty"),
        (HEADER + "I,0150,Horses,02,4\n", "Line 2: parent “02” is not the first 2 digits of 0150"),
        (HEADER + "I,05,Animal products,01,2\n", "Line 2: a chapter's parent must be TOTAL, not “01”"),
        (HEADER + "I,0150,Horses,01\n", "Line 2: expected 5 fields, found 4"),
    ],
    ids=[
        "bad-header",
        "empty-file",
        "blank-lines-only",
        "bad-level",
        "non-numeric-level",
        "unknown-parent",
        "non-numeric-code",
        "code-length-not-level",
        "duplicate-code",
        "bad-section",
        "empty-description",
        "parent-not-a-prefix",
        "chapter-with-a-parent",
        "missing-field",
    ],
)
def test_a_malformed_file_is_refused_with_the_line_and_nothing_is_written(tmp_path, content, expected):
    error = refused(write(tmp_path, content))
    assert any(message.startswith(expected) for message in error.errors), error.errors
    assert "nothing was loaded" in error.message and expected in error.message


def test_a_file_that_is_not_utf8_is_refused_with_the_line(tmp_path):
    content = (HEADER + "I,0150,Horses,01,4\n").encode() + "I,0151,Café,01,4\n".encode("latin-1")
    assert refused(write(tmp_path, content)).errors == ["Line 3: not UTF-8 text."]


def test_a_bad_line_after_good_ones_refuses_the_whole_file(tmp_path):
    good = "".join(f"XI,61{number:02d},Textile article {number},61,4\n" for number in range(20, 80))
    path = write(tmp_path, HEADER + "XI,61,Apparel; knitted or crocheted,TOTAL,2\n" + good + "XI,6199,,61,4\n")
    error = refused(path)
    assert error.errors == ["Line 63: the description is empty."]
    assert not HSCode.objects.filter(code__in=["6120", "6179"]).exists()


def test_every_problem_is_listed_by_line_up_to_twenty_in_the_message(tmp_path):
    rows = "".join(f"I,01{number:02d},Animal {number},01,3\n" for number in range(30))
    error = refused(write(tmp_path, HEADER + rows))
    assert len(error.errors) == 30
    assert error.errors[0].startswith("Line 2: ") and error.errors[-1].startswith("Line 31: ")
    assert "Line 21: " in error.message and "Line 22: " not in error.message
    assert "… and 10 more problem(s)." in error.message


def test_rows_must_use_the_sections_of_the_sections_file(tmp_path):
    sections = write(tmp_path, "\ufeffsection,name\nI,Live animals; animal products\n", "sections.csv")
    rows = write(tmp_path, HEADER + "I,0150,Horses,01,4\nII,0650,Bulbs,06,4\n")
    before = snapshot()
    with pytest.raises(HSFileError) as caught:
        hs_load(rows_file=rows, sections_file=sections)
    assert caught.value.errors == ["Line 3: section “II” is not in the sections file."]
    assert snapshot() == before


def test_a_malformed_sections_file_is_refused(tmp_path):
    sections = write(tmp_path, "section,name\nXL,Everything\n", "sections.csv")
    with pytest.raises(HSFileError) as caught:
        hs_load(rows_file=write(tmp_path, HEADER + "I,0150,Horses,01,4\n"), sections_file=sections)
    assert caught.value.errors == [
        "Sections file, line 2: section “XL” is not a Roman numeral from I to XXI.",
        "Line 2: section “I” is not in the sections file.",
    ]
