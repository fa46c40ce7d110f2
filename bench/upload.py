"""The bulk upload at 100,000 item rows: ``make bench BENCH=upload``.

Generates ``ITEM_ROWS`` item rows (about 65,000 seizure reports of the bench administration, with the
commodities, settings, routes, conveyances and persons of the demo's generators: :mod:`demo.reports`) as a CSV
and as an XLSX workbook in the upload's own layouts (:mod:`apps.uploads.columns`), then for each format:

- ``check_s``, ``commit_s``, ``total_s``: OUR whole upload, through the services the views and the worker's
  tasks call — the file kept (``upload_create``), read and checked (``upload_check``, by the child and the helper
  process it forks: :mod:`apps.uploads.helper`), confirmed (``upload_commit``) and written in one transaction
  (``upload_commit_run``) — in a child process, with nothing else watching it; ``peak_rss_mb``: the same upload of
  another 100,000 rows (the same generator, other references) in another child, watched: the larger of its own
  peak resident memory (its ``VmHWM``: see :func:`bench.harness.own_peak_rss_mb`) and the peak of its and its
  helper's memory together (their proportional set sizes summed, sampled every 50 ms:
  :func:`bench.harness.tree_pss_mb`). Memory is measured apart because reading the processes' memory that often
  took about 8% of the machine: the upload watched took about 2 s longer;
- ``peer_s``: django-import-export, the library a Django team would reach for, importing the reports of the first
  ``PEER_ROWS`` item rows with its documented default ``ModelResource`` for the report model, a dry run then the
  import, as its admin does (it writes the report rows only: its default resource knows nothing of a report's
  items, route, conveyances and parties); ``ours_on_peer_rows_s`` our whole upload of the same rows (a CSV or
  XLSX of the first ``PEER_ROWS`` item rows), and ``x_faster_than_peer``;
- ``copy_s``: PostgreSQL's ``COPY`` of the data of the rows our upload wrote (the reports, their detection
  methods, items, route, conveyances and parties) into the same tables, with their indexes and foreign keys
  checked as any write into them is, in a transaction rolled back: the physical limit, no rule of ours checked;
  ``x_of_copy`` is ``total_s`` over it.

Every run uses new national references (a prefix of its own), so each upload creates its reports. Each
measurement starts on a freshly vacuumed and analysed database (:func:`bench.harness.settle_database`), the rows
the one before wrote counted in the planner's statistics.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.harness import (
    BENCH_USERNAME,
    Figures,
    bench_account,
    benchmark,
    own_peak_rss_mb,
    revoke_bench_tokens,
    settle_database,
    tree_pss_mb,
)

ITEM_ROWS = int(os.environ.get("RILO_BENCH_UPLOAD_ROWS", "100000"))
PEER_ROWS = min(20_000, ITEM_ROWS)
# How many items a report has: about 1.54 on average (100,000 item rows make about 65,000 reports).
ITEMS_PER_REPORT = ((1, 60), (2, 27), (3, 9), (4, 4))


@dataclass
class _Report:
    """One generated report: its fields and its parts' rows, by upload column key (values as typed in Excel)."""

    fields: dict[str, Any]
    items: list[dict[str, Any]] = field(default_factory=list)
    route: list[dict[str, Any]] = field(default_factory=list)
    conveyances: list[dict[str, Any]] = field(default_factory=list)
    parties: list[dict[str, Any]] = field(default_factory=list)


