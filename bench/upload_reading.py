"""``python -m bench upload_reading``: reading an upload of 100,000 item rows, as CSV and as XLSX.

:func:`generate_upload` writes a realistic upload (about 65,000 reports of one to three items, routes,
conveyances and some persons, full variant) with the live vocabularies' active codes and labels, dates and
decimals written the ways officers write them. Each format is then read to the end by
:func:`apps.uploads.reading.read_upload` in a fresh process (so its peak RSS is its own), timed from the
first byte to the last record (wall and CPU seconds: the machine may be shared), and its marked copy made
with one item row in a hundred in error. One JSON line gives per format the figures and the peak RSS.
"""

from __future__ import annotations

import csv
import datetime as dt
import multiprocessing
import random
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.harness import Figures, benchmark, own_peak_rss_mb

ITEM_ROWS = 100_000


def _vocabularies() -> dict[str, Any]:
    """Active codes per vocabulary used by the rows (from the database the bench migrated)."""
    from apps.reference import models as reference

    def codes(model: Any) -> list[str]:
        return list(model.objects.active().values_list("code", flat=True)) or ["X"]

    types = list(reference.CommodityType.objects.active().values_list("code", "category__code", "label"))
    return {
        "types": types,
        "units": codes(reference.Unit),
        "modes": codes(reference.TransportMode),
        "conveyance_types": codes(reference.ConveyanceType),
        "detections": codes(reference.DetectionMethod),
        "locations": codes(reference.LocationType),
        "directions": codes(reference.Direction),
        "selections": codes(reference.SelectionBasis),
        "concealments": codes(reference.ConcealmentMethod),
        "currencies": codes(reference.Currency),
    }


def _reports(rows: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """Reports with their parts (by field name) until ``rows`` items have been made."""
    vocabulary = _vocabularies()
    rng = random.Random(seed)
    countries = ["FR", "DE", "NL", "BE", "ES", "IT", "CO", "PE", "CN", "TR", "MA", "NG", "BR", "AE", "US"]
    detections = vocabulary["detections"]
    made = number = 0
    while made < rows:
        number += 1
        count = min(rng.choices([1, 2, 3], weights=[60, 27, 13])[0], rows - made)
        made += count
        seized = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3650))
        report: dict[str, Any] = {
            "national_reference": f"BENCH-{number:07d}",
            "kind": "seizure",
            "country_of_seizure": "FR",
            "seizure_date": seized,
            "seizure_time": dt.time(rng.randrange(24), rng.randrange(60)),
            "customs_office": rng.choice(["Le Havre port", "Roissy CDG", "Marseille Fos", "Lille Lesquin"]),
            "place": rng.choice(["Terminal 2E", "Quai de l'Europe", "A1 motorway", "Fret sud"]),
            "latitude": f"{rng.uniform(42, 51):.4f}",
            "longitude": f"{rng.uniform(-4, 8):.4f}",
            "location_type": rng.choice(vocabulary["locations"]),
            "direction": rng.choice(vocabulary["directions"]),
            "transport_mode": rng.choice(vocabulary["modes"]),
            "conveyance_type": rng.choice(vocabulary["conveyance_types"]),
            "detection_methods": "; ".join(rng.sample(detections, k=min(2, len(detections)))),
            "selection_basis": rng.choice(vocabulary["selections"]),
            "modus_operandi": "Hidden in a false bottom of the container, declared as fruit.",
            "number_of_offenders": rng.randrange(4),
            "legal_follow_up": rng.choice(["criminal", "administrative", "pending"]),
            "items": [],
            "route": [
                {"role": role, "country": rng.choice(countries)}
                for role in rng.choice([["origin"], ["origin", "destination"], ["origin", "transit", "destination"]])
            ],
            "conveyances": [
                {
                    "transport_mode": rng.choice(vocabulary["modes"]),
                    "identifier_type": "container",
                    "identifier": f"MSCU{rng.randrange(10**7):07d}",
                    "flag_country": rng.choice(countries),
                }
            ],
            "parties": [],
        }
        if rng.random() < 0.3:
            report["parties"].append(
                {
                    "kind": "person",
                    "role": "courier",
                    "family_name": rng.choice(["Martin", "Dupont", "Moreau", "Garcia"]),
                    "given_names": rng.choice(["Jean", "Ana", "Ali", "Marie"]),
                    "birth_date": dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(15000)),
                    "nationality": rng.choice(countries),
                    "sex": rng.choice(["M", "F"]),
                }
            )
        for _index in range(count):
            type_code, category_code, label = rng.choice(vocabulary["types"])
            report["items"].append(
                {
                    "commodity_category": category_code,
                    "commodity_type": rng.choice([type_code, label]),
                    "description": f"{label}, in {rng.randrange(1, 400)} packages",
                    "quantity": f"{rng.uniform(0.1, 900):.3f}",
                    "unit": rng.choice(vocabulary["units"]),
                    "packages_count": rng.randrange(1, 400),
                    "estimated_value": f"{rng.uniform(100, 90000):.2f}",
                    "currency": "EUR",
                    "genuineness": rng.choice(["genuine", "counterfeit", "unknown"]),
                    "country_of_manufacture": rng.choice(countries),
                    "concealment_method": rng.choice(vocabulary["concealments"]),
                }
            )
        yield report


