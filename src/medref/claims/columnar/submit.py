"""The `spark-submit` entry point: check a claim file on a Spark cluster, the edit tables and
the findings on any path Spark reads and writes (HDFS, S3, a shared folder).

    spark-submit --master yarn --py-files medref.zip \\
        "$(python -c 'import medref.claims.columnar.submit as m; print(m.__file__)')" \\
        claims.csv --tables hdfs:///medref/edit-tables --out hdfs:///medref/findings

The claims are read on the driver by the streaming engine's readers (so a bad row is the
same `error` finding, naming the row and column), in chunks of whole scopes; each chunk's
lines go to the cluster, the plan runs there against the Parquet edit tables read from
`--tables`, and the findings are written to `--out` (a new folder) as Parquet by the executors
(nothing is collected on the driver but the counts). `--master local[2]` runs it without a cluster.
The summary (the counts of `medref check --json`) is printed as one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from medref.claims.columnar.chunks import SPARK_CHUNK_LINES, Chunker
from medref.claims.columnar.run import ColumnarFindings, Counted, error_table
from medref.claims.columnar.spark import SparkChecker, local_session_on
from medref.claims.model import SETTINGS, Finding
from medref.claims.read import read_claims

OUT_COLUMNS = ("claim_id", "line", "rule", "status", "ref", "message", "vintage")


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="medref-spark-check",
        description="Check a claim file (CSV or JSON) with the relational plan on Spark.",
    )
    parser.add_argument("claims", type=Path, help="the claim file, on the driver")
    parser.add_argument("--tables", required=True, help="folder of the Parquet edit tables")
    parser.add_argument("--out", required=True, help="folder the findings go to (Parquet)")
    parser.add_argument("--history", type=Path, default=None, help="earlier claims (context)")
    parser.add_argument("--setting", choices=SETTINGS, default="practitioner")
    parser.add_argument("--only-problems", action="store_true")
    parser.add_argument("--master", default=None, help="e.g. local[2]; spark-submit sets it")
    parser.add_argument("--chunk-lines", type=int, default=SPARK_CHUNK_LINES)
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
    spark = session(args.master)
    try:
        checker = SparkChecker(spark, args.tables)
        counted = Counted(read_claims(args.claims, setting=args.setting))
        history = read_claims(args.history, setting=args.setting) if args.history else ()
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
        written = spark.read.parquet(args.out) if mode == "append" else None
        counts = {
            (row["rule"], row["status"]): int(row["count"])
            for row in (written.groupBy("rule", "status").count().collect() if written else [])
        }
        counted.history_claims = chunker.history_claims
        summary = summarise(counted, counts, checker.vintages())
    finally:
        spark.stop()
    sys.stdout.write(json.dumps({"summary": summary}) + "\n")
    return summary


def summarise(
    counted: Counted, counts: dict[tuple[str, str], int], vintages: list[str]
) -> dict[str, Any]:
    """The summary `medref check --engine spark` prints, from the counts of each chunk."""
    findings = ColumnarFindings(iter(()), counted, vintages, lambda: None)
    for (rule, status), n in counts.items():
        findings.by_status[status] += n
        findings.by_rule_status[(rule, status)] += n
    return findings.summary()


if __name__ == "__main__":
    main()
