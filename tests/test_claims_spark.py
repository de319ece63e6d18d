"""The same plan on a local Spark (`local[2]`, started and stopped by this module): the
streaming engine's findings on claims across a patient with a history file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from medref.claims import check_claims, edit_tables, read_claims
from medref.claims.columnar.edit_parquet import write_edit_tables
from medref.claims.columnar.run import check_columnar
from medref.claims.model import Finding
from medref.kb import KnowledgeBase

pytestmark = pytest.mark.kb
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_spark_gives_the_streaming_findings(kb: KnowledgeBase, tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    tables = write_edit_tables(kb, tmp_path / "tables")
    path, history = EXAMPLES / "claims-across.csv", EXAMPLES / "history.csv"

    def key(f: Finding) -> tuple[object, ...]:
        line = -1 if f.line is None else f.line
        return (f.claim_id, line, f.rule, f.status, f.ref, f.message, f.vintage)

    stream = Counter(
        map(key, check_claims(read_claims(path), edit_tables(kb), history=read_claims(history)))
    )
    spark = Counter(
        map(
            key,
            check_columnar(read_claims(path), tables, engine="spark", history=read_claims(history)),
        )
    )
    assert stream == spark
