"""The same plan on a local Spark (`local[2]`, started and stopped by this module): the
streaming engine's findings on claims across a patient with a history file, through the
`spark-submit` job. One test only: a Spark run of the plan takes minutes on two shared
cores (`--engine spark` runs the same `SparkChecker.run`; its 1M-line run is in
docs/benchmarks.md)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from medref.claims import check_claims, edit_tables, read_claims
from medref.claims.columnar.edit_parquet import write_edit_tables
from medref.kb import KnowledgeBase

pytestmark = pytest.mark.kb
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_spark_submit_entry_point(kb: KnowledgeBase, tmp_path: Path) -> None:
    """The cluster job (`submit.py`, here on `local[2]`): tables and findings on paths,
    findings written by Spark as Parquet, the stream engine's findings and counts."""
    pytest.importorskip("pyspark")
    import pyarrow.parquet as pq

    from medref.claims.columnar.submit import main

    tables = write_edit_tables(kb, tmp_path / "tables")
    path, history = EXAMPLES / "claims-across.csv", EXAMPLES / "history.csv"
    out = tmp_path / "findings"
    summary = main(
        [
            str(path),
            "--history",
            str(history),
            "--tables",
            str(tables),
            "--out",
            str(out),
            "--master",
            "local[2]",
        ]
    )
    rows = pq.read_table(out).to_pylist()
    stream = list(check_claims(read_claims(path), edit_tables(kb), history=read_claims(history)))

    def key(f: dict[str, object]) -> tuple[object, ...]:
        line = -1 if f["line"] is None else f["line"]
        return (f["claim_id"], line, f["rule"], f["status"], f["ref"], f["message"], f["vintage"])

    assert Counter(map(key, rows)) == Counter(key(f.as_dict()) for f in stream)
    assert summary["by_status"] == dict(Counter(f.status for f in stream))
    assert summary["across_claims"]["history_claims_read"] > 0
