"""The CMS Internet-Only Manuals (IOM): one record per manual section, cited
`IOM:<publication>/<chapter>/<section>` (`IOM:100-04/12/40.8`).

Inputs, in `manuals/iom/` or in a release folder below it: the section export
`sections-*.jsonl` and the official chapter PDFs (`clm104c12.pdf`, ...).

Release. The manuals have no release of their own: each chapter is revised on its own
schedule and the download address never changes. A release is therefore named for the
newest text it holds: the newest `expression_date` month of the JSONL rows (the date of
the chapter revision they were taken from), and for a PDF its file modification month,
i.e. when it was fetched, since a PDF carries no reliable date of its own (likewise a
JSONL file without expression dates). A release
folder (`manuals/iom/2026-09/`, as the downloader writes) is named by the folder instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

from medref.records import PtpEdit, Record
from medref.sources import iom_jsonl, iom_pdf
from medref.sources.base import DownloadSpec, Release, Source
from medref.sources.iom_sections import IomSection, to_records

CHAPTER_PDFS = ("clm104c01.pdf", "clm104c12.pdf", "clm104c23.pdf", "clm104c30.pdf", "bp102c15.pdf")
"""The chapters the section export draws from: claims processing ch. 1 (timely filing),
12 (physicians: E/M, global surgery, telehealth), 23 (NCCI), 30 (ABN); benefit policy ch. 15."""


class IomSource:
    name = "iom"
    folder = "manuals/iom"
    parser_version = "1"
    table: Literal["records", "ptp"] = "records"

    def discover(self, root: Path) -> list[Release]:
        base = root / self.folder
        if not base.is_dir():
            return []
        groups: dict[str, list[Path]] = {}
        flat = _inputs(base)
        if flat:
            groups.setdefault(_release_of(flat), []).extend(flat)
        for folder in sorted(p for p in base.iterdir() if p.is_dir()):
            files = _inputs(folder)
            if files:
                groups.setdefault(folder.name, []).extend(files)
        return [Release(self.name, name, tuple(files)) for name, files in sorted(groups.items())]

    def parse(self, release: Release) -> Iterator[Record | PtpEdit]:
        yield from to_records(_sections(release.files), self.name, release.release)

    def downloads(self) -> list[DownloadSpec]:
        """The chapter PDFs at their fixed cms.gov addresses, as this month's release."""
        month = date.today().strftime("%Y-%m")
        return [
            DownloadSpec(url=iom_pdf.DOWNLOAD_BASE + name, release=month, filename=name)
            for name in CHAPTER_PDFS
        ]


def _inputs(folder: Path) -> list[Path]:
    return sorted(folder.glob("sections-*.jsonl")) + sorted(folder.glob("*.pdf"))


def _release_of(files: list[Path]) -> str:
    return max(
        (iom_jsonl.newest_expression_month(path) if path.suffix == ".jsonl" else None)
        or _modified_month(path)
        for path in files
    )


def _modified_month(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m")


def _sections(files: tuple[Path, ...]) -> Iterator[IomSection]:
    for path in files:
        if path.suffix == ".jsonl":
            yield from iom_jsonl.read_sections(path)
        else:
            yield from iom_pdf.read_sections(path)


IOM = IomSource()
SOURCES: list[Source] = [IOM]
