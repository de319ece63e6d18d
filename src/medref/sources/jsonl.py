"""JSON Lines input shared by the sources that ship as one JSON object a line (the IOM
section export, the NCD sample)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medref.errors import SourceFormatError


def json_objects(
    path: Path, required: tuple[str, ...], hint: str
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line. A line that is not UTF-8, not JSON,
    not an object, or lacks a required field is an error naming the file and the line."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise SourceFormatError(
                    path,
                    f"not UTF-8 text ({error.reason} at byte {error.start + 1} of the line)",
                    line=number,
                    hint=hint,
                ) from None
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise SourceFormatError(
                    path,
                    f"not valid JSON ({error.msg}, column {error.colno})",
                    line=number,
                    hint=hint,
                ) from None
            if not isinstance(row, dict):
                raise SourceFormatError(path, "not a JSON object", line=number, hint=hint)
            missing = [name for name in required if row.get(name) in (None, "")]
            if missing:
                raise SourceFormatError(
                    path, f"missing field(s) {', '.join(missing)}", line=number, hint=hint
                )
            yield number, row