def _cell(value: Any, *, csv_text: bool, rng: random.Random, seed: int = 0) -> Any:
    """A value as an officer's file holds it: CSV dates ISO or day-first, decimal commas now and then (the same
    way for every cell of a report: ``seed`` is the report's number)."""
    if isinstance(value, dt.date) and csv_text:
        return value.isoformat() if seed % 2 else value.strftime("%d/%m/%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, str) and csv_text and seed % 3 == 0 and value.replace(".", "", 1).isdigit():
        return value.replace(".", ",")
    if isinstance(value, str) and not csv_text and value.replace(".", "", 1).isdigit():
        return float(value)
    return value


def generate_upload(path: Path, *, format: str, rows: int = ITEM_ROWS) -> Path:
    """Write an upload of ``rows`` item rows (full variant) as ``format`` ("csv" or "xlsx") at ``path``."""
    from apps.uploads.columns import csv_columns, sheet_columns, sheet_parts, sheet_title

    rng = random.Random(11)
    wire = {"item": "items", "route": "route", "conveyance": "conveyances", "party": "parties"}
    if format == "csv":
        columns = csv_columns(variant="full")
        with path.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow([str(column.header) for column in columns])
            for report in _reports(rows):
                for index, item in enumerate(report["items"]):
                    line = []
                    for column in columns:
                        if column.part == "report":
                            value = report.get(column.key)
                        elif column.part == "item":
                            value = item.get(column.field.name)
                        else:
                            group = report[wire[column.part]]
                            given = index == 0 and column.group <= len(group)
                            value = group[column.group - 1].get(column.field.name) if given else None
                        seed = int(report["national_reference"][-7:])
                        line.append("" if value is None else _cell(value, csv_text=True, rng=rng, seed=seed))
                    writer.writerow(line)
        return path
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    parts = sheet_parts(variant="full")
    sheets = {part: book.create_sheet(sheet_title(part)) for part in parts}
    layout = {part: sheet_columns(part, variant="full") for part in parts}
    for part, sheet in sheets.items():
        sheet.append([str(column.header) for column in layout[part]])
    for report in _reports(rows):
        reference = report["national_reference"]
        sheets["report"].append([_cell(report.get(column.key), csv_text=False, rng=rng) for column in layout["report"]])
        for part in parts[1:]:
            for row in report[wire[part]]:
                sheets[part].append(
                    [reference, *(_cell(row.get(column.key), csv_text=False, rng=rng) for column in layout[part][1:])]
                )
    book.save(path)
    return path


def _read(path: str, format: str, connection: Any) -> None:
    """In a fresh process: read the upload to the end; send (seconds, records by part, peak RSS in MB)."""
    import django

    django.setup()
    from apps.uploads.cells import CellProblem
    from apps.uploads.marked import marked_copy
    from apps.uploads.reading import read_upload

    started, cpu = time.perf_counter(), time.process_time()
    reading = read_upload(Path(path), format=format, variant="full")
    records = 0
    problems: list[CellProblem] = []
    for record in reading:
        records += 1
        if record.part == "item" and record.row % 100 == 0:  # one item row in a hundred has an error
            problems.append(
                CellProblem(record.sheet, record.row, record.cells["quantity"], "quantity", "Enter a number.")
            )
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = own_peak_rss_mb()
    started, marked_cpu = time.perf_counter(), time.process_time()
    copy = marked_copy(
        Path(path),
        format=format,
        problems=problems,
        encoding=reading.summary.encoding or None,
        separator=reading.summary.separator or None,
    )
    marked, marked_cpu = time.perf_counter() - started, time.process_time() - marked_cpu
    marked_peak = own_peak_rss_mb()
    connection.send(
        {
            "read_s": round(seconds, 2),
            "read_cpu_s": round(cpu, 2),
            "records": records,
            "rows": dict(reading.summary.rows),
            "records_per_s": round(records / seconds),
            "read_peak_rss_mb": round(peak, 1),
            "marked_copy_s": round(marked, 2),
            "marked_copy_cpu_s": round(marked_cpu, 2),
            "marked_copy_bytes": len(copy),
            "marked_problems": len(problems),
            "peak_rss_mb": round(marked_peak, 1),
        }
    )


def read_in_fresh_process(path: Path, *, format: str) -> Figures:
    """The figures of reading ``path`` (then making its marked copy) in a process of its own."""
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(target=_read, args=(str(path), format, sending))
    process.start()
    result = receiving.recv()
    process.join()
    return result  # type: ignore[no-any-return]


def zip_bomb_refusal_ms(directory: Path) -> tuple[int, float]:
    """(size in bytes, best of five milliseconds) of refusing a workbook-shaped zip bomb: one entry holding
    256 MiB of zeros that compresses to a few hundred kilobytes."""
    import zipfile

    from apps.uploads.sniffing import UploadRefused, inspect_upload

    path = directory / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as entry:
            zeros = bytes(1024 * 1024)
            for _megabyte in range(256):
                entry.write(zeros)
    timings = []
    for _attempt in range(5):
        started = time.perf_counter()
        try:
            inspect_upload(path, name="bomb.xlsx")
        except UploadRefused:
            timings.append((time.perf_counter() - started) * 1000)
        else:
            raise RuntimeError("the zip bomb was not refused")
    return path.stat().st_size, round(min(timings), 3)


@benchmark("upload_reading")
def upload_reading() -> Figures:
    figures: Figures = {"item_rows": ITEM_ROWS}
    with tempfile.TemporaryDirectory() as directory:
        figures["zip_bomb_bytes"], figures["zip_bomb_refused_ms"] = zip_bomb_refusal_ms(Path(directory))
        for format in ("csv", "xlsx"):
            path = generate_upload(Path(directory) / f"upload.{format}", format=format)
            figures[format] = {"bytes": path.stat().st_size, **read_in_fresh_process(path, format=format)}
    return figures
