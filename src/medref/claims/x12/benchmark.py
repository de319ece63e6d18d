"""Measure 837 parse + check against the CSV path, on the same claims, in one process.

A synthetic batch from the real tables (`claims.synthetic`) is written as CSV, the same
claims with a patient id each as CSV again, and as an 837P (`write837`). Each is then read
and checked through the path `medref check` takes, consuming every finding (and, for the
837, its place in the file); the 837 is also read without checking, to show the parser's
share. The tables are loaded once before the clock starts.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from medref.claims.benchmark import Throughput, consume, preload
from medref.claims.engine import check_claims
from medref.claims.model import Claim
from medref.claims.read import read_claims
from medref.claims.read_csv import CSV_COLUMNS
from medref.claims.synthetic import write_batch
from medref.claims.tables import EditTables, edit_tables
from medref.claims.x12.check import PlacedTally
from medref.claims.x12.read837 import Reader837
from medref.claims.x12.write837 import write_837
from medref.kb.store import KnowledgeBase


@dataclass(frozen=True, slots=True)
class X12Report:
    lines: int
    claims: int
    segments: int
    megabytes: float
    load_seconds: float
    csv: Throughput
    """The CSV as `medref check` reads it (no patient ids: each claim checked alone)."""
    csv_patients: Throughput
    """The same CSV with a patient_id column: the path an 837's claims take."""
    x12: Throughput
    """The 837P: parse, map loops to claims, check, place every finding."""
    parse_only: Throughput
    """The 837P read into claims, not checked."""
    same_verdicts: bool
    """The 837 and the CSV with patient ids gave the same counts by rule and status."""

    def as_dict(self) -> dict[str, object]:
        return {
            "lines": self.lines,
            "claims": self.claims,
            "segments": self.segments,
            "megabytes": round(self.megabytes, 1),
            "load_seconds": round(self.load_seconds, 3),
            "csv": self.csv.as_dict(),
            "csv_with_patient_ids": self.csv_patients.as_dict(),
            "x12_837p": self.x12.as_dict(),
            "x12_parse_only": self.parse_only.as_dict(),
            "x12_vs_csv_per_cpu_second": round(
                self.x12.lines_per_cpu_second / self.csv.lines_per_cpu_second, 2
            )
            if self.csv.lines_per_cpu_second
            else 0.0,
            "same_verdicts": self.same_verdicts,
        }


def bench_x12(
    kb: KnowledgeBase,
    lines: int,
    seed: int = 7,
    workdir: Path | None = None,
    save: Path | None = None,
) -> X12Report:
    """The comparison; `save` keeps a copy of the generated 837P (a file for volume)."""
    with tempfile.TemporaryDirectory(dir=workdir) as folder:
        base = Path(folder)
        batch = write_batch(kb, base / "claims.csv", lines, seed)
        with_patients = base / "claims-patients.csv"
        write_with_patients(batch.path, with_patients)
        x12_path = base / "claims.837"
        x12_path.write_text(write_837(read_claims(with_patients)), encoding="utf-8")
        if save is not None:
            shutil.copyfile(x12_path, save)
        tables = edit_tables(kb)
        loaded = preload(tables, batch)
        csv_run = consume(read_claims(batch.path), tables)
        csv_patients = consume(read_claims(with_patients), tables)
        by_rule_csv = verdicts(read_claims(with_patients), tables)
        x12_run, by_rule_x12, segments = check_837(x12_path, tables)
        parse = timed_read(lambda: read_837(x12_path))
        size = x12_path.stat().st_size / 1e6
    return X12Report(
        batch.lines,
        batch.claims,
        segments,
        size,
        loaded,
        csv_run,
        csv_patients,
        x12_run,
        parse,
        by_rule_csv == by_rule_x12,
    )


def write_with_patients(source: Path, target: Path) -> None:
    """The batch again with a patient_id column, one patient per claim."""
    with source.open(newline="") as reading, target.open("w", newline="") as writing:
        rows = csv.reader(reading)
        out = csv.writer(writing)
        next(rows)
        out.writerow([*CSV_COLUMNS, "patient_id"])
        for row in rows:
            out.writerow([*row, f"PT-{row[0]}"])


def verdicts(claims: Iterable[Claim], tables: EditTables) -> Counter[tuple[str, str]]:
    return Counter((f.rule, f.status) for f in check_claims(claims, tables))


def read_837(path: Path) -> Iterator[Claim]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from Reader837().claims(handle)


def check_837(path: Path, tables: EditTables) -> tuple[Throughput, Counter[tuple[str, str]], int]:
    """The 837 path of `medref check`: every finding handed out with its place."""
    statuses: Counter[str] = Counter()
    with path.open(encoding="utf-8", newline="") as handle:
        reader = Reader837()
        tally = PlacedTally(places=reader.places)
        started, cpu_started = time.perf_counter(), time.process_time()
        for finding in check_claims(reader.claims(handle), tables, tally=tally):
            tally.place(finding)
            statuses[finding.status] += 1  # as `consume` does on the CSV path
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    run = Throughput(
        tally.lines, tally.claims, sum(statuses.values()), seconds, cpu, dict(statuses)
    )
    return run, tally.by_rule, reader.counts.envelope.segments


def timed_read(read: Callable[[], Iterator[Claim]]) -> Throughput:
    started, cpu_started = time.perf_counter(), time.process_time()
    claims = lines = 0
    for claim in read():
        claims += 1
        lines += len(claim.lines)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return Throughput(lines, claims, 0, seconds, cpu, {})
