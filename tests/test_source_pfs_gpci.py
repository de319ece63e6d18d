"""The GPCI and locality/county files of the RVU release: every row, and errors that name the
file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from medref.errors import SourceFormatError
from medref.sources.base import Release
from medref.sources.pfs_gpci import GPCI
from medref.sources.pfs_localities import LOCALITIES


def test_gpci_file_gives_every_locality(cms_dir: Path) -> None:
    (release,) = GPCI.discover(cms_dir)
    assert release.release == "2025-01" and release.effective is not None
    records = {r.ref: r for r in GPCI.parse(release)}
    assert len(records) == 109
    manhattan = records["GPCI:13202-01"]
    assert manhattan.data["work"] == "1.065" and manhattan.data["pe"] == "1.166"
    alaska = records["GPCI:02102-01"]
    assert alaska.data["work"] == "1.5" and "Alaska" in (alaska.data["floor"] or "")
    assert records["GPCI:01212-01"].data["name"] == "HAWAII, GUAM"


def test_locality_file_names_counties(cms_dir: Path) -> None:
    (release,) = LOCALITIES.discover(cms_dir)
    records = {r.ref: r for r in LOCALITIES.parse(release)}
    gpcis = {r.ref.split(":")[1] for r in GPCI.parse(GPCI.discover(cms_dir)[0])}
    assert {ref.split(":")[1] for ref in records} <= gpcis
    assert "SAN FRANCISCO" in records["LOCALITY:01112-05"].text
    assert records["LOCALITY:05302-99"].data["state"] == "MISSOURI"


def test_a_bad_gpci_names_the_line(tmp_path: Path) -> None:
    folder = tmp_path / "pfs" / "2025-01"
    folder.mkdir(parents=True)
    path = folder / "GPCI2025.csv"
    path.write_text(
        "title,,,,,,\n"
        "Medicare Administrative Contractor (MAC),State,Locality Number,Locality Name,PW,PE,MP\n"
        "10112,AL,00,ALABAMA,1,0.869,0.575\n"
        "10112,AL,01,ELSEWHERE,1,zero,0.575\n",
        encoding="cp1252",
    )
    (release,) = GPCI.discover(tmp_path)
    with pytest.raises(SourceFormatError, match="line 4") as found:
        list(GPCI.parse(release))
    assert "GPCI2025.csv" in str(found.value)
    empty = Release("pfs-gpci", "2025-01", (path,))
    path.write_text("nothing here\n", encoding="cp1252")
    with pytest.raises(SourceFormatError, match="no GPCI rows"):
        list(GPCI.parse(empty))
