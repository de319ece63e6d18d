"""ICD-10-CM source: the real April 2026 tabular XML (checked against the code list shipped
with it) and the FY2025 code CSV of ../shared/cms, plus fixtures for the official order file
and for malformed input, written from the documented layouts."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from medref.errors import SourceFormatError
from medref.records import Record
from medref.sources.icd10cm import ICD10CM, SOURCES, reader_for, release_period
from medref.sources.icd10cm_lists import read_order_file
from medref.sources.icd10cm_tabular import read_tabular

CMS = Path(__file__).resolve().parents[1].parent / "shared" / "cms"
APRIL_2026 = CMS / "icd10cm" / "2026-04"
CODE_LIST = APRIL_2026 / "code-list-April-2026.txt"


def parse_release(name: str, root: Path = CMS) -> dict[str, Record]:
    (release,) = [release for release in ICD10CM.discover(root) if release.release == name]
    return {record.ref: record for record in ICD10CM.parse(release)}


@pytest.fixture(scope="module")
def april_2026() -> dict[str, Record]:
    return parse_release("2026-04")


@pytest.fixture(scope="module")
def fy_2025() -> dict[str, Record]:
    return parse_release("2025")


def code_list() -> tuple[set[str], set[str]]:
    """(all codes, billable codes) of the code list: chapters (`4`) and blocks (`E08-E13`)
    dropped; the list is in tabular order, so a billable code is one no later code extends."""
    lines = [line.strip() for line in CODE_LIST.read_text().splitlines()]
    ordered = list(dict.fromkeys(c for c in lines if c and not c.isdigit() and "-" not in c))
    billable = {
        code
        for code, following in zip(ordered, [*ordered[1:], ""], strict=True)
        if not following.startswith(code)
    }
    return set(ordered), billable


def bare(record: Record) -> str:
    return (record.code or "").replace(".", "")


# -- the real releases ----------------------------------------------------------------------


def test_releases_and_their_dates() -> None:
    assert [source.name for source in SOURCES] == ["icd10cm"]
    releases = ICD10CM.discover(CMS)
    assert [(r.release, r.effective, r.until) for r in releases] == [
        ("2025", date(2024, 10, 1), date(2025, 9, 30)),
        ("2026-04", date(2026, 4, 1), None),
    ]
    assert [path.name for path in releases[1].files] == ["icd10c-tabular-April-1-2026.xml"]


def test_tabular_codes_equal_the_code_list(april_2026: dict[str, Record]) -> None:
    every, billable = code_list()
    assert {bare(record) for record in april_2026.values()} == every
    assert {bare(r) for r in april_2026.values() if r.data["billable"]} == billable
    assert len(april_2026) == 98_186
    assert len(billable) == 74_719


def test_e11_9_is_a_billable_leaf(april_2026: dict[str, Record]) -> None:
    record = april_2026["ICD10CM:E11.9"]
    assert (record.kind, record.code, record.title) == (
        "code",
        "E11.9",
        "Type 2 diabetes mellitus without complications",
    )
    assert record.parent == "ICD10CM:E11"
    assert record.data["billable"] is True
    assert record.data["children"] == []
    assert (record.data["chapter"], record.data["block"]) == ("4", "E08-E13")
    assert record.data["chapter_title"] == "Endocrine, nutritional and metabolic diseases"
    assert record.data["block_title"] == "Diabetes mellitus"
    assert any("E11.A" in note for note in record.data["excludes1"])
    assert "Excludes1 (not coded here): type 2 diabetes mellitus" in record.text


def test_e11_is_a_header_with_children(april_2026: dict[str, Record]) -> None:
    record = april_2026["ICD10CM:E11"]
    assert record.parent is None
    assert record.data["billable"] is False
    assert "E11.9" in record.data["children"]
    assert all(
        april_2026[f"ICD10CM:{child}"].parent == record.ref for child in record.data["children"]
    )
    assert "diabetes NOS" in record.data["includes"]
    assert any("insulin (Z79.4)" in note for note in record.data["use_additional"])
    assert "Header: not billable." in record.text


def test_i10_hypertension(april_2026: dict[str, Record]) -> None:
    record = april_2026["ICD10CM:I10"]
    assert record.data["billable"] is True
    assert record.title == "Essential (primary) hypertension"
    assert "high blood pressure" in record.data["includes"]
    assert len(record.data["excludes2"]) == 2
    assert "Excludes2 (not included here):" in record.text


def test_seventh_character_codes(april_2026: dict[str, Record]) -> None:
    leaf = april_2026["ICD10CM:S72.001"]
    assert leaf.data["billable"] is False
    assert len(leaf.data["children"]) == 16
    assert leaf.data["seventh_characters"]["A"] == "initial encounter for closed fracture"
    assert "7th characters: A initial encounter for closed fracture;" in leaf.text
    code = april_2026["ICD10CM:S72.001A"]
    assert code.data["billable"] is True
    assert code.parent == leaf.ref
    assert code.title == (
        "Fracture of unspecified part of neck of right femur, initial encounter for closed fracture"
    )
    assert code.data["seventh_character"] == "A"
    # placeholder X pads to six characters before the 7th
    assert april_2026["ICD10CM:S02.0XXA"].parent == "ICD10CM:S02.0"
    assert april_2026["ICD10CM:T36.0X1A"].data["billable"] is True
    # the tabular's prose exception: no D or S after 6th character 7 or 8 in S06
    assert april_2026["ICD10CM:S06.1X7"].data["children"] == ["S06.1X7A"]
    assert "ICD10CM:S06.1X7D" not in april_2026
    assert "ICD10CM:S06.1X6D" in april_2026


def test_visual_impairment_table_is_kept(april_2026: dict[str, Record]) -> None:
    rows = april_2026["ICD10CM:H54.8"].data["visual_impairment"]
    assert "Category 1: 6/18 to 6/60; 3/10(0.3) to 1/10(0.1); 20/70 to 20/200" in rows


def test_data_is_json(april_2026: dict[str, Record], fy_2025: dict[str, Record]) -> None:
    for record in [*april_2026.values(), *fy_2025.values()]:
        json.dumps(record.data)


def test_fy2025_csv(fy_2025: dict[str, Record]) -> None:
    assert len(fy_2025) == 97_584
    assert sum(record.data["billable"] for record in fy_2025.values()) == 74_260
    record = fy_2025["ICD10CM:E11.9"]
    assert (record.parent, record.data["billable"]) == ("ICD10CM:E11", True)
    assert fy_2025["ICD10CM:T36.0X1A"].parent == "ICD10CM:T36.0X1"
    # the reshaped CSV lists the placeholder level T36.0X too
    assert fy_2025["ICD10CM:T36.0X1"].parent == "ICD10CM:T36.0X"
    assert fy_2025["ICD10CM:T36.0X"].parent == "ICD10CM:T36.0"
    assert all(r.data["billable"] != bool(r.data["children"]) for r in fy_2025.values())


def test_downloads_point_at_cms() -> None:
    specs = ICD10CM.downloads()
    assert [spec.url for spec in specs] == [
        "https://www.cms.gov/files/zip/2026-code-tables-tabular-and-index.zip",
        "https://www.cms.gov/files/zip/2026-code-descriptions-tabular-order.zip",
    ]
    assert all(spec.unzip and spec.release == "2026" and spec.members for spec in specs)


# -- fixtures from the documented layouts ---------------------------------------------------


def order_line(order: int, code: str, billable: bool, short: str, long: str) -> str:
    """Order-file layout: order number (5), code (7), 0/1 flag, short (60), long description."""
    return f"{order:05d} {code:<7} {int(billable)} {short:<60} {long}"


ORDER_FILE = "\r\n".join(
    [
        order_line(1, "E11", False, "Type 2 diabetes mellitus", "Type 2 diabetes mellitus"),
        order_line(2, "E119", True, "Type 2 diabetes mellitus w/o complications",
                   "Type 2 diabetes mellitus without complications"),
        order_line(3, "T360", False, "Poisoning by penicillins", "Poisoning by penicillins"),
        order_line(4, "T360X1A", True, "Poisoning by penicillins, accidental, init",
                   "Poisoning by penicillins, accidental (unintentional), initial encounter"),
    ]
) + "\r\n"  # fmt: skip


def write(root: Path, release: str, name: str, content: str) -> Path:
    path = root / "icd10cm" / release / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


def test_order_file(tmp_path: Path) -> None:
    write(tmp_path, "2026", "icd10cm_order_2026.txt", ORDER_FILE)
    write(tmp_path, "2026", "icd10cm_order_addenda_2026.txt", "Add: E11.A\r\n")
    (tmp_path / "icd10cm" / "gems-2018").mkdir()
    (release,) = ICD10CM.discover(tmp_path)
    assert (release.effective, release.until) == (date(2025, 10, 1), date(2026, 9, 30))
    records = {record.code: record for record in ICD10CM.parse(release)}
    assert list(records) == ["E11", "E11.9", "T36.0", "T36.0X1A"]
    assert records["E11.9"].parent == "ICD10CM:E11"
    assert records["E11.9"].data["billable"] is True
    assert (
        records["E11.9"].data["short_description"] == "Type 2 diabetes mellitus w/o complications"
    )
    assert records["E11.9"].data["order_number"] == 2
    assert records["E11"].data["children"] == ["E11.9"]
    assert records["T36.0X1A"].parent == "ICD10CM:T36.0"
    assert records["T36.0X1A"].title.endswith("initial encounter")


def test_fiscal_year_ends_where_an_update_starts(tmp_path: Path) -> None:
    write(tmp_path, "2026", "icd10cm_order_2026.txt", ORDER_FILE)
    write(tmp_path, "2026-04", "icd10cm-order-2026.txt", ORDER_FILE)
    releases = ICD10CM.discover(tmp_path)
    assert [(r.release, r.effective, r.until) for r in releases] == [
        ("2026", date(2025, 10, 1), date(2026, 3, 31)),
        ("2026-04", date(2026, 4, 1), None),
    ]
    assert release_period("gems-2018") is None


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (order_line(3, "E11", True, "short", "long").replace(" 1 ", " 2 "), "order-file layout"),
        ("00003 E11 0 too short", "order-file layout"),
        (order_line(3, "e11", False, "short", "long"), "not an ICD-10-CM code"),
        (order_line(3, "E11", False, "short", "long"), "listed twice"),
    ],
)
def test_malformed_order_file(tmp_path: Path, line: str, words: str) -> None:
    path = write(tmp_path, "2026", "icd10cm_order_2026.txt", ORDER_FILE + line + "\r\n")
    with pytest.raises(SourceFormatError) as caught:
        read_order_file(path)
    assert (caught.value.path, caught.value.line) == (path, 5)
    assert words in caught.value.problem


TABULAR = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.tabular>
  <chapter>
    <name>19</name>
    <desc>Injury, poisoning (S00-T88)</desc>
    <section id="S00-S09">
      <desc>Injuries to the head (S00-S09)</desc>
      <diag>
        <name>S02</name>
        <desc>Fracture of skull</desc>
        <sevenChrDef>
          <extension char="A">initial encounter</extension>
          <extension char="S">sequela</extension>
        </sevenChrDef>
        <diag>
          <name>S02.0</name>
          <desc>Fracture of vault of skull</desc>
        </diag>
      </diag>
    </section>
  </chapter>
</ICD10CM.tabular>
"""


