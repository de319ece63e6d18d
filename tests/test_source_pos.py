"""Place of service codes: the real CSV of ../shared/cms, release subfolders and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from medref.errors import SourceFormatError
from medref.records import Record
from medref.sources.pos import POS, SOURCES

CMS = Path(__file__).resolve().parents[1].parent / "shared" / "cms"
HEADER = "pos_code,pos_type,pos_name,pos_description\n"


def parse(root: Path) -> dict[str, Record]:
    (release,) = POS.discover(root)
    return {record.ref: record for record in POS.parse(release)}


@pytest.fixture(scope="module")
def real() -> dict[str, Record]:
    return parse(CMS)


def test_real_release_and_count(real: dict[str, Record]) -> None:
    assert SOURCES == [POS]
    (release,) = POS.discover(CMS)
    assert (release.release, release.effective, release.until) == ("current", None, None)
    assert len(real) == 99
    assert sum(not record.data["assigned"] for record in real.values()) == 47


def test_office_and_telehealth(real: dict[str, Record]) -> None:
    office = real["POS:11"]
    assert (office.kind, office.code, office.title) == ("pos", "11", "Office")
    assert office.data["facility_rate"] is False and office.data["pos_type"] == "Non-Facility"
    assert office.text.startswith("Place of service 11, Office: Location, other than a hospital")
    assert "non-facility rate" in office.text

    other_than_home = real["POS:02"]
    assert other_than_home.title == "Telehealth Provided Other than in Patient’s Home"
    assert other_than_home.data["facility_rate"] is True
    home = real["POS:10"]
    assert home.title == "Telehealth Provided in Patient’s Home"
    assert home.data["facility_rate"] is False
    assert "telecommunication technology" in home.text


def test_unassigned_codes_are_answered(real: dict[str, Record]) -> None:
    unassigned = real["POS:28"]
    assert unassigned.data["assigned"] is False and unassigned.data["facility_rate"] is None
    assert (
        unassigned.text == "Place of service code 28 is unassigned: CMS has not given it a meaning."
    )


def test_release_subfolders(tmp_path: Path) -> None:
    for release in ("2024-01", "2025-01"):
        folder = tmp_path / "pos" / release
        folder.mkdir(parents=True)
        (folder / "pos.csv").write_text(HEADER + "11,Non-Facility,Office,An office.\n")
    assert [r.release for r in POS.discover(tmp_path)] == ["2024-01", "2025-01"]
    assert POS.discover(tmp_path / "absent") == []


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("1,Facility,Somewhere,x", "POS code '1' is not two digits"),
        ("11,Hospital,Office,x", "pos_type 'Hospital' is not Facility, Non-Facility or Unassigned"),
        ("11,Facility,Office", "expected 4 columns, found 3"),
    ],
)
def test_malformed_rows(tmp_path: Path, row: str, problem: str) -> None:
    path = tmp_path / "pos" / "codes.csv"
    path.parent.mkdir()
    path.write_text(HEADER + "12,Non-Facility,Home,A home.\n" + row + "\n")
    with pytest.raises(SourceFormatError, match=problem) as caught:
        parse(tmp_path)
    assert (caught.value.path, caught.value.line) == (path, 3)


def test_missing_columns_and_duplicates(tmp_path: Path) -> None:
    folder = tmp_path / "pos"
    folder.mkdir()
    (folder / "a.csv").write_text("code,name\n11,Office\n")
    with pytest.raises(SourceFormatError, match="expected the columns pos_code, pos_type"):
        parse(tmp_path)
    (folder / "a.csv").write_text(HEADER + "11,Non-Facility,Office,An office.\n")
    (folder / "b.csv").write_text(HEADER + "11,Non-Facility,Office,An office.\n")
    with pytest.raises(SourceFormatError, match=r"POS 11 is also listed in a\.csv"):
        parse(tmp_path)


def test_download_points_at_the_cms_code_set() -> None:
    (spec,) = POS.downloads()
    assert spec.url.startswith("https://www.cms.gov/medicare/coding-billing/place-of-service-codes")


POS_PAGE = """<html><body><h1>Place of Service Code Set</h1>
<table>
<tr><th>Place of Service Code(s)</th><th>Place of Service Name</th><th>Place of Service Description</th></tr>
<tr><td>02</td><td>Telehealth Provided Other than in Patient&rsquo;s Home</td>
<td>The location where health services are provided or received, through telecommunication
technology.<br>Patient is not located in their home.</td></tr>
<tr><td>11</td><td>Office</td><td>Location where the health professional routinely provides
examinations, diagnosis, and treatment.</td></tr>
<tr><td>27-30</td><td>Unassigned</td><td>N/A</td></tr>
</table></body></html>
"""


def test_the_cms_html_page_is_read_with_ranges_expanded(tmp_path: Path) -> None:
    folder = tmp_path / "pos"
    folder.mkdir()
    (folder / "place-of-service-code-sets.html").write_text(POS_PAGE, encoding="utf-8")
    [release] = POS.discover(tmp_path)
    records = {r.code: r for r in POS.parse(release)}
    assert sorted(records) == ["02", "11", "27", "28", "29", "30"]
    assert records["11"].title == "Office" and records["11"].data["pos_type"] is None
    assert "Patient’s Home" in records["02"].title
    assert records["28"].data["assigned"] is False


def test_an_html_page_without_the_table_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "pos"
    folder.mkdir()
    (folder / "page.html").write_text("<html><table><tr><td>x</td></tr></table></html>")
    [release] = POS.discover(tmp_path)
    with pytest.raises(SourceFormatError, match=r"page\.html.*Place of Service Code"):
        list(POS.parse(release))
