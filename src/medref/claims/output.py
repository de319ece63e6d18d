"""Write findings to a file, by its suffix: `.csv`, `.jsonl` (JSON Lines) or `.parquet`,
the same fields as `Finding.as_dict` (`allowed_amount` as a decimal string, empty when the
line was not priced)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

from medref.claims.model import Finding
from medref.errors import InputError

FIELDS = ("claim_id", "line", "rule", "status", "ref", "message", "vintage", "allowed_amount")
SUFFIXES = (".csv", ".jsonl", ".parquet")


def output_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(
            f"{path}: findings are written as {', '.join(SUFFIXES)}; name the file with one "
            "of these suffixes"
        )
    return suffix


def write_findings(findings: Iterable[Finding], path: Path) -> int:
    """Write every finding; returns how many."""
    kind = output_format(path)
    count = 0
    if kind == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = [row(f) for f in findings]
        count = len(rows)
        schema = pa.schema(
            [(name, pa.int32() if name == "line" else pa.string()) for name in FIELDS]
        )
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
        return count
    with path.open("w", encoding="utf-8", newline="") as handle:
        if kind == ".csv":
            writer = csv.DictWriter(handle, fieldnames=FIELDS)
            writer.writeheader()
            for finding in findings:
                writer.writerow(row(finding))
                count += 1
        else:
            for finding in findings:
                handle.write(json.dumps(row(finding), ensure_ascii=False) + "\n")
                count += 1
    return count


def row(finding: Finding) -> dict[str, object]:
    found = finding.as_dict()
    found["allowed_amount"] = found.get("allowed_amount")
    return {name: found[name] for name in FIELDS}
