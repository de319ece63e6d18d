"""The `spark-submit` entry point: check a claim file on a Spark cluster, the edit tables and
the findings on any path Spark reads and writes (HDFS, S3, a shared folder).

    spark-submit --master yarn --py-files medref.zip \\
        "$(python -c 'import medref.claims.columnar.submit as m; print(m.__file__)')" \\
        claims.csv --tables hdfs:///medref/edit-tables --out hdfs:///medref/findings

Claims kept as Parquet (a `.parquet` file, a folder of part files or a URI such as
`s3a://bucket/claims/`) are read by the executors (`lake.py`): the driver never holds a line,
and the plan runs once over the whole dataset. A CSV or JSON file is read on the driver by the
streaming engine's readers, in chunks of whole scopes, each chunk's lines sent to the cluster.
Either way a bad row is the same `error` finding as the streaming engine's, naming the row and
column; the plan runs against the Parquet edit tables read from `--tables`, and the findings
are written to `--out` (a new folder) as Parquet by the executors (nothing is collected on the
driver but the counts). `--master local[2]` runs it without a cluster. The summary (the counts
of `medref check --json`) is printed as one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from medref.claims.columnar import lake
from medref.claims.columnar.chunks import SPARK_CHUNK_LINES, Chunker
from medref.claims.columnar.run import ColumnarFindings, Counted, Counts, error_table
from medref.claims.columnar.spark import SparkChecker, local_session_on
from medref.claims.columns import parse_map
from medref.claims.model import SETTINGS, Finding
from medref.claims.read import read_claims
from medref.claims.read_csv import CSV_COLUMNS, CSV_OPTIONAL
from medref.errors import InputError

OUT_COLUMNS = ("claim_id", "line", "rule", "status", "ref", "message", "vintage")


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="medref-spark-check",
        description="Check a claim file (CSV or JSON) with the relational plan on Spark.",
    )
    parser.add_argument(
        "claims",
        help="the claims: Parquet (file, folder or URI; read by the executors), or a CSV or "
        "JSON file on the driver",
    )
    parser.add_argument("--tables", required=True, help="folder of the Parquet edit tables")
    parser.add_argument("--out", required=True, help="folder the findings go to (Parquet)")
    parser.add_argument(
        "--history", default=None, help="earlier claims (context), in the same form as the claims"
    )
    parser.add_argument("--setting", choices=SETTINGS, default="practitioner")
    parser.add_argument("--only-problems", action="store_true")
    parser.add_argument("--master", default=None, help="e.g. local[2]; spark-submit sets it")
    parser.add_argument("--chunk-lines", type=int, default=SPARK_CHUNK_LINES)
    parser.add_argument(
        "--map",
        default=None,
        help="the file's column names mapped to ours: cpt=code,dos=date_of_service (NAME=- "
        "ignores a column); docs/claims.md",
    )
    return parser.parse_args(argv)


def session(master: str | None) -> Any:
    from pyspark.sql import SparkSession

    if master and master.startswith("local"):
        return local_session_on(master)  # the settings `--engine spark` runs with
    builder = SparkSession.builder.appName("medref-check")
    if master:
        builder = builder.master(master)
    return builder.getOrCreate()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = arguments(argv)
    args.column_map = parse_map(args.map, (*CSV_COLUMNS, *CSV_OPTIONAL)) if args.map else None
    in_lake = lake.is_lake(args.claims)
    if args.history and lake.is_lake(args.history) != in_lake:
        raise InputError(
            f"{args.history}: give the history in the form of the claims (both Parquet, read "
            "by the executors, or both CSV/JSON files on the driver)"
        )
    spark = session(args.master)
    try:
        checker = SparkChecker(spark, args.tables)
        counts = check_lake(spark, checker, args) if in_lake else check_files(spark, checker, args)
        summary = summarise(counts, read_counts(spark, args.out), checker.vintages())
    finally:
        spark.stop()
    sys.stdout.write(json.dumps({"summary": summary}) + "\n")
    return summary


def check_files(spark: Any, checker: SparkChecker, args: argparse.Namespace) -> Counts:
    """A CSV or JSON file read on the driver, its chunks checked on the cluster, the findings
    (and input errors) written to `--out`; the counts of what was read."""
    counted = Counted(
        read_claims(Path(args.claims), setting=args.setting, column_map=args.column_map)
    )
    history = (
        read_claims(Path(args.history), setting=args.setting, column_map=args.column_map)
        if args.history
        else ()
    )
    chunker = Chunker(args.chunk_lines)
    mode = "errorifexists"  # a new folder: the counts are read back from it
    for batch in chunker.chunks(counted, history):
        checker.frame(batch.lines, "lines")
        checker.frame(batch.line_mods, "line_mods")
        checker.frame(batch.claim_dx, "claim_dx")
        found = checker.run(passes=not args.only_problems).selectExpr(*OUT_COLUMNS)
        errors: list[Finding] = batch.errors
        if errors:
            made = spark.createDataFrame(error_table(errors)).selectExpr(*OUT_COLUMNS)
            found = found.unionByName(made)
        found.write.mode(mode).parquet(args.out)
        mode = "append"
    if mode != "append":  # no claims: an empty folder of findings all the same
        empty = spark.createDataFrame(error_table([])).selectExpr(*OUT_COLUMNS)
        empty.write.mode(mode).parquet(args.out)
    counted.history_claims = chunker.history_claims
    return counted


def check_lake(spark: Any, checker: SparkChecker, args: argparse.Namespace) -> Counts:
    """A Parquet dataset read and checked on the executors, its findings (and input errors)
    written to `--out`; the counts of what was read."""
    errors, counts = lake.register(
        spark, args.claims, args.setting, args.column_map, history=args.history
    )
    found = checker.run(passes=not args.only_problems).selectExpr(*OUT_COLUMNS)
    found.unionByName(errors.selectExpr(*OUT_COLUMNS)).write.mode("errorifexists").parquet(args.out)
    return counts


def read_counts(spark: Any, out: str) -> dict[tuple[str, str], int]:
    """Findings by rule and status, read back from the written folder."""
    written = spark.read.parquet(out)
    return {
        (row["rule"], row["status"]): int(row["count"])
        for row in written.groupBy("rule", "status").count().collect()
    }


def summarise(
    counted: Counts, counts: dict[tuple[str, str], int], vintages: list[str]
) -> dict[str, Any]:
    """The summary `medref check --engine spark` prints, from the counts of each chunk."""
    findings = ColumnarFindings(iter(()), counted, vintages, lambda: None)
    for (rule, status), n in counts.items():
        findings.by_status[status] += n
        findings.by_rule_status[(rule, status)] += n
    return findings.summary()


if __name__ == "__main__":
    try:
        main()
    except InputError as exc:  # bad input named, as the CLI names it: no traceback
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)
