"""Time X12 libraries on an 837P, imports excluded (docs/x12.md, "Library or our own reader").

Run in a scratch virtual environment holding the libraries (`pip install pyx12 x12sdk
linuxforhealth-x12 badx12`) and medref on the path:

    python scripts/x12_libraries.py LIBRARY LINES FILE.837

LIBRARY: medref, pyx12-tokenize, pyx12-validate, x12sdk, linuxforhealth, badx12. Write the
file with medref.claims.x12.write837 (e.g. from `medref bench x12`'s synthetic batch).
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable


def runner(which: str, path: str) -> Callable[[], object]:
    if which == "medref":
        from medref.claims.x12.read837 import Reader837

        return lambda: sum(len(c.lines) for c in Reader837().claims(open(path)))
    if which == "pyx12-tokenize":
        import pyx12.x12file  # type: ignore[import-not-found]

        return lambda: sum(1 for _ in pyx12.x12file.X12Reader(open(path)))
    if which == "pyx12-validate":
        import pyx12.params  # type: ignore[import-not-found]
        import pyx12.x12n_document  # type: ignore[import-not-found]

        return lambda: pyx12.x12n_document.x12n_document(
            param=pyx12.params.params(),
            src_file=path,
            fd_997=io.StringIO(),
            fd_html=None,
            fd_xmldoc=None,
            xslt_files=None,
        )
    if which in ("x12sdk", "linuxforhealth"):
        if which == "x12sdk":
            from x12sdk.io import X12ModelReader  # type: ignore[import-not-found]
        else:
            from linuxforhealth.x12.io import X12ModelReader  # type: ignore[import-not-found]

        def models() -> int:
            with X12ModelReader(path) as reader:
                return sum(1 for _ in reader.models())

        return models
    if which == "badx12":
        from badx12 import Parser  # type: ignore[import-not-found]

        return lambda: Parser().parse_document(path)
    raise SystemExit(f"unknown library {which}")


def main() -> None:
    which, lines, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    run = runner(which, path)
    started, wall = time.process_time(), time.perf_counter()
    result = run()
    cpu, elapsed = time.process_time() - started, time.perf_counter() - wall
    print(f"{which}: {result!r:.40}, {cpu:.2f} CPU s, {elapsed:.2f} s, {lines / cpu:,.0f} lines/CPU s")


if __name__ == "__main__":
    main()
