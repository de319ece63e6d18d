"""Read claim files, CSV (`read_csv.py`), JSON or JSON Lines (`read_json.py`) or Parquet
(`read_parquet.py`), as a stream of `Claim`s.

Bad values never stop a file: the claim they belong to carries `problems` and the engine
reports them as `error` findings. Only a file that cannot be a claim file at all raises
`InputError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from medref.claims.model import Claim, Setting
from medref.claims.read_csv import WINDOW_ROWS, read_csv
from medref.claims.read_json import read_json, read_json_lines
from medref.claims.read_parquet import read_parquet
from medref.errors import InputError

Format = Literal["csv", "json", "jsonl", "parquet"]
SUFFIXES: dict[str, Format] = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}


def format_of(path: Path) -> Format:
    """A claim file's format by its name: CSV unless its suffix says otherwise."""
    return SUFFIXES.get(path.suffix.lower(), "csv")


def read_claims(
    path: Path,
    fmt: Format | None = None,
    *,
    setting: Setting = "practitioner",
    column_map: dict[str, str] | None = None,
    window_rows: int = WINDOW_ROWS,
) -> Iterator[Claim]:
    """Claims of a file, by its suffix unless `fmt` says; `setting` applies to claims that
    do not name theirs; `column_map` renames the columns of a CSV or Parquet file
    (`columns.py`)."""
    chosen = fmt or format_of(path)
    if not path.is_file():
        raise InputError(f"{path}: no such claim file")
    if chosen == "parquet":
        yield from read_parquet(
            path, setting=setting, column_map=column_map, window_rows=window_rows
        )
        return
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        if chosen == "json":
            yield from read_json(handle, setting=setting, name=str(path))
        elif chosen == "jsonl":
            yield from read_json_lines(handle, setting=setting)
        else:
            yield from read_csv(
                handle,
                setting=setting,
                name=str(path),
                column_map=column_map,
                window_rows=window_rows,
            )


__all__ = ["Format", "format_of", "read_claims", "read_csv", "read_json"]
