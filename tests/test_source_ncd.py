"""Coverage documents: the real NCD sample, and MCD export zips built here from the export
layout (a zip holding `*_csv.zip` holding the CSV tables; 26 `ncd_trkg.csv` columns)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest

from medref.errors import SourceFormatError
from medref.records import Record
from medref.sources.base import Release
from medref.sources.ncd import ARTICLE, LCD, NCD, CoverageSource

CMS = Path(__file__).resolve().parents[1].parent / "shared" / "cms"
SAMPLE = CMS / "ncd" / "ncd_sample.jsonl"

NCD_COLUMNS = (
    "NCD_id",
    "NCD_vrsn_num",
    "natl_cvrg_type",
    "cvrg_lvl_cd",
    "NCD_mnl_sect",
    "NCD_mnl_sect_title",
    "NCD_efctv_dt",
    "NCD_impltn_dt",
    "NCD_trmntn_dt",
    "itm_srvc_desc",
    "indctn_lmtn",
    "xref_txt",
    "othr_txt",
    "trnsmtl_num",
    "trnsmtl_issnc_dt",
    "trnsmtl_url",
    "chg_rqst_num",
    "pblctn_cd",
    "rev_hstry",
    "under_rvw",
    "creatd_tmstmp",
    "last_updt_tmstmp",
    "last_clrnc_tmstmp",
    "NCD_lab",
    "ncd_keyword",
    "NCD_AMA",
)
CPAP_INDICATIONS = (
    "<p><strong>B. Nationally Covered Indications</strong></p>\n<ul>\n"
    "<li>Fixture rule: an initial 12-week trial is covered when AHI &ge; 15 events per hour,"
    " or 5 to 14 with symptoms;</li>\n<li>the patient&rsquo;s use is documented.</li></ul>"
    '<p>Second paragraph, with a comma, and "quotes".</p>'
)


def _ncd_row(**values: str) -> dict[str, str]:
    row = dict.fromkeys(NCD_COLUMNS, "")
    row.update(natl_cvrg_type="True", cvrg_lvl_cd="2", pblctn_cd="25", under_rvw="False")
    row.update(NCD_lab="False", NCD_AMA="False", creatd_tmstmp="2008-03-13 12:10:46")
    row.update(values)
    return row


NCD_ROWS = [
    _ncd_row(
        NCD_id="226",
        NCD_vrsn_num="3",
        NCD_mnl_sect="240.4",
        NCD_mnl_sect_title="Continuous Positive Airway Pressure (CPAP) Therapy",
        NCD_efctv_dt="2008-03-13",
        itm_srvc_desc="<p>A. General</p><p>CPAP keeps the airway open.</p>",
        indctn_lmtn=CPAP_INDICATIONS,
        xref_txt="See section 280.1\nDME reference list",
        last_clrnc_tmstmp="2026-08-28 11:49:28.133000",
    ),
    _ncd_row(
        NCD_id="226",
        NCD_vrsn_num="2",
        NCD_mnl_sect="240.4",
        NCD_mnl_sect_title="CPAP (old)",
        NCD_efctv_dt="2005-04-04",
        indctn_lmtn="<p>Superseded fixture version.</p>",
    ),
    _ncd_row(
        NCD_id="20",
        NCD_vrsn_num="3",
        NCD_mnl_sect="160.7.1",
        NCD_mnl_sect_title="Fixture Therapy - RETIRED",
        NCD_efctv_dt="04/10/2023",
        NCD_trmntn_dt="2021-01-01 00:00:00",
        indctn_lmtn="Plain text, no markup.",
    ),
]
BENEFIT_NAMES = [{"bnft_ctgry_cd": "12", "bnft_ctgry_desc": "Durable Medical Equipment"}]
BENEFIT_LINKS = [
    {
        "NCD_id": "226",
        "NCD_vrsn_num": "3",
        "bnft_ctgry_cd": "12",
        "creatd_tmstmp": "2008-03-13 00:00:00",
        "last_updt_tmstmp": "2008-03-13 00:00:00",
    },
]
LCD_ROWS = [
    {
        "lcd_id": "33797",
        "lcd_version": "7",
        "display_id": "L33797",
        "determination_number": "L33797",
        "title": "Oxygen and Oxygen Equipment",
        "status": "A",
        "orig_det_eff_date": "2015-10-01",
        "rev_eff_date": "2024-01-01 00:00:00",
        "rev_end_date": "",
        "ent_det_end_date": "",
        "date_retired": "",
        "indication": "<p>Fixture: home oxygen needs a qualifying blood gas study.</p>",
        "coding_guidelines": "",
        "doc_reqs": "<ol><li>Order on file</li></ol>",
        "keywords": "oxygen",
    },
]
ARTICLE_ROWS = [
    {
        "article_id": "52458",
        "article_version": "4",
        "display_id": "A52458",
        "title": "Fixture Article - Policy Article",
        "article_type": "1",
        "status": "A",
        "article_pub_date": "2024-01-05",
        "article_eff_date": "2024-01-01",
        "article_end_date": "",
        "description": "<p>Fixture: the supplier keeps the order &amp; the delivery proof.</p>",
        "other_comments": "",
    },
]


def _csv_bytes(rows: list[dict[str, str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(
        out, fieldnames=list(rows[0]), quoting=csv.QUOTE_ALL, lineterminator="\r\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, data in members.items():
            zipped.writestr(name, data)
    return buffer.getvalue()


def _export(path: Path, inner: str, tables: dict[str, bytes]) -> Path:
    """An MCD export: readme and dictionary beside a nested zip of CSV tables."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        _zip_bytes(
            {
                "readme_first.txt": b"fixture",
                "data dictionary.pdf": b"%PDF-1.4 not read",
                inner: _zip_bytes({"readme_first.txt": b"fixture", **tables}),
            }
        )
    )
    return path