def _generate(*, item_rows: int, prefix: str, country: str, seed: int = 7) -> list[_Report]:
    """Reports holding ``item_rows`` items in all, with national references ``<prefix>-<number>``."""
    from demo.reports import (
        CITIES,
        COMMODITIES,
        CONCEALMENT,
        CONTAINER_OWNERS,
        DETECTION,
        DIRECTIONS,
        FAMILY_NAMES,
        GIVEN_NAMES,
        SELECTION,
        SETTINGS,
        TRANSIT,
        ensure_vocabulary,
    )

    ensure_vocabulary()  # the demo's terms (HS headings, settings), made where the reference data lacks them
    rng = random.Random(seed)
    commodity_weights = [commodity.weight for commodity in COMMODITIES]
    setting_weights = [setting.weight for setting in SETTINGS]
    counts, count_weights = zip(*ITEMS_PER_REPORT, strict=True)
    cities = CITIES.get(country, ("Capital", "Main port", "Border post"))
    today = dt.date.today()
    reports: list[_Report] = []
    written = 0
    while written < item_rows:
        setting = rng.choices(SETTINGS, weights=setting_weights)[0]
        city = rng.choice(cities)
        number = len(reports) + 1
        report = _Report(
            fields={
                "national_reference": f"{prefix}-{number:06d}",
                "kind": "seizure",
                "country_of_seizure": country,
                "seizure_date": today - dt.timedelta(days=rng.randint(1, 3 * 365)),
                "seizure_time": dt.time(rng.randint(0, 23), rng.choice((0, 15, 30, 45)))
                if rng.random() < 0.4
                else None,
                "customs_office": f"{city} customs office",
                "place": setting.place.format(city=city),
                "location_type": setting.location,
                "direction": rng.choice(list(DIRECTIONS)),
                "transport_mode": setting.mode,
                "conveyance_type": setting.conveyance,
                "detection_methods": ";".join(rng.sample(list(DETECTION), rng.choice((1, 1, 2)))),
                "selection_basis": rng.choice(list(SELECTION)) if rng.random() < 0.7 else None,
                "modus_operandi": "Goods declared as spare parts" if rng.random() < 0.2 else None,
                "number_of_offenders": rng.randint(0, 3) if rng.random() < 0.5 else None,
            }
        )
        count = min(rng.choices(counts, weights=count_weights)[0], item_rows - written)
        first = None
        for _ in range(count):
            commodity = rng.choices(COMMODITIES, weights=commodity_weights)[0]
            first = first or commodity
            value = commodity.median * math.exp(rng.gauss(0, commodity.spread) * 0.6)
            quantity = Decimal(max(1, round(value))) if commodity.unit in ("H87", "U2", "PR", "STK") else None
            quantity = quantity or Decimal(f"{max(value, 0.001):.3f}")
            attributes = []
            for name, choices in commodity.attributes:
                if choices is None:
                    attributes.append(f"{name}={int(quantity)}")
                elif len(choices) == 2 and all(type(choice) is int for choice in choices):
                    attributes.append(f"{name}={rng.randint(*choices)}")
                else:
                    chosen = rng.choice(choices)
                    attributes.append(f"{name}={json.dumps(chosen) if isinstance(chosen, bool) else chosen}")
            estimated = Decimal(f"{float(quantity) * rng.uniform(0.5, 40):.2f}") if rng.random() < 0.6 else None
            report.items.append(
                {
                    "commodity_category": commodity.category,
                    "commodity_type": commodity.code,
                    "hs_code": commodity.hs,
                    "description": rng.choice(commodity.descriptions),
                    "quantity": quantity,
                    "unit": commodity.unit,
                    "packages_count": rng.randint(1, 400) if rng.random() < 0.5 else None,
                    "estimated_value": estimated,
                    "currency": "EUR" if estimated is not None else None,
                    "brand": rng.choice(commodity.brands) or None,
                    "genuineness": "counterfeit" if commodity.category == "IPR" else rng.choice(("genuine", "unknown")),
                    "country_of_manufacture": rng.choice(commodity.origins) if rng.random() < 0.4 else None,
                    "concealment_method": rng.choice(list(CONCEALMENT)) if rng.random() < 0.8 else None,
                    "attributes": "; ".join(attributes) or None,
                }
            )
        written += count
        assert first is not None  # noqa: S101 (a report has at least one item)
        report.route.append({"role": "origin", "country": rng.choice(first.origins)})
        if rng.random() < 0.4:
            report.route.append({"role": "transit", "country": rng.choice(TRANSIT)})
        report.route.append({"role": "destination", "country": country})
        if rng.random() < 0.65:
            report.conveyances.append(
                {
                    "transport_mode": setting.mode,
                    "conveyance_type": setting.conveyance,
                    "identifier_type": setting.identifier_type,
                    "identifier": f"{rng.choice(CONTAINER_OWNERS)}{rng.randrange(10_000_000):07d}",
                }
            )
        if rng.random() < 0.5:
            report.parties.append(
                {
                    "kind": "person",
                    "role": rng.choice(("offender", "courier")),
                    "family_name": rng.choice(FAMILY_NAMES),
                    "given_names": rng.choice(GIVEN_NAMES),
                    "birth_date": dt.date(rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28)),
                    "nationality": rng.choice(TRANSIT),
                }
            )
        reports.append(report)
    return reports


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _write_csv(reports: list[_Report], path: Path) -> None:
    """One row per item, the report's columns repeated, its route, conveyances and parties in numbered groups."""
    from apps.uploads.columns import csv_columns

    columns = csv_columns(variant="full")
    groups = {"route": "route", "conveyance": "conveyances", "party": "parties"}
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([column.key for column in columns])
        for report in reports:
            for item in report.items:
                row = []
                for column in columns:
                    if column.group:
                        steps = getattr(report, groups[column.part])
                        step = steps[column.group - 1] if column.group <= len(steps) else {}
                        row.append(_text(step.get(column.field.name)))
                    elif column.part == "report":
                        row.append(_text(report.fields.get(column.key)))
                    else:
                        row.append(_text(item.get(column.key)))
                writer.writerow(row)


