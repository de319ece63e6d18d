"""IOM manual sections: every section of the real JSONL export becomes a record; chapter PDFs
(a reportlab fixture laid out like the official ones) split into the same records."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from medref.errors import SourceFormatError
from medref.records import Record
from medref.sources.base import Release
from medref.sources.iom import IOM

CMS = Path(__file__).resolve().parents[1].parent / "shared" / "cms"
IOM_DIR = CMS / "manuals" / "iom"


def _jsonl_rows() -> list[dict[str, object]]:
    return [
        json.loads(line)
        for path in sorted(IOM_DIR.glob("sections-*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def _records(release: Release) -> list[Record]:
    records = [row for row in IOM.parse(release) if isinstance(row, Record)]
    assert all(isinstance(row, Record) for row in IOM.parse(release))
    return records


@pytest.fixture(scope="module")
def real() -> dict[str, Record]:
    releases = IOM.discover(CMS)
    assert len(releases) == 1
    return {record.ref: record for record in _records(releases[0])}


def test_every_jsonl_section_becomes_one_record(real: dict[str, Record]) -> None:
    rows = _jsonl_rows()
    assert len(rows) == 119
    expected = {f"IOM:{row['publication']}/{row['chapter']}/{row['section_label']}" for row in rows}
    assert set(real) == expected


def test_release_is_the_newest_expression_month() -> None:
    newest = max(str(row["expression_date"]) for row in _jsonl_rows())
    (release,) = IOM.discover(CMS)
    assert release.release == newest[:7]
    assert {path.name for path in release.files} == {"sections-part1.jsonl", "sections-part2.jsonl"}


def test_spot_checks_of_official_text(real: dict[str, Record]) -> None:
    co_surgery = real["IOM:100-04/12/40.8"]
    assert "62.5 percent" in co_surgery.text
    assert co_surgery.title == "100-04 ch.12 §40.8 Claims for Co-Surgeons and Team Surgeons"
    assert co_surgery.kind == "section" and co_surgery.code is None
    assert co_surgery.data["publication_title"] == "Medicare Claims Processing Manual"
    assert co_surgery.data["transmittal"].startswith("Rev. 3721")
    assert co_surgery.effective == date(2017, 5, 25)
    retention = real["IOM:100-04/30/50.7"]
    assert "5 years" in retention.text and "retain" in retention.text
    assert retention.parent == "IOM:100-04/30/50"
    assert retention.data["source_url"].endswith("clm104c30.pdf")


def test_parents_are_the_nearest_section_present(real: dict[str, Record]) -> None:
    assert real["IOM:100-04/12/40.8"].parent is None  # 40 itself is not in the export
    assert real["IOM:100-04/12/30.6.12.7"].parent == "IOM:100-04/12/30.6.12"
    assert real["IOM:100-04/1/70.8.6.3"].parent == "IOM:100-04/1/70.8.6"
    for record in real.values():
        assert record.parent is None or record.parent in real


def test_revision_only_sections_are_kept_and_flagged(real: dict[str, Record]) -> None:
    reserved = {ref for ref, record in real.items() if record.data["reserved"]}
    assert "IOM:100-04/23/20.9.2" in reserved
    assert real["IOM:100-04/23/20.9.2"].text.startswith("(Rev. 4465")
    assert "IOM:100-04/12/40.8" not in reserved
    for ref in reserved:
        assert len(real[ref].text) < 100


def test_heading_that_wrapped_into_the_body_is_moved_back(real: dict[str, Record]) -> None:
    abn = real["IOM:100-04/30/50.10"]
    assert abn.data["heading"].endswith(
        "(Prohibition Against Unsolicited Telephone Contacts) Are Expected"
    )
    assert abn.text.startswith("(Rev. 10862")
    for record in real.values():
        assert not record.data["heading"][:1].isdigit()


def test_bad_json_line_names_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "manuals" / "iom"
    folder.mkdir(parents=True)
    good = (IOM_DIR / "sections-part1.jsonl").read_text(encoding="utf-8").splitlines()[0]
    (folder / "sections-broken.jsonl").write_text(good + "\n" + good[:200] + "\n", encoding="utf-8")
    with pytest.raises(SourceFormatError) as caught:
        IOM.discover(tmp_path)
    assert caught.value.line == 2
    assert "sections-broken.jsonl" in str(caught.value) and "not valid JSON" in str(caught.value)


def test_missing_field_and_duplicate_section_are_errors(tmp_path: Path) -> None:
    row = json.loads((IOM_DIR / "sections-part1.jsonl").read_text(encoding="utf-8").splitlines()[0])
    del row["body"]
    path = tmp_path / "sections-x.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="missing field"):
        list(IOM.parse(Release("iom", "t", (path,))))
    copy = tmp_path / "sections-copy.jsonl"
    shutil.copy(IOM_DIR / "sections-part1.jsonl", copy)
    both = Release("iom", "t", (IOM_DIR / "sections-part1.jsonl", copy))
    with pytest.raises(SourceFormatError, match="appears twice"):
        list(IOM.parse(both))


def test_downloads_are_the_chapter_pdfs_the_export_came_from() -> None:
    urls = {spec.url for spec in IOM.downloads()}
    assert urls == {str(row["source_url"]) for row in _jsonl_rows()}
    assert all(spec.filename == spec.url.rsplit("/", 1)[1] for spec in IOM.downloads())


# ---- chapter PDFs -------------------------------------------------------------------------

HEADER = "CMS Manual System, Pub 100-04 Medicare Claims Processing, Transmittal 13316"
TITLE_PAGE = [
    "Medicare Claims Processing Manual",
    "Chapter 12 - Physicians/Nonphysician Practitioners",
    "Table of Contents",
    "(Rev. 13316, 07-24-25)",
]
TOC_PAGE = [
    "Transmittals for Chapter 12",
    "40 - Surgeons and Global Surgery",
    "40.1 - Definition of a Global Surgical Package ............ 3",
    "40.2 - Billing Requirements for Global Surgeries ............ 3",
    "40.8 - Claims for Co-Surgeons and Team Surgeons",
    "40.9 - Procedures Billed With Two or More Surgical Modifiers",
    "40.10 - Reserved for Future Use",
]
BODY_PAGES = [
    [
        "40 - Surgeons and Global Surgery",
        "(Rev. 1, 10-01-03)",
        "40.1 - Definition of a Global Surgical Package",
        "(Rev. 11287; Issued: 03-02-22; Effective: 01-01-22; Implementation:",
        "02-22-22)",
        "The global surgical package pays once for the operation and for the usual care",
        "before and after it by the same surgeon.",
        "A. Components of the package",
        "Preoperative visits, the operation itself and routine follow-up visits are included.",
        "40.2 - Billing Requirements for Global Surgeries",
        "(Rev. 11287; Issued: 03-02-22; Effective: 01-01-22; Implementation: 02-22-22)",
        "Surgeons bill the package as one line with the date of the operation.",
    ],
    [
        "12 - Fixture claims are sampled for review before payment.",
        "Postoperative care by another physician is billed with its own modifier and dates.",
        "40.8 - Claims for Co-Surgeons and Team Surgeons",
        "(Rev. 3721, Issued: 02-24-17, Effective: 05-25-17, Implementation: 05-25-17)",
        "Each co-surgeon is paid 62.5 percent of the global surgery fee schedule amount.",
    ],
    [
        "40.9 - Procedures Billed With Two or More",
        "Surgical Modifiers",
        "(Rev. 1, 10-01-03)",
        "Claims with more than one surgical modifier are priced by the rules of each modifier.",
        "40.10 - Reserved for Future Use",
        "(Rev. 4465; Issued: 11-15-19, Effective: 01-30-19, Implementation: 01-30-19)",
    ],
]


def _write_pdf(path: Path, pages: list[list[str]], furniture: bool = True) -> Path:
    """A chapter PDF like CMS's: one text line per drawString, header and footer per page."""
    pdf = canvas.Canvas(str(path), pagesize=letter)
    for number, lines in enumerate(pages, start=1):
        if furniture:
            pdf.drawString(72, 750, HEADER)
            pdf.drawString(290, 40, f"Page {number}")
        y = 710
        for line in lines:
            pdf.drawString(72, y, line)
            y -= 18
        pdf.showPage()
    pdf.save()
    return path


