"""`medref bench check --engine ...`: the claim-check engines on one synthetic batch, each as
the whole process a user runs (`medref check FILE --engine E --out F.parquet`, and the
`spark-submit` job on `local[1]` and `local[2]`), timed with its memory, every finding
compared with the streaming engine's.

Each run is a child process: its wall time, the CPU time of its whole process tree and the
tree's peak resident memory are read from `/proc` every `SAMPLE_SECONDS` (Spark's JVM is a
grandchild that Python's own accounting never sees). CPU time of a process that ends
between two samples is lost (at most one interval per process), so CPU figures are a floor.

The same run measures the input/output floor (`IoFloor`): reading the batch with DuckDB and
writing the findings of the first engine back to Parquet with pyarrow, with no checking at
all. An engine built on these readers and writers that writes every finding cannot finish
faster on this machine, so a throughput target above the floor needs a larger machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from medref.claims.synthetic import write_batch
from medref.errors import MedrefError
from medref.kb.store import KnowledgeBase
from medref.proctree import TICKS_PER_SECOND, process_tree

ENGINES = ("stream", "columnar", "spark")
SPARK_WORKERS = (1, 2)
"""Local Spark threads each Spark run uses: the issue asks for one worker against two."""
SAMPLE_SECONDS = 0.1
COMPARED = "claim_id, line, rule, status, ref, message, vintage"
MEDREF = "from medref.cli import main; main()"
"""`medref` in a child process, from whatever environment runs the benchmark."""


@dataclass(frozen=True, slots=True)
class EngineRun:
    engine: str
    """stream, columnar, or spark local[N]."""
    lines: int
    seconds: float
    """Wall-clock time of the whole process: start-up, reading, checking, writing."""
    cpu_seconds: float
    """User + system time of the process tree (a floor: see the module docstring)."""
    peak_rss_kb: int
    """The largest resident memory of the process tree at one moment."""
    findings: int
    differ: int | None
    """Findings of this run and of the stream engine's without a match in the other (None:
    the stream engine itself, or it was not run)."""

    def as_dict(self) -> dict[str, object]:
        return {
            **asdict(self),
            "lines_per_second": round(self.lines / self.seconds) if self.seconds else 0,
            "lines_per_cpu_second": round(self.lines / self.cpu_seconds) if self.cpu_seconds else 0,
        }


@dataclass(frozen=True, slots=True)
class IoFloor:
    """What any engine must do besides checking: read the batch, write its findings."""

    read_seconds: float
    """DuckDB's CSV reader (every thread) loading the batch into a table."""
    write_seconds: float
    """pyarrow writing the findings, already in memory as Arrow, to one Parquet file."""
    findings: int

    @property
    def seconds(self) -> float:
        return self.read_seconds + self.write_seconds

    def lines_per_second(self, lines: int) -> int:
        return round(lines / self.seconds) if self.seconds else 0

    def as_dict(self, lines: int) -> dict[str, object]:
        return {
            **asdict(self),
            "seconds": round(self.seconds, 3),
            "lines_per_second": self.lines_per_second(lines),
        }


@dataclass(frozen=True, slots=True)
class EnginesReport:
    lines: int
    claims: int
    runs: list[EngineRun]
    floor: IoFloor | None = None

    def run(self, engine: str) -> EngineRun | None:
        return next((run for run in self.runs if run.engine == engine), None)

    def ratio(self, faster: str, slower: str) -> float | None:
        """How many times less wall time `faster` took than `slower` (None: either missing)."""
        a, b = self.run(faster), self.run(slower)
        return round(b.seconds / a.seconds, 2) if a and b and a.seconds else None

    def as_dict(self) -> dict[str, object]:
        return {
            "lines": self.lines,
            "claims": self.claims,
            "runs": [run.as_dict() for run in self.runs],
            "columnar_over_stream": self.ratio("columnar", "stream"),
            "spark_2_over_1_workers": self.ratio("spark local[2]", "spark local[1]"),
            "io_floor": self.floor.as_dict(self.lines) if self.floor else None,
        }


