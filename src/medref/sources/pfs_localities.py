"""PFS payment localities and their counties (25LOCCO.csv of the RVU release zip): one record
per locality, `LOCALITY:<MAC>-<locality>` (`LOCALITY:01112-05`), naming the state, the fee
schedule area and the counties it covers.

The file lists, state by state, rows of MAC, locality number, state (given on the first row
of a state, blank after), fee schedule area and counties, with blank separator rows and
footnotes; MAC and locality numbers lose their leading zeros (`1112`, `5`). A locality listed
twice (a `*` area "serviced by two carriers") becomes one record.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from medref.errors import SourceFormatError
from medref.records import Record
from medref.sources.base import DownloadSpec, Release
from medref.sources.pfs import PFS
from medref.sources.pfs_gpci import ENCODING, locality_id, one_file, pfs_releases

HEADER_START = "medicare adm"
NUMBER = re.compile(r"\d{1,5}")


@dataclass(frozen=True, slots=True)
class LocalitySource:
    name: str = "pfs-localities"
    folder: str = "pfs"
    parser_version: str = "1"
    table: Literal["records", "ptp"] = "records"

    def discover(self, root: Path) -> list[Release]:
        return pfs_releases(
            self.name,
            root,
            self.folder,
            lambda p: p.name.upper().endswith("LOCCO.CSV"),
        )

    def parse(self, release: Release) -> Iterator[Record]:
        path = one_file(release, "locality/county (LOCCO)")
        try:
            with path.open(encoding=ENCODING, newline="") as handle:
                rows = list(locality_rows(path, csv.reader(handle)))
        except UnicodeDecodeError as exc:
            raise SourceFormatError(
                path, f"the file is not {ENCODING} text ({exc.reason})"
            ) from exc
        merged: dict[str, dict[str, object]] = {}
        for row in rows:
            known = merged.get(str(row["id"]))
            if known is None:
                merged[str(row["id"])] = row
            elif str(row["counties"]) not in str(known["counties"]):
                known["counties"] = f"{known['counties']}; {row['counties']}"
        for ident, row in merged.items():
            yield Record(
                ref=f"LOCALITY:{ident}",
                source=release.source,
                release=release.release,
                kind="locality",
                title=f"Medicare payment locality {ident}: {row['state']}, {row['area']}",
                text=(
                    f"Medicare payment locality {ident} (MAC {row['mac']}, locality "
                    f"{row['locality']}), {row['state']}, fee schedule area {row['area']}: "
                    f"counties {row['counties']}."
                ),
                code=ident,
                data=row,
            )

    def downloads(self) -> list[DownloadSpec]:
        """25LOCCO.csv is a member of the RVU zip the PFS source downloads."""
        return [
            DownloadSpec(spec.url, spec.release, spec.filename, spec.unzip, ("*LOCCO.csv",))
            for spec in PFS.downloads()
        ]


def locality_rows(path: Path, reader: Iterator[list[str]]) -> Iterator[dict[str, object]]:
    header_seen = False
    state = ""
    count = 0
    for line, row in enumerate(reader, start=1):
        cells = [cell.strip() for cell in row]
        if not header_seen:
            header_seen = bool(cells) and cells[0].lower().startswith(HEADER_START)
            continue
        if len(cells) < 5 or not NUMBER.fullmatch(cells[0]):
            continue  # separator rows and footnotes
        mac, number, named_state, area, counties = cells[:5]
        if not NUMBER.fullmatch(number):
            raise SourceFormatError(path, f"locality number {number!r} is not a number", line=line)
        state = named_state or state
        if not state:
            raise SourceFormatError(path, "a locality row before any state is named", line=line)
        count += 1
        yield {
            "id": locality_id(mac, number),
            "mac": f"{int(mac):05d}",
            "locality": f"{int(number):02d}",
            "state": state,
            "area": area.rstrip("*").strip(),
            "counties": counties,
            "line": line,
        }
    if not count:
        raise SourceFormatError(
            path,
            "no locality rows found (a header row starting 'Medicare Administrative Contractor' "
            "followed by MAC, locality, state, fee schedule area and counties)",
            hint="check that this is the locality/county crosswalk of the RVU release",
        )


LOCALITIES = LocalitySource()
SOURCES = [LOCALITIES]