def _pdf_records(path: Path) -> dict[str, Record]:
    return {record.ref: record for record in _records(Release("iom", "t", (path,)))}


def test_chapter_pdf_splits_into_sections(tmp_path: Path) -> None:
    pdf = _write_pdf(tmp_path / "clm104c12.pdf", [TITLE_PAGE, TOC_PAGE, *BODY_PAGES])
    records = _pdf_records(pdf)
    assert list(records) == [
        f"IOM:100-04/12/{number}" for number in ("40", "40.1", "40.2", "40.8", "40.9", "40.10")
    ]
    definition = records["IOM:100-04/12/40.1"]
    assert definition.title == "100-04 ch.12 §40.1 Definition of a Global Surgical Package"
    assert definition.parent == "IOM:100-04/12/40"
    assert definition.data["transmittal"] == (
        "Rev. 11287; Issued: 03-02-22; Effective: 01-01-22; Implementation: 02-22-22"
    )
    assert definition.effective == date(2022, 1, 1)
    assert definition.data["chapter_title"] == "Physicians/Nonphysician Practitioners"
    assert definition.data["chapter_transmittal"] == "Rev. 13316, 07-24-25"
    assert definition.data["source_url"] == (
        "https://www.cms.gov/regulations-and-guidance/guidance/manuals/downloads/clm104c12.pdf"
    )
    assert "usual care before and after it" in definition.text
    assert "\nA. Components of the package" in definition.text