def _ncd_export(path: Path, rows: list[dict[str, str]] = NCD_ROWS, encoding: str = "utf-8") -> Path:
    return _export(
        path,
        "ncd_csv.zip",
        {
            "ncd_trkg.csv": _csv_bytes(rows, encoding),
            "ncd_bnft_ctgry_ref.csv": _csv_bytes(BENEFIT_NAMES),
            "ncd_trkg_bnft_xref.csv": _csv_bytes(BENEFIT_LINKS),
        },
    )


def _records(source: CoverageSource, *files: Path) -> dict[str, Record]:
    rows = list(source.parse(Release(source.name, "test", files)))
    assert all(isinstance(row, Record) for row in rows)
    records = {row.ref: row for row in rows if isinstance(row, Record)}
    assert len(records) == len(rows)
    return records


# ---- the real NCD sample ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> dict[str, Record]:
    (release,) = NCD.discover(CMS)
    assert release.files == (SAMPLE,)
    return _records(NCD, SAMPLE)


def test_every_sample_ncd_becomes_a_record(sample: dict[str, Record]) -> None:
    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line]
    assert len(rows) == 12
    assert set(sample) == {f"NCD:{row['ncd_section']}" for row in rows}
    for row in rows:
        record = sample[f"NCD:{row['ncd_section']}"]
        assert record.data == row
        assert record.title == f"NCD {row['ncd_section']} {row['title']}"


def test_sample_release_is_the_newest_update_month() -> None:
    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line]
    newest = max(date(int(r["last_updated"][6:]), int(r["last_updated"][:2]), 1) for r in rows)
    assert [release.release for release in NCD.discover(CMS)] == [newest.strftime("%Y-%m")]


def test_cpap_ncd_text_and_dates(sample: dict[str, Record]) -> None:
    cpap = sample["NCD:240.4"]
    assert cpap.kind == "ncd" and cpap.source == "ncd"
    assert "12-week" in cpap.text
    assert cpap.effective == date(2008, 3, 13)
    labels = [part.split(":", 1)[0] for part in cpap.text.split("\n\n") if ":" in part[:40]]
    assert labels[:2] == ["Item/service description", "Indications and limitations"]
    assert "Benefit category: Durable Medical Equipment" in cpap.text
    assert "Cross reference: See Section 280.1" in cpap.text


