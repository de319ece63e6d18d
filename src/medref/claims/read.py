"""Read claim files, CSV (`read_csv.py`) or JSON (`read_json.py`), as a stream of `Claim`s.

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
from medref.claims.read_json import read_json
from medref.errors import InputError

Format = Literal["csv", "json"]


def read_claims(
    path: Path,
    fmt: Format | None = None,
    *,
    setting: Setting = "practitioner",
    column_map: dict[str, str] | None = None,
    window_rows: int = WINDOW_ROWS,
) -> Iterator[Claim]:
    """Claims of a file, by its suffix unless `fmt` says; `setting` applies to claims that
    do not name theirs; `column_map` renames a CSV's columns (`columns.py`)."""
    chosen = fmt or ("json" if path.suffix.lower() == ".json" else "csv")
    if not path.is_file():
        raise InputError(f"{path}: no such claim file")
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        if chosen == "json":
            yield from read_json(handle, setting=setting, name=str(path))
        else:
            yield from read_csv(
                handle,
                setting=setting,
                name=str(path),
                column_map=column_map,
                window_rows=window_rows,
            )


__all__ = ["Format", "read_claims", "read_csv", "read_json"]