def test_pdf_sections_span_pages_without_headers_footers_or_contents(tmp_path: Path) -> None:
    records = _pdf_records(
        _write_pdf(tmp_path / "clm104c12.pdf", [TITLE_PAGE, TOC_PAGE, *BODY_PAGES])
    )
    billing = records["IOM:100-04/12/40.2"]
    assert (billing.data["page_start"], billing.data["page_end"]) == (3, 4)
    assert "12 - Fixture claims are sampled" in billing.text
    assert "its own modifier" in billing.text
    for record in records.values():
        assert "Transmittal 13316" not in record.text and "Page " not in record.text
        assert "Table of Contents" not in record.text and "Transmittals for" not in record.text
    assert "62.5 percent" in records["IOM:100-04/12/40.8"].text


def test_pdf_wrapped_heading_and_reserved_section(tmp_path: Path) -> None:
    records = _pdf_records(
        _write_pdf(tmp_path / "clm104c12.pdf", [TITLE_PAGE, TOC_PAGE, *BODY_PAGES])
    )
    modifiers = records["IOM:100-04/12/40.9"]
    assert modifiers.data["heading"] == "Procedures Billed With Two or More Surgical Modifiers"
    assert modifiers.text.startswith("(Rev. 1, 10-01-03) Claims with more")
    assert records["IOM:100-04/12/40.10"].data["reserved"] is True
    assert records["IOM:100-04/12/40.9"].data["reserved"] is False
    assert records["IOM:100-04/12/40"].data["reserved"] is True


def test_pdf_manual_and_chapter_from_the_first_page(tmp_path: Path) -> None:
    title = [
        "Medicare Benefit Policy Manual",
        "Chapter 15 - Covered Medical and Other Health Services",
    ]
    body = [
        "60 - Services Incident To a Physician's Service (Rev. 1, 10-01-03)",
        "Fixture text.",
    ]
    records = _pdf_records(_write_pdf(tmp_path / "chapter.pdf", [title, body], furniture=False))
    assert list(records) == ["IOM:100-02/15/60"]
    assert (
        records["IOM:100-02/15/60"].data["heading"] == "Services Incident To a Physician's Service"
    )
    assert records["IOM:100-02/15/60"].text == "(Rev. 1, 10-01-03) Fixture text."
    assert records["IOM:100-02/15/60"].data["source_url"] is None


def test_pdf_release_is_its_modification_month(tmp_path: Path) -> None:
    folder = tmp_path / "manuals" / "iom"
    folder.mkdir(parents=True)
    pdf = _write_pdf(folder / "clm104c12.pdf", [TITLE_PAGE, TOC_PAGE, *BODY_PAGES])
    stamp = datetime(2025, 3, 14, 12, tzinfo=UTC).timestamp()
    os.utime(pdf, (stamp, stamp))
    downloaded = folder / "2026-09"
    downloaded.mkdir()
    shutil.copy(pdf, downloaded / "clm104c12.pdf")
    releases = IOM.discover(tmp_path)
    assert [release.release for release in releases] == ["2025-03", "2026-09"]
    assert len(_records(releases[1])) == 6


def test_pdf_without_sections_or_chapter_is_an_error(tmp_path: Path) -> None:
    no_sections = _write_pdf(tmp_path / "clm104c12.pdf", [TITLE_PAGE, ["Just prose, no headings."]])
    with pytest.raises(SourceFormatError, match="no section headings") as caught:
        _pdf_records(no_sections)
    assert "clm104c12.pdf" in str(caught.value)
    unknown = _write_pdf(tmp_path / "notes.pdf", [["Some notes"], BODY_PAGES[0]])
    with pytest.raises(SourceFormatError, match="cannot tell the manual and chapter"):
        _pdf_records(unknown)


def test_damaged_pdf_is_an_error(tmp_path: Path) -> None:
    pdf = _write_pdf(tmp_path / "clm104c12.pdf", [TITLE_PAGE, TOC_PAGE, *BODY_PAGES])
    pdf.write_bytes(pdf.read_bytes()[:300])
    with pytest.raises(SourceFormatError) as caught:
        _pdf_records(pdf)
    assert "clm104c12.pdf" in str(caught.value)
