"""The relational plan (DuckDB) against the streaming engine: the same findings, word for
word, on the example files, on claims across a patient with history, and on a synthetic
batch from the real tables (every rule id the plan carries appears in it or the examples)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from medref.claims import check_claims, edit_tables, read_claims
from medref.claims.columnar.chunks import CHUNK_LINES
from medref.claims.columnar.edit_parquet import write_edit_tables
from medref.claims.columnar.plan import RULES
from medref.claims.columnar.run import check_columnar, check_csv_staged
from medref.claims.model import Finding
from medref.claims.output import write_findings
from medref.claims.synthetic import write_batch
from medref.kb import KnowledgeBase
from medref.settings import Settings

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
    kb: KnowledgeBase,
    tables: Path,
    path: Path,
    history: Path | None = None,
    chunk_lines: int = CHUNK_LINES,
) -> Counter[Key]:
    earlier = read_claims(history) if history else ()
    stream = Counter(map(key, check_claims(read_claims(path), edit_tables(kb), history=earlier)))
    again = read_claims(history) if history else ()
    columnar = Counter(
        map(
            key,
            check_columnar(read_claims(path), tables, history=again, chunk_lines=chunk_lines),
        )
    )
    assert stream - columnar == Counter(), "findings the plan misses"
    assert columnar - stream == Counter(), "findings only the plan makes"
    return stream


def test_examples(kb: KnowledgeBase, parquet_tables: Path) -> None:
    found = compare(kb, parquet_tables, EXAMPLES / "claims.csv")
    found += compare(kb, parquet_tables, EXAMPLES / "claims-across.csv", EXAMPLES / "history.csv")
    assert {"ptp", "mue", "code_validity", "global_surgery"} <= {k[2] for k in found}


def test_synthetic_batch(kb: KnowledgeBase, parquet_tables: Path, tmp_path: Path) -> None:
    """100,000 lines from the real tables (the 1,000,000-line comparison, Spark's too, is
    `medref bench check --engine` in docs/benchmarks.md)."""
    batch = write_batch(kb, tmp_path / "claims.csv", 100_000, seed=11)
    found = compare(kb, parquet_tables, batch.path)
    statuses = Counter(k[3] for k in found)
    assert statuses["fail"] and statuses["pass"] and statuses["bypassed"]
    # in chunks of about 15,000 lines (seven chunks, each checked alone): the same findings
    assert compare(kb, parquet_tables, batch.path, chunk_lines=15_000) == found


def test_a_return_to_the_operating_room_in_both_engines(
    kb: KnowledgeBase, parquet_tables: Path, tmp_path: Path
) -> None:
    """78 opens no postoperative period of its own, 58 and 79 do: the same in the plan."""
    rows = ["claim_id,line,date_of_service,code,modifiers,units,place_of_service,diagnoses"]
    for number, modifier in enumerate(("78", "58", "79", "")):
        claim_id = f"R{number}"
        rows += [
            f"{claim_id},1,2025-03-10,27447,RT,1,21,M17.11",
            f"{claim_id},2,2025-04-02,27447,{modifier}|RT,1,21,T84.51XA",
            f"{claim_id},3,2025-06-13,99213,,1,11,M17.11",
            f"{claim_id},4,2025-05-09,99213,,1,11,M17.11",
        ]
    path = tmp_path / "returns.csv"
    path.write_text("\n".join(rows) + "\n")
    found = Counter(k[:4] for k in compare(kb, parquet_tables, path).elements())
    assert found[("R0", 3, "global_surgery", "pass")] == 1
    assert found[("R1", 3, "global_surgery", "fail")] == 1


def test_an_add_on_whose_primary_is_an_add_on_denied_by_the_add_on_rule(
    kb: KnowledgeBase, parquet_tables: Path, tmp_path: Path
) -> None:
    """22551 over its MUE is denied; 22552 (add-on of 22551) then has no payable primary and
    the add-on rule denies it; 20938 lists both as primaries. When 22552's line comes first
    the stream engine has denied it before judging 20938 (it fails); when 20938 comes first,
    22552 is still payable (it passes). The plan follows that one link of the chain."""
    rows = ["claim_id,line,date_of_service,code,modifiers,units,place_of_service,diagnoses"]
    rows += [
        "C1,1,2024-09-07,22552,,1,11,M48.02",
        "C1,2,2024-09-07,20938,,1,11,M48.02",
        "C1,3,2024-09-07,22551,,3,11,M48.02",
        "C2,1,2024-09-07,20938,,1,11,M48.02",
        "C2,2,2024-09-07,22552,,1,11,M48.02",
        "C2,3,2024-09-07,22551,,3,11,M48.02",
    ]
    path = tmp_path / "chain.csv"
    path.write_text("\n".join(rows) + "\n")
    found = {(k[0], k[1], k[3]) for k in compare(kb, parquet_tables, path) if k[2] == "add_on"}
    assert {("C1", 1, "fail"), ("C1", 2, "fail"), ("C2", 1, "pass"), ("C2", 2, "fail")} <= found


def test_chunks_keep_a_patient_whole(kb: KnowledgeBase, parquet_tables: Path) -> None:
    """Chunks of one line: every claim alone, every patient (with its history) whole."""
    whole = compare(kb, parquet_tables, EXAMPLES / "claims-across.csv", EXAMPLES / "history.csv")
    tiny = compare(kb, parquet_tables, EXAMPLES / "claims-across.csv", EXAMPLES / "history.csv", 1)
    assert tiny == whole
    assert compare(kb, parquet_tables, EXAMPLES / "claims.csv", chunk_lines=1)


def test_summary_counts_as_the_stream_does(kb: KnowledgeBase, parquet_tables: Path) -> None:
    path = EXAMPLES / "claims.csv"
    findings = check_columnar(read_claims(path), parquet_tables, chunk_lines=5)
    made = Counter(f.status for f in findings)
    summary = findings.summary()
    assert summary["by_status"] == dict(made)
    assert sum(sum(v.values()) for v in summary["by_rule"].values()) == sum(made.values())
    assert summary["claims"] == len(list(read_claims(path)))


def test_rules_are_the_streaming_rules() -> None:
    from medref.claims.rules import all_rules

    assert [r.id for r in all_rules() if r.id != "price"] == list(RULES)


def test_findings_written_as_parquet_csv_jsonl(
    kb: KnowledgeBase, parquet_tables: Path, tmp_path: Path
) -> None:
    """`ColumnarFindings.write` (Arrow, chunk by chunk) gives the rows the stream engine's
    writer gives, in every format."""
    import csv
    import json

    import pyarrow.parquet as pq

    path = EXAMPLES / "claims.csv"
    stream = list(check_claims(read_claims(path), edit_tables(kb)))
    for suffix in (".parquet", ".csv", ".jsonl"):
        mine, theirs = tmp_path / f"columnar{suffix}", tmp_path / f"stream{suffix}"
        findings = check_columnar(read_claims(path), parquet_tables, chunk_lines=4)
        assert findings.write(mine) == write_findings(stream, theirs) == len(stream)
        if suffix == ".parquet":
            rows = [pq.read_table(p).to_pylist() for p in (mine, theirs)]
            assert pq.read_table(mine).schema == pq.read_table(theirs).schema
        elif suffix == ".csv":
            rows = [list(csv.DictReader(p.open(newline=""))) for p in (mine, theirs)]
        else:
            rows = [[json.loads(t) for t in p.read_text().splitlines()] for p in (mine, theirs)]

        def ordered(found: list[dict[str, object]]) -> list[str]:
            return sorted(json.dumps(row, sort_keys=True) for row in found)

        assert ordered(rows[0]) == ordered(rows[1])


def staged_compare(kb: KnowledgeBase, tables: Path, path: Path, chunk_lines: int) -> Counter[Key]:
    stream = Counter(map(key, check_claims(read_claims(path), edit_tables(kb))))
    staged = check_csv_staged(path, tables, chunk_lines=chunk_lines)
    assert staged is not None, f"{path} should be read by DuckDB"
    found = Counter(map(key, staged))
    assert stream - found == Counter(), "findings the staged plan misses"
    assert found - stream == Counter(), "findings only the staged plan makes"
    assert staged.summary()["lines"] == sum(1 for c in read_claims(path) for _ in c.lines)
    return found


def test_csv_read_by_duckdb(kb: KnowledgeBase, parquet_tables: Path, tmp_path: Path) -> None:
    """A clean CSV goes straight into DuckDB (no Python object per row): the stream
    engine's findings, on the examples (claims across a patient too) and a synthetic batch
    in three chunks."""
    staged_compare(kb, parquet_tables, EXAMPLES / "claims.csv", 10)
    staged_compare(kb, parquet_tables, EXAMPLES / "claims-across.csv", 1)
    batch = write_batch(kb, tmp_path / "claims.csv", 20_000, seed=12)
    found = staged_compare(kb, parquet_tables, batch.path, 7_000)
    assert {"ptp", "mue", "add_on", "global_surgery"} <= {k[2] for k in found}


def test_csv_staged_in_blocks(
    kb: KnowledgeBase, parquet_tables: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is staged block by block (a big file is never held whole): blocks of 64 KiB
    (about 1,200 rows) give the same findings, row numbers running on across blocks."""
    from medref.claims.columnar import csv_fast

    monkeypatch.setattr(csv_fast, "RAW_BLOCK", 1 << 16)
    batch = write_batch(kb, tmp_path / "claims.csv", 5_000, seed=13)
    assert batch.path.stat().st_size > 4 * csv_fast.RAW_BLOCK
    staged_compare(kb, parquet_tables, batch.path, 2_000)
    rows = batch.path.read_text().splitlines()
    rows[-3] += ",one cell too many"  # in the last block, after others were staged
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join(rows) + "\n")
    assert check_csv_staged(broken, parquet_tables) is None


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda rows: [*rows[:2], rows[1].replace(",1,", ",x,", 1), *rows[3:]], "bad line"),
        (lambda rows: [*rows[:2], '"' + rows[2], *rows[3:]], "a quote"),
        (lambda rows: [*rows[:2], "", *rows[2:]], "a blank line"),
        (lambda rows: [*rows[:3], rows[4], rows[3], *rows[5:]], "claim rows apart"),
        (lambda rows: [*rows[:2], rows[1], *rows[2:]], "a repeated line number"),
        (lambda rows: [*rows[:2], rows[2][:5] + "\r" + rows[2][5:], *rows[3:]], "a stray CR"),
        (lambda rows: [*rows[:2], rows[2].replace("M17.11", "M17.11é"), *rows[3:]], "not ASCII"),
    ],
)
def test_csv_needing_the_reader_falls_back(
    parquet_tables: Path, tmp_path: Path, change: object, why: str
) -> None:
    """Anything the streaming reader would report (or read differently) leaves the file to
    it: the staged path declines, and `medref check` reads it with `read_claims`."""
    rows = (EXAMPLES / "claims.csv").read_text().splitlines()
    assert callable(change)
    path = tmp_path / "claims.csv"
    path.write_text("\n".join(change(rows)) + "\n", encoding="utf-8")
    assert check_csv_staged(path, parquet_tables) is None, why


def test_the_columnar_memory_setting_reaches_duckdb(
    kb: KnowledgeBase, kb_settings: Settings, parquet_tables: Path, tmp_path: Path
) -> None:
    """MEDREF_COLUMNAR_MEMORY sets DuckDB's working memory (1GB unset); the findings are the
    same whatever it is."""
    from medref.claims.columnar.duck import DuckChecker
    from medref.services.claims import check_file_columnar
    from medref.services.resources import Resources

    def limit(checker: DuckChecker) -> str:
        value = str(checker.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
        checker.close()
        return value

    assert limit(DuckChecker(parquet_tables)) == limit(
        DuckChecker(parquet_tables, memory_limit="1GB")
    )
    assert limit(DuckChecker(parquet_tables, memory_limit="3GB")).startswith("2.7")  # GiB
    path = EXAMPLES / "claims.csv"
    small = Resources(kb_settings.model_copy(update={"columnar_memory": "200MB"}))
    found = Counter(map(key, check_file_columnar(small, path, "columnar")))
    assert found == Counter(map(key, check_claims(read_claims(path), edit_tables(kb))))
