"""What a source module provides.

Each CMS/CDC source is one module in this package exposing `SOURCES: list[Source]`; each
`Source` is one name of `medref sources` (`hcpcs`, `hcpcs-modifiers`, `ncci-ptp-practitioner`,
...). A source finds its releases in a mirror folder laid out like `../shared/cms`
(`<folder>/<release>/<files>`), parses them into typed records, and knows the official
download locations.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, Protocol

from medref.records import PtpEdit, Record


@dataclass(frozen=True, slots=True)
class Release:
    """The files of one release of one source, found in a mirror or download folder."""

    source: str
    release: str
    files: tuple[Path, ...]
    effective: date | None = None
    """First date of service this release governs (quarter, fiscal year), where defined."""
    until: date | None = None
    """Last date of service it governs; None while it is the newest release."""

    def fingerprint(self, parser_version: str) -> str:
        """Content hash of the inputs and the parser that reads them: unchanged means no work."""
        digest = hashlib.sha256(f"{self.source}|{self.release}|{parser_version}".encode())
        for path in sorted(self.files):
            digest.update(path.name.encode())
            try:
                with path.open("rb") as handle:
                    while chunk := handle.read(1 << 20):
                        digest.update(chunk)
            except OSError as exc:  # a failed read() names no file: name it for the message
                exc.filename = exc.filename or str(path)
                raise
        return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class DownloadSpec:
    """One official file to fetch. `unzip` extracts members matching `members` (globs)."""

    url: str
    release: str
    filename: str
    unzip: bool = False
    members: tuple[str, ...] = field(default_factory=tuple)


class Source(Protocol):
    name: str
    """Name shown by `medref sources` and stored on every record."""
    folder: str
    """Folder of the mirror layout, relative to the mirror root (e.g. `hcpcs`, `manuals/iom`)."""
    parser_version: str
    """Bump when parsing changes so that a rebuild re-reads unchanged files."""
    table: Literal["records", "ptp"]
    """Where rows go: generic records (chunked for retrieval) or the PTP edit table."""

    def discover(self, root: Path) -> list[Release]:
        """Releases present under `root / folder`, oldest first. Empty when none."""
        ...

    def parse(self, release: Release) -> Iterator[Record | PtpEdit]:
        """Yield the release's rows. Raise SourceFormatError naming file, line and fix."""
        ...

    def downloads(self) -> list[DownloadSpec]:
        """Official locations of the current release (cms.gov / cdc.gov)."""
        ...
