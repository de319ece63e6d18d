"""The knowledge vault as a source: one `WIKI:<slug>` record per concept page.

The vault lives with the project (`vault/` in the repository, or `MEDREF_VAULT`), not in
the CMS mirror: the build passes the vault folder itself as `root`. Its release is `v` plus eight hex digits
of a hash over every page, so an edited page makes a new release and an unchanged vault is
not parsed again. There is nothing to download.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from medref import refs
from medref.records import Record
from medref.sources.base import DownloadSpec, Release
from medref.vault import VaultPage, parse_page, render_links

FOLDER = "."
PARSER_VERSION = "1"


@dataclass(slots=True)
class VaultSource:
    name: str = "vault"
    folder: str = FOLDER
    parser_version: str = PARSER_VERSION
    table: Literal["records", "ptp"] = "records"

    def discover(self, root: Path) -> list[Release]:
        """The pages of the vault folder `root` as one release; none when it is absent."""
        folder = root / self.folder
        pages = sorted(folder.glob("*.md")) if folder.is_dir() else []
        if not pages:
            return []
        return [Release(self.name, content_release(pages), tuple(pages))]

    def parse(self, release: Release) -> Iterator[Record]:
        for path in release.files:
            yield page_record(parse_page(path), release.release)

    def downloads(self) -> list[DownloadSpec]:
        return []


def content_release(paths: Iterable[Path]) -> str:
    """`v` + 8 hex digits of a hash over the pages' names and bytes."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return "v" + digest.hexdigest()[:8]


def page_record(page: VaultPage, release: str) -> Record:
    """The page as a citable record; links become plain words in the indexed text."""
    return Record(
        ref=refs.make("WIKI", page.slug),
        source="vault",
        release=release,
        kind="page",
        title=page.title,
        text=f"{page.description}\n\n{render_links(page.body)}",
        data={
            "description": page.description,
            "aliases": list(page.aliases),
            "links": list(page.links),
            "path": f"vault/{page.path.name}",
        },
    )


VAULT = VaultSource()
SOURCES = [VAULT]
