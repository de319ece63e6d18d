"""Readers for the flat ICD-10-CM code lists: the official order file (`icd10cm_order_*.txt`,
fixed width) and the reshaped CSV (`icd10cm_*_codes.csv`). Both list headers and billable
codes without notes; the hierarchy is rebuilt from the codes themselves (a code's parent is
its longest listed prefix: T36.0X1A -> T36.0X1 -> T36.0)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from medref.codes.icd10 import dotted, is_printed_cm
from medref.errors import SourceFormatError
from medref.sources.icd10cm_codes import IcdCode

# order number(5) sp code(7) sp header/billable flag(1) sp short description(60) sp long
ORDER_LINE = re.compile(r"^(\d{5}) (.{7}) ([01]) (.{60}) (.+)$")
CSV_COLUMNS = ("code", "code_dot", "billable", "short_description", "long_description")


def read_order_file(path: Path) -> list[IcdCode]:
    """Codes of the CMS order file, in file order."""
    rows: list[tuple[IcdCode, int]] = []
    for number, line in enumerate(_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        match = ORDER_LINE.match(line)
        if match is None:
            raise SourceFormatError(
                path,
                "the line does not follow the order-file layout (order number, code, "
                "0/1 flag, 60-character short description, long description)",
                line=number,
            )
        order, code, flag, short, long = match.groups()
        entry = _checked(dotted(code.strip()), flag == "1", long.strip(), path, number)
        entry.data |= {"order_number": int(order), "short_description": short.strip()}
        rows.append((entry, number))
    return _linked(rows, path)


def read_codes_csv(path: Path) -> list[IcdCode]:
    """Codes of the reshaped CSV (code, code_dot, billable, short and long description),
    read strictly to the end: a quoted field cut off by a truncated file is an error."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        try:
            return _linked(list(_csv_codes(path, reader)), path)
        except csv.Error as exc:
            raise SourceFormatError(path, f"malformed CSV ({exc})", line=reader.line_num) from None
        except UnicodeDecodeError as exc:
            raise SourceFormatError(
                path, f"the file is not UTF-8 text ({exc.reason})", line=reader.line_num + 1
            ) from None


def _csv_codes(path: Path, reader: Iterator[list[str]]) -> Iterator[tuple[IcdCode, int]]:
    header = tuple(next(reader, ()))
    if header != CSV_COLUMNS:
        raise SourceFormatError(
            path,
            f"the header is {', '.join(header) or 'empty'}, expected {', '.join(CSV_COLUMNS)}",
            line=1,
            hint="use the ICD-10-CM code CSV of the mirror layout, or the official order file",
        )
    for number, row in enumerate(reader, start=2):
        if len(row) != len(CSV_COLUMNS) or row[2] not in ("0", "1"):
            raise SourceFormatError(
                path, f"expected {len(CSV_COLUMNS)} columns with billable 0/1", line=number
            )
        code, code_dot, billable, short, long = row
        if code_dot.replace(".", "") != code:
            raise SourceFormatError(
                path, f"code {code!r} and code_dot {code_dot!r} disagree", line=number
            )
        entry = _checked(code_dot, billable == "1", long, path, number)
        entry.data["short_description"] = short
        yield entry, number


def _text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise SourceFormatError(
            path,
            f"byte at offset {error.start} is not UTF-8/ASCII text",
            hint="use the order file from the CMS zip unchanged",
        ) from None


def _checked(code: str, billable: bool, title: str, path: Path, number: int) -> IcdCode:
    if not is_printed_cm(code):
        raise SourceFormatError(path, f"{code!r} is not an ICD-10-CM code", line=number)
    if not title:
        raise SourceFormatError(path, f"{code} has no description", line=number)
    return IcdCode(code, title, billable, None, {"billable": billable, "children": []})


def _linked(rows: list[tuple[IcdCode, int]], path: Path) -> list[IcdCode]:
    """Fill parent and children from the codes; a repeated code is an error."""
    by_bare: dict[str, IcdCode] = {}
    for entry, number in rows:
        bare = entry.code.replace(".", "")
        if bare in by_bare:
            raise SourceFormatError(path, f"{entry.code} is listed twice", line=number)
        by_bare[bare] = entry
    for bare, entry in by_bare.items():
        prefixes = (bare[:size] for size in range(len(bare) - 1, 2, -1))
        parent = next((by_bare[prefix] for prefix in prefixes if prefix in by_bare), None)
        if parent is not None:
            entry.parent = parent.code
            parent.data["children"].append(entry.code)
    return [entry for entry, _ in rows]
