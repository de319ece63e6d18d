"""The knowledge vault as a source: one `WIKI:<slug>` record per concept page.

The vault ships in the package (`medref/vault_pages`), or is a folder of the user's
(`MEDREF_VAULT`), not in the CMS mirror: the build passes the vault folder itself as `root`.
Its release is a name users can read in citations: the medref version for the packaged
vault (`medref-0.1.0`), the date of the newest page for a folder of one's own. The build
fingerprint hashes every page, so an edited page is parsed again and an unchanged vault is
not. There is nothing to download.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from medref import __version__, refs
from medref.records import Record
from medref.settings import PACKAGED_VAULT
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
        return [Release(self.name, edition(folder, pages), tuple(pages))]

    def parse(self, release: Release) -> Iterator[Record]:
        for path in release.files:
            yield page_record(parse_page(path), release.release)

    def downloads(self) -> list[DownloadSpec]:
        return []


def edition(folder: Path, pages: Iterable[Path]) -> str:
    """`medref-<version>` for the vault medref ships, else the date (UTC) of the newest
    page of the folder."""
    if folder.resolve() == PACKAGED_VAULT.resolve():
        return f"medref-{__version__}"
    newest = max(path.stat().st_mtime for path in pages)
    return datetime.fromtimestamp(newest, UTC).date().isoformat()


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