def _cell(value: Any) -> Any:
    """Dates as dates, decimals as number cells (doubles, as Excel stores them: the reader takes them with the
    15 significant digits Excel shows), the rest as text."""
    if isinstance(value, Decimal):
        return float(value)
    return value


def _write_xlsx(reports: list[_Report], path: Path) -> None:
    """One sheet per part, each row keyed by the national reference (openpyxl's write-only workbook)."""
    from openpyxl import Workbook

    from apps.uploads.columns import sheet_columns, sheet_parts, sheet_title

    book = Workbook(write_only=True)
    rows_of = {
        "report": lambda report: [report.fields],
        "item": lambda report: report.items,
        "route": lambda report: report.route,
        "conveyance": lambda report: report.conveyances,
        "party": lambda report: report.parties,
    }
    for part in sheet_parts(variant="full"):
        sheet = book.create_sheet(sheet_title(part))
        columns = sheet_columns(part, variant="full")
        sheet.append([column.key for column in columns])
        for report in reports:
            reference = report.fields["national_reference"]
            for values in rows_of[part](report):
                sheet.append([reference, *(_cell(values.get(column.key)) for column in columns[1:])])
    book.save(path)


# --- our upload, in a child process (its own peak memory) -----------------------------------------------------


def _ours(path: Path, file_format: str, *, watched: bool = False) -> Figures:
    """Our whole upload of ``path`` as the bench officer, in a child process: its figures, its peak memory its
    own peak resident set. ``watched``: also the peak, sampled here every 50 ms, of the proportional set size of
    the child with the check's helper process (:mod:`apps.uploads.helper`) while it runs, their pages counted
    once, if larger (the sampling slows the upload: its times are not the ones to keep)."""
    argv = [sys.executable, "-m", "bench.upload", str(path), file_format]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ})
    together = 0.0
    while True:
        if watched:
            together = max(together, tree_pss_mb(process.pid))
        try:
            stdout, stderr = process.communicate(timeout=0.05 if watched else None)
            break
        except subprocess.TimeoutExpired:
            continue
    if process.returncode != 0:
        raise RuntimeError(f"The upload of {path.name} failed:\n{stderr[-4000:]}")
    figures = dict(json.loads(stdout.strip().splitlines()[-1]))
    figures["peak_rss_mb"] = round(max(float(figures["peak_rss_mb"]), together))
    return figures


