"""CPT descriptors from a file the user holds a licence for (`settings.cpt_descriptors`).

medref ships no CPT text. A licensee may point it at their own file, one code per line:
`<code><TAB><descriptor>`; blank lines and lines starting with `#` are skipped.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from medref.codes.classify import classify
from medref.errors import InputError, SourceFormatError

HINT = "give one line per code: the CPT code, a tab, then its descriptor"


def load_descriptors(path: Path) -> dict[str, str]:
    """Read the file once per (path, modification time); later calls reuse it."""
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as exc:
        raise SourceFormatError(
            path,
            f"cannot read the CPT descriptor file ({exc.strerror})",
            hint="fix MEDREF_CPT_DESCRIPTORS or unset it",
        ) from exc
    return _load(path, stamp)


@lru_cache(maxsize=4)
def _load(path: Path, stamp: int) -> dict[str, str]:
    found: dict[str, str] = {}
    lines: dict[str, int] = {}
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.rstrip("\r\n")
            if not text.strip() or text.startswith("#"):
                continue
            code, tab, descriptor = text.partition("\t")
            code = code.strip().upper()
            if not tab or not descriptor.strip():
                raise SourceFormatError(
                    path, "a line without a tab and a descriptor", line=number, hint=HINT
                )
            try:
                classify(code, hint="cpt")
            except InputError as exc:
                raise SourceFormatError(path, str(exc), line=number, hint=HINT) from None
            if code in found:
                raise SourceFormatError(
                    path,
                    f"{code} is listed twice (first on line {lines[code]})",
                    line=number,
                    hint=HINT,
                )
            found[code], lines[code] = descriptor.strip(), number
    return found
