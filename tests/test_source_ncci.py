"""NCCI sources: the real July 2024 tables of ../shared/cms, and fixtures for the official CMS
layouts (PTP text files, MUE CSVs, the AOC workbook) written from their documented shape."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from medref.errors import SourceFormatError
from medref.records import PtpEdit, Record
from medref.sources.base import Release
from medref.sources.ncci import SOURCES, NcciSource

CMS = Path(__file__).resolve().parents[1].parent / "shared" / "cms"
BY_NAME = {source.name: source for source in SOURCES}


def source(name: str) -> NcciSource:
    return BY_NAME[name]


def only_release(name: str, root: Path = CMS) -> Release:
    releases = source(name).discover(root)
    assert len(releases) == 1
    return releases[0]


def records(name: str, root: Path = CMS) -> dict[str, Record]:
    rows = list(source(name).parse(only_release(name, root)))
    assert all(isinstance(row, Record) for row in rows)
    return {row.ref: row for row in rows if isinstance(row, Record)}


def ptp_edits(name: str, root: Path) -> list[PtpEdit]:
    rows = list(source(name).parse(only_release(name, root)))
    assert all(isinstance(row, PtpEdit) for row in rows)
    return [row for row in rows if isinstance(row, PtpEdit)]


def mirror_file(root: Path, name: str, content: str | bytes, release: str = "2024-07") -> Path:
    path = root / "ncci" / release / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# -- the real tables ------------------------------------------------------------------------


def test_six_sources_share_the_quarterly_release() -> None:
    assert sorted(BY_NAME) == [
        "ncci-aoc",
        "ncci-mue-dme",
        "ncci-mue-outpatient",
        "ncci-mue-practitioner",
        "ncci-ptp-outpatient",
        "ncci-ptp-practitioner",
    ]
    for name in BY_NAME:
        release = only_release(name)
        assert (release.release, release.effective, release.until) == (
            "2024-07",
            date(2024, 7, 1),
            date(2024, 9, 30),
        )
    assert source("ncci-ptp-practitioner").table == "ptp"
    assert source("ncci-aoc").table == "records"


def test_practitioner_ptp_counts_and_a_known_pair() -> None:
    rows = 0
    active = 0
    pair: list[PtpEdit] = []
    for edit in source("ncci-ptp-practitioner").parse(only_release("ncci-ptp-practitioner")):
        assert isinstance(edit, PtpEdit)
        rows += 1
        active += edit.deleted is None
        if edit.column1 == "93000" and edit.column2 == "93010":
            pair.append(edit)
    assert rows == 2_546_017
    assert active == 1_669_820
    assert [(e.modifier_indicator, e.deleted, e.effective) for e in pair] == [("1", None, None)]
    assert pair[0].rationale == "HCPCS/CPT procedure code definition"


def test_outpatient_ptp_count() -> None:
    release = only_release("ncci-ptp-outpatient")
    assert sum(1 for _ in source("ncci-ptp-outpatient").parse(release)) == 1_775_818


def test_mue_counts_and_spot_checks() -> None:
    practitioner = records("ncci-mue-practitioner")
    outpatient = records("ncci-mue-outpatient")
    dme = records("ncci-mue-dme")
    assert (len(practitioner), len(outpatient), len(dme)) == (14_677, 14_628, 2_928)

    j1100 = practitioner["MUE:J1100"]
    assert j1100.title == "MUE J1100 (practitioner): 120 units, MAI 3"
    assert j1100.data == {
        "units": 120,
        "mai": 3,
        "rationale": "Clinical: Data",
        "service": "Practitioner",
    }
    assert (j1100.kind, j1100.code, j1100.source, j1100.release) == (
        "mue",
        "J1100",
        "ncci-mue-practitioner",
        "2024-07",
    )
    assert "120 units" in j1100.text and "date of service" in j1100.text

    g0439 = practitioner["MUE:G0439"]
    assert (g0439.data["units"], g0439.data["mai"]) == (1, 2)
    assert "absolute" in g0439.text
    assert outpatient["MUE:G0439"].data["service"] == "Outpatient Hospital"
    assert dme["MUE:J1100"].data["units"] == 0
    assert "not expected on DME supplier claims" in dme["MUE:J1100"].text


def test_add_on_code_edits() -> None:
    aoc = records("ncci-aoc")
    assert len(aoc) == 7_465
    g2212 = aoc["AOC:99215/G2212"]
    assert (g2212.kind, g2212.code) == ("aoc", "G2212")
    assert g2212.data == {
        "primary": "99215",
        "add_on": "G2212",
        "edit_type": 1,
        "contractor_defined_primary": False,
    }
    assert "primary code 99215" in g2212.text and "Edit type 1" in g2212.text
    unlisted = aoc["AOC:CCCCC/0054T"]
    assert unlisted.data["edit_type"] == 2
    assert unlisted.data["contractor_defined_primary"] is True
    assert "no specific primary" in unlisted.title


# -- official CMS PTP text files --------------------------------------------------------------
# Layout (CMS NCCI PTP zips, e.g. ccipra-v302r0-f1.txt): tab-delimited cp1252 text; a CPT
# copyright line and a title, then the header "Column 1, Column 2, *=in existence prior to 1996,
# Effective Date, Deletion Date, Modifier, PTP Edit Rationale", wrapped over rows whose first
# cell is blank; dates YYYYMMDD, deletion "*" while active; modifier 0/1/9.

PTP_PREAMBLE = [
    "CPT only copyright 2023 American Medical Association. All rights reserved.",
    "Column1/Column2 Edits",
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale",
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t",
    "\t\t\t\t*=no data\t1=allowed\t",
    "\t\t\t\t\t9=not applicable\t",
]


def official_ptp(*rows: str, preamble: list[str] = PTP_PREAMBLE) -> bytes:
    return "\r\n".join([*preamble, *rows, ""]).encode("cp1252")


def test_official_ptp_parts_are_read_in_order(tmp_path: Path) -> None:
    mirror_file(
        tmp_path,
        "ccipra-v302r0-f1.txt",
        official_ptp(
            "93000\t93010\t*\t19960101\t*\t1\tHCPCS/CPT procedure code definition",
            "",
            "99215\t99213\t\t20100101\t20231231\t0\tMutually exclusive procedures",
        ),
    )
    mirror_file(
        tmp_path,
        "ccipra-v302r0-f2.txt",
        official_ptp("J1100\t96372\t\t20200401\t*\t9\tStandards of medical/surgical practice"),
    )
    edits = ptp_edits("ncci-ptp-practitioner", tmp_path)
    assert edits == [
        PtpEdit(
            "93000", "93010", date(1996, 1, 1), None, "1", "HCPCS/CPT procedure code definition", 7
        ),
        PtpEdit(
            "99215",
            "99213",
            date(2010, 1, 1),
            date(2023, 12, 31),
            "0",
            "Mutually exclusive procedures",
            9,
        ),
        PtpEdit(
            "J1100",
            "96372",
            date(2020, 4, 1),
            None,
            "9",
            "Standards of medical/surgical practice",
            7,
        ),
    ]


def test_official_ptp_with_a_one_row_header(tmp_path: Path) -> None:
    header = [
        "CPT only copyright 2025 American Medical Association. All rights reserved.",
        "Column 1\tColumn 2\t*=in existence prior to 1996\tEffective Date\t"
        "Deletion Date *=no data\tModifier 0=not allowed 1=allowed 9=not applicable\t"
        "PTP Edit Rationale",
    ]
    mirror_file(
        tmp_path,
        "ccioph-v302r0-f1.txt",
        official_ptp("0001A\t0591T\t\t20201211\t20231231\t1\t", preamble=header),
    )
    (edit,) = ptp_edits("ncci-ptp-outpatient", tmp_path)
    assert (edit.column1, edit.column2, edit.deleted, edit.rationale) == (
        "0001A",
        "0591T",
        date(2023, 12, 31),
        "",
    )


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("93000\t93010\t\t20240101\t*\t2\tx", "modifier indicator '2' is not 0, 1 or 9"),
        ("93000\t93010\t\t20241301\t*\t1\tx", "effective date '20241301' is not a valid date"),
        ("93000\t93010\t\t2024-01-01\t*\t1\tx", "effective date '2024-01-01' is not YYYYMMDD"),
        ("93000\t93010\t\t20240101\t1/1/2024x\t1\tx", "deletion date"),
        ("93000\t93010\t20240101\t*\t1", "expected 7 tab-separated columns"),
        ("9300\t93010\t\t20240101\t*\t1\tx", "column 1 code '9300'"),
        ("93000\t93010\tY\t20240101\t*\t1\tx", "prior-to-1996 flag 'Y'"),
    ],
)
def test_official_ptp_errors_name_file_and_line(tmp_path: Path, row: str, problem: str) -> None:
    path = mirror_file(tmp_path, "ccipra-v302r0-f1.txt", official_ptp(row))
    with pytest.raises(SourceFormatError, match=problem) as caught:
        ptp_edits("ncci-ptp-practitioner", tmp_path)
    assert (caught.value.path, caught.value.line) == (path, 7)


def test_official_ptp_without_its_header(tmp_path: Path) -> None:
    mirror_file(tmp_path, "ccipra-v302r0-f1.txt", official_ptp("93000\t93010", preamble=[]))
    with pytest.raises(SourceFormatError, match="no 'Column 1 / Column 2' header"):
        ptp_edits("ncci-ptp-practitioner", tmp_path)


# -- reshaped PTP errors --------------------------------------------------------------------

PTP_HEADER = "column_1,column_2,deletion_date,modifier_indicator,ptp_edit_rationale\n"


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("93000,93010,,3,x", "modifier indicator '3' is not 0, 1 or 9"),
        ("93000,93010,2024-02-30,1,x", "deletion date '2024-02-30' is not a valid date"),
        ("93000,93010,,1", "expected 5 columns, found 4"),
        ("93000,9301,,1,x", "column 2 code '9301'"),
    ],
)
def test_reshaped_ptp_errors(tmp_path: Path, row: str, problem: str) -> None:
    text = PTP_HEADER + "93000,93005,,1,ok\n" + row + "\n"
    path = mirror_file(tmp_path, "ncci_ptp_practitioner_2024-07-01.csv", text)
    with pytest.raises(SourceFormatError, match=problem) as caught:
        ptp_edits("ncci-ptp-practitioner", tmp_path)
    assert (caught.value.path, caught.value.line) == (path, 3)


def test_reshaped_ptp_with_missing_columns(tmp_path: Path) -> None:
    mirror_file(tmp_path, "ncci_ptp_practitioner_2024-07-01.csv", "column_1,column_2\n1,2\n")
    with pytest.raises(
        SourceFormatError, match="expected the columns column_1, column_2, deletion_date"
    ):
        ptp_edits("ncci-ptp-practitioner", tmp_path)


def test_truncated_gzip(tmp_path: Path) -> None:
    body = PTP_HEADER + "".join(f"{n:05d},93010,,1,rationale {n}\n" for n in range(20_000))
    packed = gzip.compress(body.encode())
    path = mirror_file(
        tmp_path, "ncci_ptp_practitioner_2024-07-01.csv.gz", packed[: len(packed) // 2]
    )
    with pytest.raises(SourceFormatError, match="damaged or truncated") as caught:
        ptp_edits("ncci-ptp-practitioner", tmp_path)
    assert caught.value.path == path
    assert caught.value.line is not None and caught.value.line > 1


def test_reshaped_and_official_tables_together_are_refused(tmp_path: Path) -> None:
    mirror_file(tmp_path, "ncci_ptp_practitioner_2024-07-01.csv", PTP_HEADER)
    mirror_file(tmp_path, "ccipra-v302r0-f1.txt", official_ptp())
    with pytest.raises(SourceFormatError, match="both the reshaped and the official table"):
        ptp_edits("ncci-ptp-practitioner", tmp_path)


def test_release_folder_must_name_a_quarter(tmp_path: Path) -> None:
    mirror_file(tmp_path, "ncci_ptp_practitioner_2024-08-01.csv", PTP_HEADER, release="2024-08")
    with pytest.raises(SourceFormatError, match="first month of its quarter"):
        source("ncci-ptp-practitioner").discover(tmp_path)


def test_fourth_quarter_ends_with_the_year(tmp_path: Path) -> None:
    mirror_file(tmp_path, "ncci_ptp_practitioner_2024-10-01.csv", PTP_HEADER, release="2024-10")
    release = only_release("ncci-ptp-practitioner", tmp_path)
    assert (release.effective, release.until) == (date(2024, 10, 1), date(2024, 12, 31))


# -- official MUE tables ----------------------------------------------------------------------
# Layout (CMS MUE zips, MCR_MUE_<Service>Services_Eff_MM-DD-YYYY.csv): a quoted multi-line
# copyright notice, then "HCPCS/\nCPT Code", "<Service> Services MUE Values",
# "MUE Adjudication Indicator" (digit and label), "MUE Rationale".


def official_mue(values_header: str, *rows: str) -> str:
    notice = '"CPT codes, descriptions and other data only are copyright 2023 American Medical\nAssociation. All rights reserved.",,,'
    header = f'"HCPCS/\nCPT Code","{values_header}","MUE Adjudication Indicator","MUE Rationale"'
    return "\r\n".join([notice, header, *rows, ""])


def test_official_mue_table(tmp_path: Path) -> None:
    mirror_file(
        tmp_path,
        "MCR_MUE_PractitionerServices_Eff_07-01-2024.csv",
        official_mue(
            "Practitioner Services MUE Values",
            'J1100,120,"3 Date of Service Edit: Clinical","Clinical: Data"',
            'G0439,1,"2 Date of Service Edit: Policy","Code Descriptor / CPT Instruction"',
            'A4206,4,"1 Line Edit","Nature of Equipment"',
        ),
    )
    found = records("ncci-mue-practitioner", tmp_path)
    assert [(r.ref, r.data["units"], r.data["mai"]) for r in found.values()] == [
        ("MUE:J1100", 120, 3),
        ("MUE:G0439", 1, 2),
        ("MUE:A4206", 4, 1),
    ]
    assert found["MUE:J1100"].title == "MUE J1100 (practitioner): 120 units, MAI 3"
    assert found["MUE:A4206"].data["rationale"] == "Nature of Equipment"
    assert "claim line" in found["MUE:A4206"].text


def test_official_mue_of_the_wrong_service(tmp_path: Path) -> None:
    mirror_file(
        tmp_path,
        "MCR_MUE_DMESupplierServices_Eff_07-01-2024.csv",
        official_mue("Practitioner Services MUE Values", 'A4206,4,"1 Line Edit",x'),
    )
    with pytest.raises(SourceFormatError, match="not the DME Supplier services table"):
        records("ncci-mue-dme", tmp_path)


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ('J1100,120,"4 Date of Service Edit",x', "MUE adjudication indicator '4'"),
        ('J1100,many,"3 Date of Service Edit: Clinical",x', "MUE value 'many'"),
        ("J1100,120", "expected at least 4 columns, found 2"),
    ],
)
def test_official_mue_errors(tmp_path: Path, row: str, problem: str) -> None:
    path = mirror_file(
        tmp_path,
        "MCR_MUE_OutpatientHospitalServices_Eff_07-01-2024.csv",
        official_mue("Facility Outpatient Hospital Services MUE Values", row),
    )
    with pytest.raises(SourceFormatError, match=problem) as caught:
        records("ncci-mue-outpatient", tmp_path)
    assert (caught.value.path, caught.value.line) == (path, 5)


MUE_HEADER = "hcpcs_code,mue_units,mue_mai,mue_rationale,mue_service\n"


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ("J1100,120,3,x,Practitioner\nJ1100,1,3,x,Practitioner\n", "J1100 is listed twice"),
        ("J1100,120,0,x,Practitioner\n", "MUE adjudication indicator '0'"),
        ("J1100,120,3,x,DME Supplier\n", "service 'DME Supplier' does not belong"),
    ],
)
def test_reshaped_mue_errors(tmp_path: Path, rows: str, problem: str) -> None:
    mirror_file(tmp_path, "ncci_mue_practitioner_2024-07-01.csv", MUE_HEADER + rows)
    with pytest.raises(SourceFormatError, match=problem):
        records("ncci-mue-practitioner", tmp_path)


# -- official AOC workbook ------------------------------------------------------------------
# Layout (CMS AOC zip, AOC_V2024Q3-MCR.xlsx): a copyright row, a header row, one row per
# add-on/primary pair; dates are Julian YYYYDDD, blank when none.


def official_aoc(path: Path, header: list[str], *rows: list[object]) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["CPT only copyright 2023 American Medical Association. All rights reserved."])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


AOC_LONG_HEADER = [
    "Add-on Code",
    "Add-on Code Effective Date",
    "Add-on Code Deletion Date",
    "Primary Code",
    "Primary Code Effective Date",
    "Primary Code Deletion Date",
    "AOC Edit Type",
    "AOC Edit Effective Date",
    "AOC Edit Deletion Date",
    "Special Instruction Notes",
]


def test_official_aoc_workbook(tmp_path: Path) -> None:
    official_aoc(
        tmp_path / "ncci" / "2024-07" / "AOC_V2024Q3-MCR.xlsx",
        AOC_LONG_HEADER,
        ["G2212", 2021001, None, "99215", 1992001, None, 1, 2021001, None, None],
        [
            "0054T",
            "2005182",
            "2024366",
            "CCCCC",
            None,
            None,
            2,
            "2005182",
            "",
            "Contractor Defined Primary Codes",
        ],
    )
    found = records("ncci-aoc", tmp_path)
    g2212 = found["AOC:99215/G2212"]
    assert (g2212.effective, g2212.terminated) == (date(2021, 1, 1), None)
    assert g2212.data["primary_effective"] == "1992-01-01"
    unlisted = found["AOC:CCCCC/0054T"]
    assert (unlisted.effective, unlisted.terminated) == (date(2005, 7, 1), date(2024, 12, 31))
    assert unlisted.data["special_instruction_notes"] == "Contractor Defined Primary Codes"
    assert "Contractor Defined Primary Codes" in unlisted.text


def test_official_aoc_with_abbreviated_julian_headers(tmp_path: Path) -> None:
    official_aoc(
        tmp_path / "ncci" / "2024-07" / "AOC_V2024Q3-MCR.xlsx",
        [
            "AOC_Edit_Type",
            "Add-On_Code",
            "AOC_DelDT (Julian)",
            "Primary_Code",
            "Primary_Code_DelDT (Julian)",
            "AOC_Edit_EffDT (Julian)",
            "AOC_Edit_DelDT (Julian)",
            "Special_Instruction_Notes",
        ],
        [1, "G2212", None, "99215", 2024100, 2021001, 2024060, None],
    )
    record = records("ncci-aoc", tmp_path)["AOC:99215/G2212"]
    assert (record.effective, record.terminated) == (date(2021, 1, 1), date(2024, 2, 29))
    assert record.data["primary_deleted"] == "2024-04-09"


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (["G2212", None, None, "99215", None, None, 4, None, None, None], "AOC edit type '4'"),
        (
            ["G2212", None, None, "99215", None, None, 1, "2021400", None, None],
            "edit effective date '2021400'",
        ),
        (["G2212", None, None, "9921", None, None, 1, None, None, None], "primary code '9921'"),
    ],
)
def test_official_aoc_errors(tmp_path: Path, row: list[object], problem: str) -> None:
    path = tmp_path / "ncci" / "2024-07" / "AOC_V2024Q3-MCR.xlsx"
    official_aoc(path, AOC_LONG_HEADER, row)
    with pytest.raises(SourceFormatError, match=problem) as caught:
        records("ncci-aoc", tmp_path)
    assert (caught.value.path, caught.value.line) == (path, 3)


def test_official_aoc_without_a_header(tmp_path: Path) -> None:
    official_aoc(tmp_path / "ncci" / "2024-07" / "AOC_V2024Q3-MCR.xlsx", ["Code", "Other"])
    with pytest.raises(SourceFormatError, match="no header row with 'Add-on Code'"):
        records("ncci-aoc", tmp_path)


def test_damaged_workbook(tmp_path: Path) -> None:
    mirror_file(tmp_path, "AOC_V2024Q3-MCR.xlsx", b"PK\x03\x04 not really a zip")
    with pytest.raises(SourceFormatError, match="not a readable xlsx workbook"):
        records("ncci-aoc", tmp_path)


def test_downloads_name_the_current_quarter() -> None:
    ptp = source("ncci-ptp-practitioner").downloads()
    assert [spec.filename for spec in ptp] == [f"ccipra-v302r0-f{n}.zip" for n in range(1, 5)]
    assert ptp[0].url == (
        "https://www.cms.gov/files/zip/medicare-ncci-2024q3-practitioner-ptp-edits-ccipra-v302r0-f1.zip"
    )
    assert all(spec.release == "2024-07" and spec.unzip for spec in ptp)
    (mue,) = source("ncci-mue-dme").downloads()
    assert mue.url.endswith("/medicare-ncci-2024-q3-dme-supplier-services-mue-table.zip")
    for item in SOURCES:
        assert all(spec.url.startswith("https://www.cms.gov/") for spec in item.downloads())