def _upload_here(path: Path, file_format: str) -> Figures:
    """The child's work: the upload as the officer and the worker make it, through the services the views and
    the tasks call — kept (``upload_create``), read and checked (``upload_check``, the check task's work),
    confirmed (``upload_commit``) and written (``upload_commit_run``, the commit task's work)."""
    from apps.accounts.models import User
    from apps.uploads.committing import upload_commit_run
    from apps.uploads.models import Upload
    from apps.uploads.services import upload_check, upload_commit, upload_create

    user = User.objects.get(username=BENCH_USERNAME)
    started = time.perf_counter()
    with path.open("rb") as file:
        upload = upload_create(actor=user, file=file, name=f"seizures.{file_format}", variant="full")
    upload_check(upload_id=upload.pk)
    checked = time.perf_counter()
    upload = Upload.objects.get(pk=upload.pk)
    if upload.rows_with_errors or upload.state != "checked":
        problems = list(upload.problems.values_list("sheet", "row", "column", "message")[:10])
        raise RuntimeError(f"The bench upload did not check clean ({upload.state}, {upload.error}): {problems}")
    # The officer's confirmation asks a worker for the commit (no worker listens here: the message waits in the
    # broker, and the commit task finds the upload committed when one takes it); this process does its work.
    upload_commit(upload=upload, actor=user, submit=False)
    outcome = upload_commit_run(upload_id=upload.pk)
    committed = time.perf_counter()
    upload = Upload.objects.get(pk=upload.pk)
    if outcome != "committed":
        raise RuntimeError(f"The bench upload was not committed ({outcome}): {upload.error}")
    return {
        "check_s": round(checked - started, 2),
        "commit_s": round(committed - checked, 2),
        "total_s": round(committed - started, 2),
        "peak_rss_mb": round(own_peak_rss_mb()),
        "reports": upload.new_reports,
    }


# --- the peer ---------------------------------------------------------------------------------------------------


def _peer(reports: list[_Report], administration_id: int) -> float:
    """django-import-export's default ``ModelResource`` of the report model importing these reports' rows (terms
    as the ids its foreign-key widgets take), a dry run then the import, as its admin does: seconds."""
    import tablib
    from import_export import resources

    from apps.reference.models import (
        ConveyanceType,
        DetectionMethod,
        Direction,
        LocationType,
        SelectionBasis,
        TransportMode,
    )
    from apps.reports.models import Report

    class ReportResource(resources.ModelResource):  # type: ignore[type-arg]
        class Meta:
            model = Report

    ids = {
        name: dict(model.objects.values_list("code", "pk"))
        for name, model in (
            ("location_type", LocationType),
            ("direction", Direction),
            ("transport_mode", TransportMode),
            ("conveyance_type", ConveyanceType),
            ("selection_basis", SelectionBasis),
            ("detection_methods", DetectionMethod),
        )
    }
    headers = ["id", "administration", "form_variant", *reports[0].fields]
    dataset = tablib.Dataset(headers=headers)
    for report in reports:
        row: list[Any] = ["", administration_id, "full"]
        for name, value in report.fields.items():
            if name == "detection_methods":
                value = ",".join(str(ids[name][code]) for code in value.split(";"))
            elif name in ids and value is not None:
                value = ids[name][value]
            row.append("" if value is None else value)
        dataset.append(row)
    started = time.perf_counter()
    for dry_run in (True, False):
        result = ReportResource().import_data(dataset, dry_run=dry_run, raise_errors=True)
        if result.has_errors() or result.has_validation_errors():
            raise RuntimeError("The peer refused the bench rows.")
    return time.perf_counter() - started


# --- COPY -------------------------------------------------------------------------------------------------------


