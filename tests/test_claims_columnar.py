"""The relational plan (DuckDB) against the streaming engine: the same findings, word for
word, on the example files, on claims across a patient with history, and on a synthetic
batch from the real tables (every rule id the plan carries appears in it or the examples)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from medref.claims import check_claims, edit_tables, read_claims
from medref.claims.columnar.edit_parquet import write_edit_tables
from medref.claims.columnar.plan import RULES
from medref.claims.columnar.run import check_columnar
from medref.claims.model import Finding
from medref.claims.output import write_findings
from medref.claims.synthetic import write_batch
from medref.kb import KnowledgeBase

pytestmark = pytest.mark.kb
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
Key = tuple[str, int, str, str, str, str, str]


def key(finding: Finding) -> Key:
    line = -1 if finding.line is None else finding.line
    return (
        finding.claim_id,
        line,
        finding.rule,
        finding.status,
        finding.ref or "",
        finding.message,
        finding.vintage,
    )


@pytest.fixture(scope="module")
def parquet_tables(kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_edit_tables(kb, tmp_path_factory.mktemp("edit-tables") / "tables")


def compare(
    kb: KnowledgeBase, tables: Path, path: Path, history: Path | None = None
) -> Counter[Key]:
    earlier = read_claims(history) if history else ()
    stream = Counter(map(key, check_claims(read_claims(path), edit_tables(kb), history=earlier)))
    again = read_claims(history) if history else ()
    columnar = Counter(map(key, check_columnar(read_claims(path), tables, history=again)))
    assert stream - columnar == Counter(), "findings the plan misses"
    assert columnar - stream == Counter(), "findings only the plan makes"
    return stream


def test_examples(kb: KnowledgeBase, parquet_tables: Path) -> None:
    found = compare(kb, parquet_tables, EXAMPLES / "claims.csv")
    found += compare(kb, parquet_tables, EXAMPLES / "claims-across.csv", EXAMPLES / "history.csv")
    assert {"ptp", "mue", "code_validity", "global_surgery"} <= {k[2] for k in found}


def test_synthetic_batch(kb: KnowledgeBase, parquet_tables: Path, tmp_path: Path) -> None:
    batch = write_batch(kb, tmp_path / "claims.csv", 20_000, seed=11)
    found = compare(kb, parquet_tables, batch.path)
    statuses = Counter(k[3] for k in found)
    assert statuses["fail"] and statuses["pass"] and statuses["bypassed"]


def test_rules_are_the_streaming_rules() -> None:
    from medref.claims.rules import all_rules

    assert [r.id for r in all_rules() if r.id != "price"] == list(RULES)


def test_findings_written_as_parquet_csv_jsonl(
    kb: KnowledgeBase, parquet_tables: Path, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    found = list(check_columnar(read_claims(EXAMPLES / "claims.csv"), parquet_tables))
    for suffix in (".parquet", ".csv", ".jsonl"):
        assert write_findings(found, tmp_path / f"f{suffix}") == len(found)
    table = pq.read_table(tmp_path / "f.parquet")
    assert table.num_rows == len(found) and "message" in table.column_names
    assert (tmp_path / "f.csv").read_text().count("\n") >= len(found) + 1