def test_longstanding_ncds_have_no_effective_date(sample: dict[str, Record]) -> None:
    longstanding = [r for r in sample.values() if "longstanding" in r.data["effective_date"]]
    assert longstanding and all(record.effective is None for record in longstanding)


def test_sample_bad_json_line_is_named(tmp_path: Path) -> None:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    broken = tmp_path / "ncd_sample.jsonl"
    broken.write_text("\n".join([*lines[:3], lines[3][:-5], *lines[4:]]) + "\n", encoding="utf-8")
    with pytest.raises(SourceFormatError) as caught:
        _records(NCD, broken)
    assert caught.value.line == 4 and "ncd_sample.jsonl" in str(caught.value)


def test_lcd_and_article_sources_find_nothing_in_the_shared_folder() -> None:
    assert LCD.discover(CMS) == [] and ARTICLE.discover(CMS) == []


def test_downloads_are_the_mcd_exports() -> None:
    base = "https://downloads.cms.gov/medicare-coverage-database/downloads/exports/"
    assert [spec.url for spec in NCD.downloads()] == [base + "ncd.zip"]
    assert [spec.url for spec in LCD.downloads()] == [base + "current_lcd.zip"]
    assert [spec.url for spec in ARTICLE.downloads()] == [base + "current_article.zip"]


# ---- export zips --------------------------------------------------------------------------


def test_ncd_export_zip_in_a_release_folder(tmp_path: Path) -> None:
    _ncd_export(tmp_path / "ncd" / "2026-09" / "ncd.zip")
    (release,) = NCD.discover(tmp_path)
    assert release.release == "2026-09"
    records = _records(NCD, *release.files)
    assert set(records) == {"NCD:240.4", "NCD:160.7.1"}
    cpap = records["NCD:240.4"]
    assert cpap.title == "NCD 240.4 Continuous Positive Airway Pressure (CPAP) Therapy"
    assert cpap.data["NCD_vrsn_num"] == "3"  # the newest version wins
    assert cpap.effective == date(2008, 3, 13)
    assert "Superseded" not in cpap.text


def test_export_html_is_stripped_to_text(tmp_path: Path) -> None:
    cpap = _records(NCD, _ncd_export(tmp_path / "ncd.zip"))["NCD:240.4"]
    assert "<" not in cpap.text and "&ge;" not in cpap.text and "&rsquo;" not in cpap.text
    assert "AHI ≥ 15 events per hour, or 5 to 14 with symptoms;" in cpap.text
    assert "\n- the patient’s use is documented." in cpap.text
    assert 'Second paragraph, with a comma, and "quotes".' in cpap.text
    assert "Item/service description: A. General\nCPAP keeps the airway open." in cpap.text
    assert "Cross reference: See section 280.1\nDME reference list" in cpap.text
    assert "Benefit category: Durable Medical Equipment" in cpap.text
    assert "<" not in cpap.data["indctn_lmtn"]


def test_export_dates_in_every_shape(tmp_path: Path) -> None:
    retired = _records(NCD, _ncd_export(tmp_path / "ncd.zip"))["NCD:160.7.1"]
    assert retired.effective == date(2023, 4, 10)
    assert retired.terminated == date(2021, 1, 1)
    assert retired.text == "Indications and limitations: Plain text, no markup."


def test_windows_1252_export(tmp_path: Path) -> None:
    rows = [
        _ncd_row(
            NCD_id="1",
            NCD_vrsn_num="1",
            NCD_mnl_sect="20.1",
            NCD_mnl_sect_title="Café test",
            NCD_efctv_dt="2001-01-01",
            indctn_lmtn="The patient’s “own” device – fixture.",
        )
    ]
    record = _records(NCD, _ncd_export(tmp_path / "ncd.zip", rows, "cp1252"))["NCD:20.1"]
    assert record.title == "NCD 20.1 Café test"
    assert "The patient’s “own” device – fixture." in record.text