def _copy_seconds(prefix: str) -> float:
    """COPY of the data our upload wrote (its reports under ``prefix`` and their parts) back into the same
    tables, in a transaction rolled back: seconds for the COPY FROM statements alone, their foreign keys checked
    by each statement (as they are for any write: at the latest when it commits)."""
    from django.db import connection, transaction
    from django.db.models import Model

    from apps.reports.models import Report
    from apps.reports.services.steps import PART_MODELS

    report_ids = list(Report.objects.filter(national_reference__startswith=f"{prefix}-").values_list("pk", flat=True))
    quote = connection.ops.quote_name
    through = Report.detection_methods.through
    children: list[type[Model]] = [through, *PART_MODELS.values()]
    # Every other row naming these reports (their trail, their permissions): removed with them, not copied back.
    referring: list[tuple[type[Model], str]] = [
        (relation.related_model, relation.field.column)
        for relation in Report._meta.related_objects
        if relation.one_to_many
        and isinstance(relation.related_model, type)
        and relation.related_model not in (Report, *children)
    ]
    saved: list[tuple[str, bytes]] = []
    seconds = 0.0
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor
        sources: list[tuple[type[Model], str]] = [(Report, "id"), *((child, "report_id") for child in children)]
        for model, column in sources:
            table = quote(model._meta.db_table)
            taken = bytearray()
            with cursor.copy(f"COPY (SELECT * FROM {table} WHERE {column} = ANY(%s)) TO STDOUT", [report_ids]) as copy:  # noqa: S608 - names from the models
                for piece in copy:
                    taken += piece
            saved.append((table, bytes(taken)))
        for table_model, column in [*((child, "report_id") for child in children), *referring]:
            delete = f"DELETE FROM {quote(table_model._meta.db_table)} WHERE {quote(column)} = ANY(%s)"  # noqa: S608
            cursor.execute(delete, [report_ids])
        cursor.execute(f"DELETE FROM {quote(Report._meta.db_table)} WHERE id = ANY(%s)", [report_ids])  # noqa: S608
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deletes' checks now; each COPY's at its end
        started = time.perf_counter()
        for table, data in saved:
            with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(data)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds


# --- the benchmark ----------------------------------------------------------------------------------------------


@benchmark("upload")
def upload() -> list[Figures]:
    """One line per format (see the module docstring)."""
    user, _ = bench_account()
    revoke_bench_tokens()
    administration = user.administration
    assert administration is not None  # noqa: S101 (the bench officer's)
    country = str(administration.country)
    run = uuid.uuid4().hex[:6].upper()
    # The peer imports a dataset, not a file: one run serves both lines.
    peer_reports = _generate(item_rows=PEER_ROWS, prefix=f"B{run}P", country=country)
    settle_database()
    peer_s = _peer(peer_reports, administration.pk)
    lines = []
    with tempfile.TemporaryDirectory(prefix="rilo-bench-upload-") as folder:
        for file_format in ("csv", "xlsx"):
            prefix = f"B{run}{file_format[0].upper()}"
            reports = _generate(item_rows=ITEM_ROWS, prefix=prefix, country=country)
            # The same generator and seed: the first PEER_ROWS item rows of the whole file, under other references.
            first = _generate(item_rows=PEER_ROWS, prefix=f"{prefix}F", country=country)
            # Other references, the same rows: the upload whose memory is watched.
            watched = _generate(item_rows=ITEM_ROWS, prefix=f"{prefix}M", country=country)
            whole, part = Path(folder) / f"whole.{file_format}", Path(folder) / f"first.{file_format}"
            memory = Path(folder) / f"memory.{file_format}"
            write = _write_csv if file_format == "csv" else _write_xlsx
            write(reports, whole)
            write(first, part)
            write(watched, memory)
            del watched
            settle_database()  # after the writes before (the peer's, another format's upload)
            ours = _ours(whole, file_format)
            settle_database()
            copy_s = _copy_seconds(prefix)
            settle_database()
            ours_first = _ours(part, file_format)
            settle_database()
            peak_rss_mb = max(ours["peak_rss_mb"], _ours(memory, file_format, watched=True)["peak_rss_mb"])
            lines.append(
                {
                    "format": file_format,
                    "rows": ITEM_ROWS,
                    "reports": ours["reports"],
                    "check_s": ours["check_s"],
                    "commit_s": ours["commit_s"],
                    "total_s": ours["total_s"],
                    "peak_rss_mb": peak_rss_mb,
                    "peer_rows": PEER_ROWS,
                    "peer_reports": len(peer_reports),
                    "peer_s": round(peer_s, 2),
                    "ours_on_peer_rows_s": ours_first["total_s"],
                    "x_faster_than_peer": round(peer_s / ours_first["total_s"], 1),
                    "copy_s": round(copy_s, 2),
                    "x_of_copy": round(ours["total_s"] / copy_s, 1),
                }
            )
    return lines


def _main(argv: list[str]) -> int:
    """The child process of :func:`_ours`: ``python -m bench.upload PATH FORMAT`` prints its figures."""
    import django

    django.setup()
    print(json.dumps(_upload_here(Path(argv[0]), argv[1])), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
