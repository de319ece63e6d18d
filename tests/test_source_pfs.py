"""PFS relative value file: the real RVU25A PPRRVU file of ../shared/cms, a fixture written from
the documented layout (title rows, a header wrapped over caption rows, a Ctrl-Z last line),
and the decoding tables checked against the RVU25A documentation."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from medref.codes.hcpcs_ranges import public_descriptor
from medref.codes.pfs_indicators import (
    ASSISTANT_AT_SURGERY,
    BILATERAL_SURGERY,
    CO_SURGEONS,
    GLOBAL_DAYS,
    MULTIPLE_PROCEDURE,
    PCTC_INDICATORS,
    STATUS_CODES,
    TEAM_SURGERY,
)
from medref.errors import SourceFormatError
from medref.records import Record
from medref.sources.pfs import PFS, SOURCES

CMS = Path(__file__).resolve().parents[1].parent / "shared" / "cms"
RVU_DIR = CMS / "pfs" / "2025-01"


@pytest.fixture(scope="module")
def real() -> dict[str, Record]:
    (release,) = PFS.discover(CMS)
    return {record.ref: record for record in PFS.parse(release)}


def test_real_release() -> None:
    assert SOURCES == [PFS]
    (release,) = PFS.discover(CMS)
    assert (release.release, release.effective, release.until) == (
        "2025-01",
        date(2025, 1, 1),
        None,
    )
    assert [path.name for path in release.files] == ["PPRRVU25_JAN.csv"]


def test_real_counts_and_spot_checks(real: dict[str, Record]) -> None:
    assert len(real) == 18_865
    visit = real["PFS:99213"]
    assert visit.title == "PFS 99213: status A, global XXX"
    assert (visit.kind, visit.code, visit.source, visit.release) == (
        "pfs",
        "99213",
        "pfs",
        "2025-01",
    )
    assert visit.data["status_code"] == "A" and visit.data["glob_days"] == "XXX"
    assert visit.data["work_rvu"] == 1.30 and visit.data["pctc_ind"] == 0
    assert visit.data["conv_factor"] == 32.3465
    assert "Status A: active code" in visit.text
    assert "global surgery concept does not apply" in visit.text
    assert "Conversion factor 32.3465" in visit.text

    assert real["PFS:71046-26"].data["mod"] == "26"
    assert "professional component" in real["PFS:71046-26"].text
    assert real["PFS:71046-TC"].data["facility_pe_rvu"] == 0.69
    assert real["PFS:43239"].data["endo_base"] == "43235"
    assert "Endoscopic base code 43235" in real["PFS:43239"].text
    knee = real["PFS:27447"]
    assert knee.data["glob_days"] == "090" and "90-day global period" in knee.text
    assert "pre-operative 10%, intra-operative 69%, post-operative 21%" in knee.text


def test_level_ii_descriptions_kept_cpt_and_cdt_never(real: dict[str, Record]) -> None:
    assert real["PFS:G0439"].title == "PFS G0439: status A, global XXX (Ppps, subseq visit)"
    for record in real.values():
        assert record.code is not None
        if not public_descriptor(record.code):
            assert record.data["description"] == ""
            assert "(" not in record.title
    assert real["PFS:D0120"].data["description"] == ""


def test_every_column_is_in_data_by_snake_case_name(real: dict[str, Record]) -> None:
    data = real["PFS:99213"].data
    assert list(data)[:5] == [
        "hcpcs",
        "mod",
        "description",
        "status_code",
        "not_used_for_medicare_payment",
    ]
    assert len(data) == 31
    assert data["physician_supervision_of_diagnostic_procedures"] == "09"
    assert data["mp_used_for_opps_payment_amount"] == 0.0
    assert data["calculation_flag"] == 0


@pytest.fixture(scope="module")
def documentation() -> str:
    reader = PdfReader(RVU_DIR / "RVU25A.pdf")
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize(
    ("table", "keys"),
    [
        (STATUS_CODES, "ABCDEFGHIJMNPRTX"),
        (GLOBAL_DAYS, ["000", "010", "090", "MMM", "XXX", "YYY", "ZZZ"]),
        (PCTC_INDICATORS, "0123456789"),
        (MULTIPLE_PROCEDURE, "012345679"),
        (BILATERAL_SURGERY, "01239"),
        (ASSISTANT_AT_SURGERY, "0129"),
        (CO_SURGEONS, "0129"),
        (TEAM_SURGERY, "0129"),
    ],
)
def test_decoding_tables_cover_the_documented_values(
    documentation: str, table: dict[str, str], keys: str | list[str]
) -> None:
    assert list(table) == list(keys)
    for key in table:
        assert re.search(rf"(^|\s){key}\s*=", documentation, re.MULTILINE), key


# -- the documented layout, as a small fixture ------------------------------------------------

CAPTIONS = [
    ",,,,NOT USED,,,,,,,,,,,,,,,,,,,,,PHYSICIAN,,DIAGNOSTIC,PE USED,PE USED,MP USED",
    ",,,,FOR,,,NON-FAC,,FACILITY ,,,,,,,,,,,,,,,,SUPERVISION OF,,IMAGING,FOR OPPS,FOR OPPS,FOR OPPS",
    ",,,STATUS,MEDICARE ,WORK,NON-FAC,NA,FACILITY,NA,MP,NON-FACILITY,FACILITY,PCTC,GLOB,PRE,INTRA,"
    "POST,MULT,BILAT,ASST,CO-,TEAM,ENDO,CONV,DIAGNOSTIC,CALCULATION,FAMILY,PAYMENT,PAYMENT,PAYMENT",
    "HCPCS,MOD,DESCRIPTION,CODE,PAYMENT,RVU,PE RVU,INDICATOR,PE RVU,INDICATOR,RVU,TOTAL,TOTAL,IND,"
    "DAYS,OP,OP,OP,PROC,SURG,SURG,SURG,SURG,BASE,FACTOR,PROCEDURES,FLAG,INDICATOR,AMOUNT,AMOUNT,AMOUNT",
]
TITLES = [
    ",,2025 National Physician Fee Schedule Relative Value File January Release" + "," * 28,
    ",,CPT codes and descriptions only are copyright 2024 American Medical Association." + "," * 28,
    "," * 30,
    ",,RELEASED 12/23/2024" + "," * 28,
    ",, , ,,,,,,,,,,,,,,,,,,,,,,,,,NON-FACILITY,FACILITY,",
]
ROWS = {
    "cpt": "99213,,Office visit descriptor stand-in,A,,1.30,1.35,,0.57,,0.10,2.75,1.97,0,XXX,"
    "0.00,0.00,0.00,0,0,0,0,0,,32.3465,09,0,99,0.00,0.00,0.00",
    "level2": "G0439,,Ppps subseq visit,A,,1.92,1.86,,1.86,NA,0.13,3.91,3.91,0,XXX,0.00,0.00,"
    "0.00,0,0,0,0,0,,32.3465,09,0,99,0.00,0.00,0.00",
    "tc": "71046,TC,,A,,0.00,0.69,,0.69,NA,0.01,0.70,0.70,1,XXX,0.00,0.00,0.00,0,0,0,0,0,,"
    "32.3465,01,0,99,2.68,2.68,0.04",
}


def rvu_file(
    root: Path, rows: list[str], release: str = "2025-01", name: str = "PPRRVU25_JAN.csv"
) -> Path:
    path = root / "pfs" / release / name
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [*TITLES, *CAPTIONS, *rows, "\x1a" + "," * 30, ""]
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    return path


def parse(root: Path) -> dict[str, Record]:
    (release,) = PFS.discover(root)
    return {record.ref: record for record in PFS.parse(release)}


def test_fixture_in_the_official_layout(tmp_path: Path) -> None:
    rvu_file(tmp_path, list(ROWS.values()))
    found = parse(tmp_path)
    assert list(found) == ["PFS:99213", "PFS:G0439", "PFS:71046-TC"]
    visit = found["PFS:99213"]
    assert visit.data["description"] == ""  # a licensed copy's CPT text stays out
    assert "stand-in" not in visit.text and "stand-in" not in visit.title
    assert found["PFS:G0439"].data["description"] == "Ppps subseq visit"
    assert found["PFS:71046-TC"].data["non_facility_pe_used_for_opps_payment_amount"] == 2.68
    assert "technical component" in found["PFS:71046-TC"].text


def test_release_ends_the_day_before_the_next(tmp_path: Path) -> None:
    rvu_file(tmp_path, [ROWS["cpt"]], release="2025-01")
    rvu_file(tmp_path, [ROWS["cpt"]], release="2025-04", name="PPRRVU25_APR.csv")
    first, second = PFS.discover(tmp_path)
    assert (first.effective, first.until) == (date(2025, 1, 1), date(2025, 3, 31))
    assert (second.effective, second.until) == (date(2025, 4, 1), None)


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (
            ROWS["cpt"].replace(",A,", ",Q,", 1),
            "status_code 'Q' is not a value the RVU documentation defines",
        ),
        (ROWS["cpt"].replace("XXX", "045"), "glob_days '045'"),
        (ROWS["cpt"].replace(",1.30,", ",1.3O,"), "work_rvu '1.3O' is not a number"),
        (ROWS["cpt"] + ",extra", "expected 31 columns, found 32"),
        (ROWS["cpt"].replace("99213", "9921"), "HCPCS '9921' is not a 5-character code"),
        (ROWS["tc"].replace(",TC,", ",ZZ,"), "mod 'ZZ'"),
    ],
)
def test_malformed_rows_name_file_and_line(tmp_path: Path, row: str, problem: str) -> None:
    path = rvu_file(tmp_path, [ROWS["level2"], row])
    with pytest.raises(SourceFormatError, match=problem) as caught:
        parse(tmp_path)
    assert (caught.value.path, caught.value.line) == (path, 11)


def test_duplicate_rows(tmp_path: Path) -> None:
    rvu_file(tmp_path, [ROWS["tc"], ROWS["tc"]])
    with pytest.raises(SourceFormatError, match="71046-TC is listed twice"):
        parse(tmp_path)


def test_header_not_found(tmp_path: Path) -> None:
    path = tmp_path / "pfs" / "2025-01" / "PPRRVU25_JAN.csv"
    path.parent.mkdir(parents=True)
    path.write_text("HCPC,MOD\n99213,\n")
    with pytest.raises(SourceFormatError, match="no header row starting with HCPCS"):
        parse(tmp_path)


def test_header_missing_a_column(tmp_path: Path) -> None:
    path = rvu_file(tmp_path, [])
    path.write_text(path.read_text(encoding="cp1252").replace("GLOB", "GLOBAL"), encoding="cp1252")
    with pytest.raises(SourceFormatError, match="the header lacks the columns glob_days"):
        parse(tmp_path)


def test_two_rvu_files_in_one_release(tmp_path: Path) -> None:
    rvu_file(tmp_path, [ROWS["cpt"]], name="PPRRVU2026_Jan_nonQPP.csv")
    rvu_file(tmp_path, [ROWS["cpt"]], name="PPRRVU2026_Jan_QPP.csv")
    with pytest.raises(SourceFormatError, match="expected one PPRRVU csv"):
        parse(tmp_path)


def test_release_folder_name(tmp_path: Path) -> None:
    rvu_file(tmp_path, [ROWS["cpt"]], release="rvu25a")
    with pytest.raises(SourceFormatError, match="named for the month it takes effect"):
        PFS.discover(tmp_path)


def test_download_names_the_rvu_zip() -> None:
    (spec,) = PFS.downloads()
    assert spec.url == "https://www.cms.gov/files/zip/rvu25a-updated-01-10-2025.zip"
    assert spec.release == "2025-01" and spec.unzip and "PPRRVU*.csv" in spec.members