def test_lcd_and_article_exports(tmp_path: Path) -> None:
    lcd_zip = _export(
        tmp_path / "lcd" / "current_lcd.zip",
        "current_lcd_csv.zip",
        {"lcd.csv": _csv_bytes(LCD_ROWS)},
    )
    oxygen = _records(LCD, lcd_zip)["LCD:L33797"]
    assert oxygen.title == "LCD L33797 Oxygen and Oxygen Equipment"
    assert oxygen.kind == "lcd" and oxygen.effective == date(2024, 1, 1)
    assert oxygen.text.startswith(
        "Coverage indications, limitations and medical necessity: Fixture"
    )
    assert "Documentation requirements: - Order on file" in oxygen.text
    article_zip = _export(
        tmp_path / "article" / "current_article.zip",
        "current_article_csv.zip",
        {"article.csv": _csv_bytes(ARTICLE_ROWS)},
    )
    article = _records(ARTICLE, article_zip)["ARTICLE:A52458"]
    assert article.title == "Article A52458 Fixture Article - Policy Article"
    assert "the order & the delivery proof" in article.text
    assert [r.release for r in LCD.discover(tmp_path)] and [
        r.release for r in ARTICLE.discover(tmp_path)
    ]


def test_truncated_zip_is_an_error(tmp_path: Path) -> None:
    archive = _ncd_export(tmp_path / "ncd.zip")
    archive.write_bytes(archive.read_bytes()[:-200])
    with pytest.raises(SourceFormatError, match="truncated or damaged") as caught:
        _records(NCD, archive)
    assert "ncd.zip" in str(caught.value)


def test_missing_column_and_short_row_name_member_and_line(tmp_path: Path) -> None:
    no_title = [{k: v for k, v in row.items() if k != "NCD_mnl_sect_title"} for row in NCD_ROWS]
    with pytest.raises(SourceFormatError, match="missing column") as caught:
        _records(NCD, _ncd_export(tmp_path / "a" / "ncd.zip", no_title))
    assert "ncd_csv.zip!ncd_trkg.csv" in str(caught.value) and caught.value.line == 1
    good = _csv_bytes(NCD_ROWS)
    short = good + b'"99","1","True"\r\n'
    archive = _export(tmp_path / "b" / "ncd.zip", "ncd_csv.zip", {"ncd_trkg.csv": short})
    with pytest.raises(SourceFormatError, match="does not have the 26 fields") as caught:
        _records(NCD, archive)
    assert caught.value.line == good.count(b"\n") + 1  # physical line, embedded newlines counted


def test_bad_date_and_missing_table_are_errors(tmp_path: Path) -> None:
    rows = [_ncd_row(NCD_id="1", NCD_vrsn_num="1", NCD_mnl_sect="20.1", NCD_efctv_dt="soon")]
    with pytest.raises(SourceFormatError, match="NCD_efctv_dt 'soon' is not a date"):
        _records(NCD, _ncd_export(tmp_path / "a" / "ncd.zip", rows))
    empty = _export(tmp_path / "b" / "ncd.zip", "ncd_csv.zip", {"other.csv": b"a\r\n1\r\n"})
    with pytest.raises(SourceFormatError, match=r"no ncd_trkg\.csv"):
        _records(NCD, empty)


def test_same_document_in_two_files_is_an_error(tmp_path: Path) -> None:
    rows = [
        _ncd_row(
            NCD_id="226",
            NCD_vrsn_num="3",
            NCD_mnl_sect="240.4",
            NCD_mnl_sect_title="CPAP",
            NCD_efctv_dt="2008-03-13",
        )
    ]
    archive = _ncd_export(tmp_path / "ncd.zip", rows)
    with pytest.raises(SourceFormatError, match=r"NCD:240\.4 is also in"):
        _records(NCD, SAMPLE, archive)
