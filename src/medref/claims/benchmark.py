"""Measure claim-check throughput: the streaming path over in-memory tables against the naive
baseline (one SQL query per lookup), on the same synthetic batch, in one process.

The timed path is exactly what `medref check` runs: read the CSV in batches, check each claim,
consume every finding. Loading the tables is timed apart (it happens once per process).
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from medref.claims.engine import check_claims
from medref.claims.model import Claim, Finding
from medref.claims.read import read_claims
from medref.claims.sql_tables import SqlLoaders
from medref.claims.synthetic import Batch, write_batch
from medref.claims.tables import EditTables, Versioned, edit_tables
from medref.kb.store import KnowledgeBase


@dataclass(frozen=True, slots=True)
class Throughput:
    lines: int
    claims: int
    findings: int
    seconds: float
    """Wall-clock time."""
    cpu_seconds: float
    """Time this process spent on a CPU: the fair figure on a machine shared with other work."""
    by_status: dict[str, int]

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds if self.seconds else 0.0

    @property
    def lines_per_cpu_second(self) -> float:
        return self.lines / self.cpu_seconds if self.cpu_seconds else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            **asdict(self),
            "lines_per_second": round(self.lines_per_second),
            "lines_per_cpu_second": round(self.lines_per_cpu_second),
        }


@dataclass(frozen=True, slots=True)
class BenchReport:
    lines: int
    claims: int
    generate_seconds: float
    load_seconds: float
    """Reading the edit tables the batch needs into memory (once per process)."""
    streaming: Throughput
    """All findings, passes included."""
    problems_only: Throughput
    """The same batch with `--only-problems` (pass findings not built)."""
    baseline: Throughput
    """Per-lookup SQL, no in-memory tables, on the first claims of the batch."""
    baseline_fast: Throughput
    """The in-memory path on the same sample, for the comparison."""
    same_findings: bool
    """The baseline and the in-memory tables gave identical findings on the sample."""

    @property
    def speedup(self) -> float:
        slow = self.baseline.lines_per_second
        return self.baseline_fast.lines_per_second / slow if slow else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "lines": self.lines,
            "claims": self.claims,
            "generate_seconds": round(self.generate_seconds, 3),
            "load_seconds": round(self.load_seconds, 3),
            "streaming": self.streaming.as_dict(),
            "problems_only": self.problems_only.as_dict(),
            "baseline_sql": self.baseline.as_dict(),
            "in_memory_on_baseline_sample": self.baseline_fast.as_dict(),
            "speedup_over_baseline": round(self.speedup, 1),
            "same_findings": self.same_findings,
        }


def consume(claims: Iterable[Claim], tables: EditTables, *, passes: bool = True) -> Throughput:
    """Check claims and count what comes out; the clock covers reading too when `claims` is a
    lazy reader."""
    statuses: Counter[str] = Counter()
    counted = {"claims": 0, "lines": 0}

    def counting(stream: Iterable[Claim]) -> Iterable[Claim]:
        for claim in stream:
            counted["claims"] += 1
            counted["lines"] += len(claim.lines)
            yield claim

    started, cpu_started = time.perf_counter(), time.process_time()
    for finding in check_claims(counting(claims), tables, passes=passes):
        statuses[finding.status] += 1
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return Throughput(
        counted["lines"], counted["claims"], sum(statuses.values()), seconds, cpu, dict(statuses)
    )


def preload(tables: EditTables, batch: Batch) -> float:
    """Read every table release the batch (practitioner claims in one NCCI quarter) needs;
    returns the seconds it took."""
    started = time.perf_counter()
    day = batch.quarter.effective
    assert day is not None
    needed: list[Versioned[Any]] = [
        tables.ptp["practitioner"],
        tables.mue["practitioner"],
        tables.aoc,
        tables.pfs,
        tables.hcpcs,
        tables.modifiers,
        tables.icd,
        tables.pos,
    ]
    for table in needed:
        table.on(day) or table.newest()
    tables.level_2_labs()
    return time.perf_counter() - started


def sample_claims(path: Path, lines: int) -> list[Claim]:
    """The first whole claims of a file holding at least `lines` lines."""
    taken: list[Claim] = []
    count = 0
    for claim in read_claims(path):
        taken.append(claim)
        count += len(claim.lines)
        if count >= lines:
            break
    return taken


def findings_of(claims: list[Claim], tables: EditTables) -> list[Finding]:
    return list(check_claims(claims, tables))


def bench_check(
    kb: KnowledgeBase, lines: int, sample: int, seed: int = 7, workdir: Path | None = None
) -> BenchReport:
    with tempfile.TemporaryDirectory(dir=workdir) as folder:
        started = time.perf_counter()
        batch = write_batch(kb, Path(folder) / "claims.csv", lines, seed)
        generated = time.perf_counter() - started
        tables = edit_tables(kb)
        loaded = preload(tables, batch)
        streaming = consume(read_claims(batch.path), tables)
        problems = consume(read_claims(batch.path), tables, passes=False)
        claims = sample_claims(batch.path, sample)
    naive = edit_tables(kb, SqlLoaders(kb.conn))
    baseline = consume(claims, naive)
    fast = consume(claims, tables)
    same = findings_of(claims, naive) == findings_of(claims, tables)
    return BenchReport(
        batch.lines, batch.claims, generated, loaded, streaming, problems, baseline, fast, same
    )
