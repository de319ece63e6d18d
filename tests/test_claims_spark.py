"""The same plan on a local Spark (`local[2]`, started and stopped by each test): the
streaming engine's findings on claims across a patient with a history file, through the
`spark-submit` job, and how a batch reaches Spark. Few tests: a Spark session takes seconds
to start on two shared cores (`--engine spark` runs the same `SparkChecker.run`; its
1M-line run is in docs/benchmarks.md)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from lake_files import as_parquet
from medref.claims import check_claims, edit_tables, read_claims
from medref.claims.columnar.dialect import SPARK
from medref.claims.columnar.edit_parquet import write_edit_tables
from medref.claims.columnar.inputs import from_claims
from medref.claims.columnar.plan import views
from medref.errors import InputError
from medref.kb import KnowledgeBase
from medref.settings import Settings

pytestmark = pytest.mark.kb
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def finding_key(f: dict[str, object]) -> tuple[object, ...]:
    line = -1 if f["line"] is None else f["line"]
    return (f["claim_id"], line, f["rule"], f["status"], f["ref"], f["message"], f["vintage"])


def run_job(claims: Path, history: Path, tables: Path, out: Path, *more: str) -> dict[str, Any]:
    """The `spark-submit` job on `local[2]`, its summary."""
    from medref.claims.columnar.submit import main

    job = ["--history", str(history), "--tables", str(tables), "--out", str(out)]
    return main([str(claims), *job, "--master", "local[2]", *more])


def test_spark_submit_entry_point(kb: KnowledgeBase, tmp_path: Path) -> None:
    """The cluster job (`submit.py`, here on `local[2]`): tables and findings on paths,
    findings written by Spark as Parquet, the stream engine's findings and counts."""
    pytest.importorskip("pyspark")
    import pyarrow.parquet as pq

    tables = write_edit_tables(kb, tmp_path / "tables")
    path, history = EXAMPLES / "claims-across.csv", EXAMPLES / "history.csv"
    out = tmp_path / "findings"
    summary = run_job(path, history, tables, out)
    rows = pq.read_table(out).to_pylist()
    stream = list(check_claims(read_claims(path), edit_tables(kb), history=read_claims(history)))

    assert Counter(map(finding_key, rows)) == Counter(finding_key(f.as_dict()) for f in stream)
    assert summary["by_status"] == dict(Counter(f.status for f in stream))
    assert summary["across_claims"]["history_claims_read"] > 0