def test_small_tabular_pads_and_expands(tmp_path: Path) -> None:
    path = write(tmp_path, "2026", "icd10cm-tabular-2026.xml", TABULAR)
    codes = {code.code: code for code in read_tabular(path)}
    assert list(codes) == ["S02", "S02.0", "S02.0XXA", "S02.0XXS"]
    assert codes["S02.0XXS"].title == "Fracture of vault of skull, sequela"
    assert codes["S02.0"].data["children"] == ["S02.0XXA", "S02.0XXS"]
    assert codes["S02"].data["block_title"] == "Injuries to the head"


@pytest.mark.parametrize(
    ("broken", "line", "words"),
    [
        (TABULAR.replace("</desc>\n      <diag>", "</dsc>\n      <diag>", 1), 7, "malformed XML"),
        (TABULAR[:400], None, "malformed XML"),
        (TABULAR.replace("<name>S02.0</name>", ""), 15, "<diag> without <name>"),
        (TABULAR.replace("<name>S02.0</name>", "<name>S2.0</name>"), 15, "not an ICD-10-CM"),
        (TABULAR.replace("ICD10CM.tabular", "ICD10CM.index"), 2, "root element"),
        (TABULAR.replace(' id="S00-S09"', ""), 6, "without its id"),
    ],
)
def test_malformed_tabular(tmp_path: Path, broken: str, line: int | None, words: str) -> None:
    path = write(tmp_path, "2026", "icd10cm-tabular-2026.xml", broken)
    with pytest.raises(SourceFormatError) as caught:
        list(read_tabular(path))
    assert caught.value.path == path
    if line is not None:
        assert caught.value.line == line
    else:
        assert caught.value.line is not None
    assert words in caught.value.problem


def test_unknown_layouts_are_refused(tmp_path: Path) -> None:
    csv_path = write(tmp_path, "2026", "icd10cm_2026_codes.csv", "code,description\nE11,x\n")
    with pytest.raises(SourceFormatError) as caught:
        list(ICD10CM.parse(ICD10CM.discover(tmp_path)[0]))
    assert (caught.value.path, caught.value.line) == (csv_path, 1)
    with pytest.raises(SourceFormatError):
        reader_for(tmp_path / "icd10cm_2026.pdf")
