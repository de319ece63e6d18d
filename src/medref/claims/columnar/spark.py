"""The plan on Apache Spark: the same SQL views (`plan.py`, Spark dialect) over the Parquet
edit tables, on a local Spark (`local[N]`: the tests and `medref check --engine spark`).

The batch's lines come as Arrow tables; the facts of their distinct values are computed on the driver by the rule
modules' own functions (a batch of any size has a few thousand distinct codes) and shipped
as small tables, which Spark broadcasts into the joins.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from medref.claims.columnar import facts
from medref.claims.columnar.dialect import SPARK
from medref.claims.columnar.edit_parquet import TABLES
from medref.claims.columnar.inputs import LineTables, outside_table
from medref.claims.columnar.plan import views
from medref.claims.model import PROBLEM_STATUSES

FINDING_COLUMNS = "claim_key, claim_id, line, rule, status, ref, message, vintage, rule_rank"
BATCH_ROWS = 262_144
"""Findings read back per Arrow record batch."""


def read_again(plan: list[tuple[str, str]]) -> frozenset[str]:
    """The views that later views read more than once. Spark computes a temporary view anew
    for every reader, so these are the ones worth caching (computed once a chunk, on the
    executors); a view read once is left inline for the optimiser."""
    names = [name for name, _ in plan]
    reads = Counter(
        found
        for _, text in plan
        for found in re.findall(r"\b(?:FROM|JOIN)\s+(\w+)", text)
        if found in names
    )
    return frozenset(name for name in names if reads[name] > 1)


def empty_findings(frame: Any) -> pa.Schema:
    """The schema of a findings DataFrame that wrote no file."""
    table: pa.Table = frame.limit(0).toArrow()
    return table.schema


def local_session(workers: int = 2) -> Any:
    """A local Spark session on loopback (`local[workers]`), quiet, without the web UI."""
    return local_session_on(f"local[{workers}]", workers)


def local_session_on(master: str, workers: int = 2) -> Any:
    """A Spark session on a local master, with a 4 GB heap, 2 MB memory pages and few
    shuffle partitions. The driver is the executor here: it holds the cached views and builds
    every broadcast. The plan broadcasts small tables into a few hundred joins, and each
    broadcast hash table takes at least one memory page, 64 MB by default with this heap: on
    the example claims the heap held 2.8-3.2 GB after collection and a broadcast ran out of
    memory in make test (with 2 GB, 1 run in 3; with 4 GB, 1 in 6); with 2 MB pages it holds
    1.2-1.5 GB."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Python workers (the executors' reading of Parquet claims) run this interpreter, which
    # has medref and its dependencies; "python3" on the PATH may have neither
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master(master)
        .appName("medref-check")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(max(2, workers * 2)))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "4g")
        .config("spark.buffer.pageSize", "2m")
        .config("spark.sql.autoBroadcastJoinThreshold", str(1 << 20))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkChecker:
    def __init__(self, spark: Any, tables: str) -> None:
        self.spark = spark
        # Arrow tables under this size become a LocalRelation, rows held inside the query
        # plan; the analyser then walks every row each time it rewrites a view that reads
        # them, which made a 200,000-line chunk spend minutes before its first job. With 0
        # every batch is an RDD of Arrow batches, a leaf that holds no rows.
        spark.conf.set("spark.sql.execution.arrow.localRelationThreshold", "0")
        for name in TABLES:
            spark.read.parquet(f"{tables.rstrip('/')}/{name}.parquet").createOrReplaceTempView(name)
        self.labs = frozenset(row[0] for row in spark.sql("SELECT code FROM labs").collect())
        releases = [row.asDict() for row in spark.sql("SELECT * FROM releases").collect()]
        self._vintages = [
            f"{r['vintage']} ({r['span']})"
            for r in sorted(releases, key=lambda r: (r["source"], r["position"]))
        ]
        self.frame(outside_table(releases), "outside")
        self.frame(facts.indicator_facts(), "indicator_facts")
        self.frame(facts.status_facts(), "status_facts")
        self.frame(facts.mai_facts(), "mai_facts")
        self.plan = views(SPARK)
        self.cached = read_again(self.plan)
        self.held: list[Any] = []
        """The cached views of the last run (a DataFrame the caller persisted stays)."""
        # where the executors write a chunk's findings for the driver to read back
        self.scratch = tempfile.TemporaryDirectory(prefix="medref-spark-")

    @classmethod
    @contextmanager
    def local(cls, tables: Path, workers: int = 2) -> Iterator[SparkChecker]:
        checker = cls.started(tables, workers)
        try:
            yield checker
        finally:
            checker.close()

    @classmethod
    def started(cls, tables: Path, workers: int = 2) -> SparkChecker:
        """A checker on a local Spark of `workers` threads, stopped by `close`."""
        session = local_session(workers)
        try:
            return cls(session, str(tables))
        except BaseException:
            session.stop()
            raise

    def close(self) -> None:
        self.spark.stop()
        self.scratch.cleanup()

    def frame(self, table: pa.Table, name: str) -> None:
        self.spark.createDataFrame(table).createOrReplaceTempView(name)

    def vintages(self) -> list[str]:
        return list(self._vintages)

    def register_facts(self) -> None:
        """Facts of the distinct values of the registered `lines` and `line_mods` views."""
        sql = self.spark.sql
        codes = [row[0] for row in sql("SELECT DISTINCT code FROM lines").collect()]
        pairs = [
            (row[0], row[1])
            for row in sql(
                "SELECT DISTINCT m.modifier, l.code FROM line_mods m JOIN lines l ON l.lid = m.lid"
            ).collect()
        ]
        diagnoses = [row[0] for row in sql("SELECT DISTINCT code FROM claim_dx").collect()]
        self.frame(facts.code_facts(codes, self.labs), "code_facts")
        self.frame(facts.modifier_facts(pairs, self.labs), "modifier_facts")
        self.frame(facts.diagnosis_facts(diagnoses), "diagnosis_facts")

    def run(self, passes: bool = True) -> Any:
        """The plan over the registered batch: a DataFrame of findings."""
        self.register_facts()
        for view in self.held:  # the cached views of the chunk before
            view.unpersist()
        self.held = []
        for name, text in self.plan:
            view = self.spark.sql(text)
            if name in self.cached:
                view = view.cache()
                self.held.append(view)
            view.createOrReplaceTempView(name)
        keep = (
            ""
            if passes
            else (
                " WHERE status IN (" + ", ".join(f"'{s}'" for s in sorted(PROBLEM_STATUSES)) + ")"
            )
        )
        return self.spark.sql(
            f"SELECT {FINDING_COLUMNS} FROM findings{keep} ORDER BY claim_key, rule_rank, line NULLS LAST"
        )

    def findings(self, batch: LineTables, passes: bool = True) -> pa.RecordBatchReader:
        """The chunk's findings in claim order (claim, rule, line), streamed from the Parquet
        files the executors write: collecting them on the driver (`toArrow`) lost task
        results past a few million findings ("TaskResultLost" on 1,000,000 lines)."""
        self.frame(batch.lines, "lines")
        self.frame(batch.line_mods, "line_mods")
        self.frame(batch.claim_dx, "claim_dx")
        return self.registered_findings(passes)

    def registered_findings(self, passes: bool = True) -> pa.RecordBatchReader:
        """The findings of the registered `lines`, `line_mods` and `claim_dx` views (an Arrow
        batch's, or a Parquet dataset's read by `lake.py`), in claim order, streamed from the
        files the executors write."""
        found = self.run(passes)
        folder = Path(tempfile.mkdtemp(prefix="chunk-", dir=self.scratch.name))
        found.write.mode("overwrite").parquet(str(folder))
        # a global sort writes its ranges in order: part-00000 holds the first claims
        parts = sorted(folder.glob("part-*.parquet"))
        schema = pq.read_schema(parts[0]) if parts else empty_findings(found)

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                for part in parts:
                    yield from pq.ParquetFile(part).iter_batches(BATCH_ROWS)
            finally:
                shutil.rmtree(folder, ignore_errors=True)

        return pa.RecordBatchReader.from_batches(schema, batches())
