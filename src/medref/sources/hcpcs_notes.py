"""Reader for the HCPCS processing notes (proc_notes_*.txt), which the PROCNOTE field of a
record refers to by number. Each note starts `0088--TEXT`, continues on indented lines, and
every line may end in a `*` margin; a title block precedes the first note."""

from __future__ import annotations

import re
from pathlib import Path

from medref.errors import SourceFormatError

NOTE_START = re.compile(r"^\s*(\d{4})--(.*)$")


def read_notes(path: Path) -> dict[str, str]:
    """Note text by its four-digit number, lines joined and blanks collapsed."""
    try:
        text = path.read_bytes().decode("cp1252")
    except UnicodeDecodeError as error:
        raise SourceFormatError(
            path, f"byte at offset {error.start} is not cp1252 text", hint="use the official file"
        ) from None
    notes: dict[str, list[str]] = {}
    current: list[str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        start = NOTE_START.match(line)
        if start is not None:
            if start[1] in notes:
                raise SourceFormatError(path, f"note {start[1]} appears twice", line=number)
            current = notes[start[1]] = [_without_margin(start[2])]
        elif current is not None:
            current.append(_without_margin(line))
    return {key: " ".join(" ".join(lines).split()) for key, lines in notes.items()}


def _without_margin(line: str) -> str:
    return line.rstrip().rstrip("*").strip()