class TreeSampler(threading.Thread):
    """Peak resident memory and CPU time of a process and its descendants, sampled."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.root = pid
        self.peak_kb = 0
        self.ticks: dict[int, int] = {}
        self.finished = threading.Event()

    def run(self) -> None:
        while not self.finished.is_set():
            self.sample()
            self.finished.wait(SAMPLE_SECONDS)

    def sample(self) -> None:
        tree = process_tree(self.root)
        for pid, stat in tree.items():
            self.ticks[pid] = max(self.ticks.get(pid, 0), stat.cpu_ticks)
        self.peak_kb = max(self.peak_kb, sum(stat.resident_kb for stat in tree.values()))

    def cpu_seconds(self) -> float:
        return sum(self.ticks.values()) / TICKS_PER_SECOND


def measured(argv: Sequence[str], log: Path) -> tuple[float, float, int]:
    """Run a command to its end: (wall seconds, CPU seconds, peak RSS KB). Its output goes
    to `log`; a failed run raises `MedrefError` with the log's last lines (the CLI shows it)."""
    started = time.perf_counter()
    with log.open("wb") as out:
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        sampler = TreeSampler(child.pid)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        sampler.finished.set()
        sampler.join()
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-5:])
        raise MedrefError(
            f"the benchmark run `{' '.join(argv[:6])} ...` exited with status "
            f"{child.returncode}; the end of its output:\n{tail}"
        )
    cpu = max(sampler.cpu_seconds(), usage.ru_utime + usage.ru_stime)
    return seconds, cpu, max(sampler.peak_kb, usage.ru_maxrss)


def command(engine: str, workers: int, batch: Path, out: Path, tables: Path) -> list[str]:
    if engine == "spark":
        return [
            sys.executable,
            "-m",
            "medref.claims.columnar.submit",
            str(batch),
            "--tables",
            str(tables),
            "--out",
            str(out),
            "--master",
            f"local[{workers}]",
        ]
    return [
        sys.executable,
        "-c",
        MEDREF,
        "check",
        str(batch),
        "--engine",
        engine,
        "--out",
        str(out),
    ]


def differing(con: duckdb.DuckDBPyConnection, found: Path, stream: Path) -> int:
    """Findings of one run without a match in the other, both ways (multisets)."""
    a = f"SELECT {COMPARED} FROM read_parquet('{parquet_glob(found)}')"
    b = f"SELECT {COMPARED} FROM read_parquet('{parquet_glob(stream)}')"
    rows = con.execute(
        f"SELECT (SELECT count(*) FROM ({a} EXCEPT ALL {b})) + "
        f"(SELECT count(*) FROM ({b} EXCEPT ALL {a}))"
    ).fetchall()
    return int(rows[0][0])


def parquet_glob(path: Path) -> str:
    """A findings file, or the folder of files the Spark job writes."""
    text = str(path / "*.parquet") if path.is_dir() else str(path)
    return text.replace("'", "''")


def counted(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    return int(
        con.execute(f"SELECT count(*) FROM read_parquet('{parquet_glob(path)}')").fetchall()[0][0]
    )


def io_floor(con: duckdb.DuckDBPyConnection, batch: Path, findings: Path) -> IoFloor:
    """Time reading `batch` and writing `findings` again (see `IoFloor`)."""
    source = str(batch).replace("'", "''")
    started = time.perf_counter()
    con.execute(f"CREATE TABLE floor_batch AS SELECT * FROM read_csv('{source}')")
    read = time.perf_counter() - started
    con.execute("DROP TABLE floor_batch")
    table = pq.read_table(findings)  # a file, or the folder of files a Spark job writes
    with tempfile.TemporaryDirectory(dir=findings.parent) as folder:
        started = time.perf_counter()
        pq.write_table(table, Path(folder) / "findings.parquet")
        write = time.perf_counter() - started
    return IoFloor(read, write, table.num_rows)


def bench_engines(
    kb: KnowledgeBase,
    tables: Path,
    lines: int,
    engines: Sequence[str] = ENGINES,
    seed: int = 7,
    workdir: Path | None = None,
) -> EnginesReport:
    """Each engine on the same batch, in the order given (the stream engine first when it is
    asked for, so the others are compared with it); Spark once per `SPARK_WORKERS`."""
    order = sorted(set(engines), key=ENGINES.index)
    with tempfile.TemporaryDirectory(dir=workdir) as folder:
        base = Path(folder)
        batch = write_batch(kb, base / "claims.csv", lines, seed)
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")  # it would print into --json output
        runs: list[EngineRun] = []
        stream_out: Path | None = None
        first: Path | None = None
        for engine in order:
            for workers in SPARK_WORKERS if engine == "spark" else (0,):
                name = f"spark local[{workers}]" if engine == "spark" else engine
                slug = f"spark-{workers}" if engine == "spark" else engine  # Spark globs []
                out = base / (f"{slug}.out" if engine == "spark" else f"{slug}.parquet")
                argv = command(engine, workers, batch.path, out, tables)
                seconds, cpu, peak = measured(argv, base / f"{slug}.log")
                if engine == "stream":
                    stream_out = out
                differ = (
                    differing(con, out, stream_out) if stream_out and out != stream_out else None
                )
                runs.append(
                    EngineRun(name, batch.lines, seconds, cpu, peak, counted(con, out), differ)
                )
                first = first or out
        floor = io_floor(con, batch.path, first) if first else None
        con.close()
    return EnginesReport(batch.lines, batch.claims, runs, floor)