def test_a_batch_reaches_spark_as_data_not_as_rows_in_the_plan(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    """Small Arrow tables used to become a LocalRelation, their rows inside the query plan,
    which the analyser walked for every view that reads them: a 200,000-line chunk spent
    minutes before its first job and then failed. Every batch is now a scan of data. The
    findings are written by the executors and read back in order, not collected."""
    pytest.importorskip("pyspark")
    from medref.claims.columnar.spark import SparkChecker

    tables = write_edit_tables(kb, tmp_path / "tables")
    batch = from_claims(read_claims(EXAMPLES / "claims.csv"))
    with SparkChecker.local(tables, workers=1) as checker:
        checker.frame(batch.lines, "lines")
        frame = checker.spark.table("lines")
        plan = frame._jdf.queryExecution().analyzed().toString()
        assert "LocalRelation" not in plan
        assert frame.count() == batch.lines.num_rows
        # findings come back from the files the executors wrote, in claim order
        found = checker.findings(batch).read_all().to_pylist()
    stream = list(check_claims(read_claims(EXAMPLES / "claims.csv"), edit_tables(kb)))

    def key(f: dict[str, object]) -> tuple[object, ...]:
        return (f["claim_id"], f["line"], f["rule"], f["status"], f["ref"], f["message"])

    assert Counter(map(key, found)) == Counter(
        key(f.as_dict()) for f in stream if f.status != "error"
    )
    keys = [f["claim_key"] for f in found]
    assert keys == sorted(keys)


def test_spark_caches_the_views_read_more_than_once() -> None:
    """Spark computes a view again for every reader: the views read twice or more are the
    ones cached; a view read once stays inline."""
    from medref.claims.columnar.spark import read_again

    plan = views(SPARK)
    cached = read_again(plan)
    assert {"ln", "own", "ptp_pairs", "r_ptp"} <= cached  # r_ptp: by `denied` and `findings`
    assert "findings" not in cached and "hcpcs_verdict" not in cached
    assert read_again(
        [("a", "SELECT 1"), ("b", "SELECT * FROM a"), ("c", "SELECT * FROM b JOIN a")]
    ) == {"a"}


def test_parquet_claims_are_read_by_the_executors(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A lake's claims (a folder of Parquet part files, typed as a lake types them, with a
    history dataset) are read on the executors: the streaming engine's findings for the same
    claims; a bad row is its `error` finding naming the file and row; a claim whose rows are
    in two files is one `error` finding; the lake's own column names mapped to ours."""
    pytest.importorskip("pyspark")
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = write_edit_tables(kb, tmp_path / "tables")
    source = EXAMPLES / "claims-across.csv"
    typed = pq.read_table(as_parquet(source, tmp_path / "whole.parquet"))
    typed = typed.rename_columns(["cpt" if n == "code" else n for n in typed.column_names])
    lake = tmp_path / "lake"
    lake.mkdir()
    pq.write_table(typed.slice(0, 2), lake / "part-0.parquet")
    bad = {
        "claim_id": ["B-1", "B-1", "S-1"],
        "line": [1, 2, 1],
        "date_of_service": ["2025-03-24", "2025-03-24", "2025-03-24"],
        "cpt": ["99213", "93000", "99213"],
        "modifiers": [None, None, None],
        "units": [1, 1, 1],
        "place_of_service": ["11", "1X", "11"],
        "diagnoses": [["I10"], ["I10"], ["I10"]],
        "patient_id": ["PT-009", "PT-009", "PT-010"],
        "rendering_npi": ["1234567893"] * 3,
    }
    rest = typed.slice(2).cast(typed.schema)
    more = pa.table(bad).cast(pa.schema([typed.schema.field(name) for name in bad]))
    pq.write_table(
        pa.concat_tables([rest, more.select(typed.schema.names)]), lake / "part-1.parquet"
    )
    spread = more.slice(2).select(typed.schema.names)
    pq.write_table(spread, lake / "part-2.parquet")  # S-1 again: its rows in two files
    history = tmp_path / "history.parquet"
    earlier = pq.read_table(as_parquet(EXAMPLES / "history.csv", history))
    pq.write_table(
        earlier.rename_columns(["cpt" if n == "code" else n for n in earlier.column_names]),
        history,
    )
    out = tmp_path / "findings"
    summary = run_job(lake, history, tables, out, "--map", "cpt=code")
    rows = pq.read_table(out).to_pylist()
    stream = list(
        check_claims(
            read_claims(source), edit_tables(kb), history=read_claims(EXAMPLES / "history.csv")
        )
    )

    checked = [row for row in rows if row["claim_id"] not in ("B-1", "S-1")]
    assert Counter(map(finding_key, checked)) == Counter(finding_key(f.as_dict()) for f in stream)
    errors = {row["claim_id"]: row for row in rows if row["claim_id"] in ("B-1", "S-1")}
    assert len([row for row in rows if row["claim_id"] in ("B-1", "S-1")]) == 2
    assert (
        errors["B-1"]["status"] == "error" and "(part-1.parquet): row 4" in errors["B-1"]["message"]
    )
    assert "place of service '1X'" in errors["B-1"]["message"]
    spread_message = errors["S-1"]["message"]
    assert "part-1.parquet rows 5" in spread_message and "part-2.parquet rows 1" in spread_message
    assert summary["claims"] == 6 and summary["claims_with_input_errors"] == 2
    assert summary["across_claims"]["history_claims_read"] > 0
    with pytest.raises(InputError, match="Spark reads no Parquet claims there"):
        run_job(tmp_path / "no-such.parquet", history, tables, tmp_path / "none")


def test_a_large_file_is_numbered_in_runs_with_the_same_claim_order(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    """Claims are numbered per run of rows of a file (one task a run), not by one window
    over the whole file; runs of two rows give every claim the number one run per file
    gives, across two part files."""
    pytest.importorskip("pyspark")
    import pyarrow.parquet as pq

    from medref.claims.columnar.lake import numbered, read_lake
    from medref.claims.columnar.spark import SparkChecker

    tables = write_edit_tables(kb, tmp_path / "tables")
    whole = pq.read_table(as_parquet(EXAMPLES / "claims.csv", tmp_path / "whole.parquet"))
    lake = tmp_path / "lake"
    lake.mkdir()
    pq.write_table(whole.slice(0, 9), lake / "part-0.parquet")
    pq.write_table(whole.slice(9), lake / "part-1.parquet")
    with SparkChecker.local(tables, workers=1) as checker:
        claims, files = read_lake(checker.spark, str(lake), "practitioner")

        def order(run_rows: int) -> dict[str, int]:
            rows = numbered(claims, files, run_rows).select("claim_id", "claim_order")
            return {row[0]: row[1] for row in rows.collect()}

        in_runs, whole_files = order(2), order(1 << 20)
    assert in_runs == whole_files
    assert sorted(in_runs.values()) == list(range(1, len(in_runs) + 1))
    assert min(in_runs, key=in_runs.__getitem__) == whole.column("claim_id")[0].as_py()


def test_medref_check_on_spark_reads_parquet_on_the_executors(
    kb: KnowledgeBase, kb_settings: Settings, tmp_path: Path
) -> None:
    """`medref check claims.parquet --engine spark`: the file is read by Spark's workers
    (`lake.py`), not by this process; the findings and the summary are the streaming
    engine's."""
    pytest.importorskip("pyspark")
    from medref.services.claims import check_file_columnar
    from medref.services.resources import Resources

    source = EXAMPLES / "claims.csv"
    parquet = as_parquet(source, tmp_path / "claims.parquet")
    stream = list(check_claims(read_claims(source), edit_tables(kb)))
    found = check_file_columnar(Resources(kb_settings), parquet, "spark", workers=1)

    def key(f: dict[str, object]) -> tuple[object, ...]:
        return (f["claim_id"], f["line"], f["rule"], f["status"], f["ref"], f["message"])

    assert Counter(key(f.as_dict()) for f in found) == Counter(key(f.as_dict()) for f in stream)
    summary = found.summary()
    assert summary["claims"] == len(list(read_claims(source)))
    assert summary["by_status"] == dict(Counter(f.status for f in stream))


def test_the_spark_job_names_bad_arguments_before_spark_starts(tmp_path: Path) -> None:
    from medref.claims.columnar.submit import main

    claims = str(tmp_path / "claims.parquet")
    with pytest.raises(InputError, match="FILE_COLUMN=our_column"):
        main([claims, "--tables", "t", "--out", "o", "--map", "cpt"])
    with pytest.raises(InputError, match="in the form of the claims"):
        main([claims, "--history", "history.csv", "--tables", "t", "--out", "o"])
