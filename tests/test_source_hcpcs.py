"""HCPCS sources: the real January 2026 Alpha-Numeric HCPCS File of ../shared/cms (text file,
xlsx and processing notes), and small fixtures written from the record layout for malformed
input and for licensed (CPT/CDT) rows, which the real file does not hold."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from medref.errors import SourceFormatError
from medref.records import Record
from medref.sources.base import Release
from medref.sources.hcpcs import (
    CDT_TITLE,
    CPT_MODIFIER_TITLE,
    CPT_TITLE,
    HCPCS_MODIFIERS,
    HCPCS_PROCEDURES,
    SOURCES,
    HcpcsSource,
)
from medref.sources.hcpcs_notes import read_notes

CMS = Path(__file__).resolve().parents[1].parent / "shared" / "cms"
REAL = CMS / "hcpcs" / "2026-01"
REAL_TXT = REAL / "HCPC2026_JAN_ANWEB_01122026.txt"
REAL_XLSX = REAL / "HCPC2026_JAN_ANWEB_01122026.xlsx"


def parse_all(source: HcpcsSource, root: Path) -> dict[str, Record]:
    releases = source.discover(root)
    assert len(releases) == 1
    return {record.ref: record for record in source.parse(releases[0])}


@pytest.fixture(scope="module")
def procedures() -> dict[str, Record]:
    return parse_all(HCPCS_PROCEDURES, CMS)


@pytest.fixture(scope="module")
def modifiers() -> dict[str, Record]:
    return parse_all(HCPCS_MODIFIERS, CMS)


# -- the real release -----------------------------------------------------------------------


def test_two_sources_read_the_hcpcs_folder() -> None:
    assert [source.name for source in SOURCES] == ["hcpcs", "hcpcs-modifiers"]
    assert {(source.folder, source.table) for source in SOURCES} == {("hcpcs", "records")}


def test_release_is_the_month_folder() -> None:
    (release,) = HCPCS_PROCEDURES.discover(CMS)
    assert release.release == "2026-01"
    assert release.effective == date(2026, 1, 1)
    assert release.until is None
    assert [path.name for path in release.files] == [REAL_TXT.name, "proc_notes_JAN2026.txt"]


def test_counts_of_the_real_file(
    procedures: dict[str, Record], modifiers: dict[str, Record]
) -> None:
    assert len(procedures) == 8623
    assert len(modifiers) == 383
    assert all(ref.startswith("HCPCS:") for ref in procedures)
    assert all(ref.startswith("MOD:") for ref in modifiers)


def test_g0439_annual_wellness_visit(procedures: dict[str, Record]) -> None:
    record = procedures["HCPCS:G0439"]
    assert (record.kind, record.code, record.source, record.release) == (
        "code",
        "G0439",
        "hcpcs",
        "2026-01",
    )
    assert record.title == "Ppps, subseq visit"
    # the long description runs over a continuation line (RIC 4)
    assert record.data["long_description"] == (
        "Annual wellness visit, includes a personalized prevention plan of service (pps), "
        "subsequent visit"
    )
    assert record.data["coverage"] == "C"
    assert record.data["betos"] == "M5D"
    assert record.data["pricing_indicators"] == ["13"]
    assert record.effective == date(2011, 1, 1)
    assert record.terminated is None
    assert "Coverage: C - Carrier judgment" in record.text
    assert "BETOS: M5D - Specialist - other" in record.text
    assert "Pricing indicator: 13 - Price established by carriers" in record.text


def test_e0601_cpap_device(procedures: dict[str, Record]) -> None:
    record = procedures["HCPCS:E0601"]
    assert record.data["long_description"] == "Continuous positive airway pressure (cpap) device"
    assert record.data["pricing_indicators"] == ["36"]
    assert record.data["coverage"] == "D"
    assert record.data["cim"] == ["60-17"]
    assert record.data["tos"] == ["R"]
    assert record.data["add_date"] == "1988-01-01"
    assert record.data["effective_date"] == "2014-01-01"
    assert "Pricing indicator: 36 - DMEPOS: capped rental DME" in record.text
    assert "Type of service: R - Rental of DME" in record.text
    assert "Coverage: D - Special coverage instructions apply" in record.text


def test_ga_modifier(modifiers: dict[str, Record]) -> None:
    record = modifiers["MOD:GA"]
    assert (record.kind, record.code, record.source) == ("modifier", "GA", "hcpcs-modifiers")
    assert record.title == "Liability waiver ind case"
    assert record.data["long_description"] == (
        "Waiver of liability statement issued as required by payer policy, individual case"
    )
    assert record.text.startswith("Modifier GA: Waiver of liability statement")


def test_every_layout_field_is_in_data(procedures: dict[str, Record]) -> None:
    expected = {
        "long_description", "short_description", "pricing_indicators", "multiple_pricing",
        "cim", "mcm", "statute", "lab_cert", "xrefs", "coverage", "asc_group", "asc_date",
        "mog_group", "mog_policy", "mog_date", "procnote", "procnote_text", "betos", "tos",
        "anes_units", "add_date", "effective_date", "termination_date", "action_code",
    }  # fmt: skip
    for record in procedures.values():
        assert set(record.data) == expected
        json.dumps(record.data)


def test_terminated_code_is_in_force_until_its_termination(procedures: dict[str, Record]) -> None:
    """The action date of a discontinued code is the day after its termination, so the
    record's effective date is the add date, not the action date."""
    ends = {ref: record.terminated for ref, record in procedures.items() if record.terminated}
    assert ends
    for ref, last_day in ends.items():
        assert procedures[ref].in_force(last_day), ref
    record = procedures["HCPCS:C9248"]
    assert record.terminated == date(2025, 9, 30)
    assert record.in_force(date(2025, 6, 1))
    assert not record.in_force(date(2026, 1, 1))


def test_processing_notes_are_attached(procedures: dict[str, Record]) -> None:
    with_notes = [record for record in procedures.values() if record.data["procnote"]]
    assert with_notes
    for record in with_notes:
        assert record.data["procnote_text"], record.ref
        assert f"Processing note {record.data['procnote']}: " in record.text
    s_code = procedures["HCPCS:S0012"]
    assert s_code.data["procnote"] == "0088"
    assert "NOT VALID NOR PAYABLE BY MEDICARE" in s_code.data["procnote_text"]


def test_real_file_holds_no_cpt_or_cdt_rows(
    procedures: dict[str, Record], modifiers: dict[str, Record]
) -> None:
    codes = [record.code or "" for record in [*procedures.values(), *modifiers.values()]]
    assert not [code for code in codes if code[:1].isdigit()]
    assert not [code for code in codes if code.startswith("D") and len(code) == 5]


def test_xlsx_gives_the_same_records(tmp_path: Path, procedures: dict[str, Record]) -> None:
    """Without a text file the xlsx of the release is read; both official files agree."""
    folder = tmp_path / "hcpcs" / "2026-01"
    folder.mkdir(parents=True)
    (folder / REAL_XLSX.name).symlink_to(REAL_XLSX)
    (folder / "proc_notes_JAN2026.txt").symlink_to(REAL / "proc_notes_JAN2026.txt")
    from_xlsx = parse_all(HCPCS_PROCEDURES, tmp_path)
    assert len(parse_all(HCPCS_MODIFIERS, tmp_path)) == 383
    assert from_xlsx.keys() == procedures.keys()
    same = (
        "long_description", "short_description", "coverage", "betos", "tos", "statute",
        "cim", "mcm", "lab_cert", "xrefs", "multiple_pricing", "procnote", "procnote_text",
        "add_date", "termination_date", "action_code", "anes_units",
    )  # fmt: skip
    pricing_differs = set()
    for ref, record in procedures.items():
        other = from_xlsx[ref]
        assert (other.title, other.effective, other.terminated) == (
            record.title,
            record.effective,
            record.terminated,
        )
        assert {key: other.data[key] for key in same} == {key: record.data[key] for key in same}
        # the xlsx leaves the action date blank on 117 old codes; where given, it agrees
        assert other.data["effective_date"] in (None, record.data["effective_date"])
        if other.data["pricing_indicators"] != record.data["pricing_indicators"]:
            pricing_differs.add(record.code)
    # one known disagreement between CMS's two files: C9248 has PRICE3 11 in the xlsx only
    assert pricing_differs == {"C9248"}


def test_downloads_point_at_the_cms_zip() -> None:
    for source in SOURCES:
        (spec,) = source.downloads()
        assert spec.url == (
            "https://www.cms.gov/files/zip/january-2026-alpha-numeric-hcpcs-file.zip"
        )
        assert spec.release == "2026-01"
        assert spec.unzip
        assert spec.members == ("*.txt", "*.xlsx")


# -- fixtures from the record layout --------------------------------------------------------

# positions (1-based) from HCPC2026_recordlayout.txt
POSITIONS = {
    "long": 12, "short": 92, "price": 120, "multiple": 128, "coverage": 230, "procnote": 253,
    "betos": 257, "tos": 261, "anes": 266, "added": 269, "effective": 277, "terminated": 285,
    "action": 293,
}  # fmt: skip


def line(code: str, ric: str, long: str, **fields: str) -> str:
    """One 320-character record: code (or modifier in 4-5), sequence, RIC and fields."""
    chars = list(f"{code:<5}00100{ric}".ljust(320))
    for name, value in {"long": long, **fields}.items():
        start = POSITIONS[name] - 1
        chars[start : start + len(value)] = value
    return "".join(chars)


def procedure(code: str, long: str, **fields: str) -> str:
    defaults = {"short": long[:28], "price": "00", "coverage": "C", "added": "20200101"}
    return line(code, "3", long, **(defaults | fields))


def write_release(root: Path, lines: list[str], release: str = "2026-01") -> Path:
    folder = root / "hcpcs" / release
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "HCPC2026_JAN_ANWEB_test.txt"
    path.write_bytes("".join(text + "\r\n" for text in lines).encode("cp1252"))
    return path


def parse_fixture(root: Path, source: HcpcsSource = HCPCS_PROCEDURES) -> list[Record]:
    return [record for release in source.discover(root) for record in source.parse(release)]


def format_error(root: Path, source: HcpcsSource = HCPCS_PROCEDURES) -> SourceFormatError:
    with pytest.raises(SourceFormatError) as caught:
        parse_fixture(root, source)
    assert caught.value.hint
    return caught.value


def test_fixture_joins_continuations_and_decodes(tmp_path: Path) -> None:
    write_release(
        tmp_path,
        [
            line("   ZZ", "7", "Made-up modifier first line,", short="Made-up modifier"),
            line("   ZZ", "8", "second line"),
            procedure("A9999", "Test item whose description", betos="D1A", tos="P"),
            line("A9999", "4", "continues on a second"),
            line("A9999", "4", "and a third line"),
            procedure("G9999", "Terminated test item", terminated="20251231", action="D"),
        ],
    )
    by_code = {record.code: record for record in parse_fixture(tmp_path)}
    item = by_code["A9999"]
    assert item.data["long_description"] == (
        "Test item whose description continues on a second and a third line"
    )
    assert "BETOS: D1A - Medical/surgical supplies" in item.text
    assert "Type of service: P - Lump sum purchase of DME, prosthetics, orthotics" in item.text
    assert by_code["G9999"].terminated == date(2025, 12, 31)
    assert "Action: D - Discontinue procedure or modifier code" in by_code["G9999"].text
    (modifier,) = parse_fixture(tmp_path, HCPCS_MODIFIERS)
    assert modifier.ref == "MOD:ZZ"
    assert modifier.data["long_description"] == "Made-up modifier first line, second line"


def test_licensed_descriptors_are_never_stored(tmp_path: Path) -> None:
    """D-codes (ADA's CDT) and CPT rows (AMA) keep their code but no descriptor. The fixture
    text is a made-up marker, not a licensed descriptor."""
    marker = "Marker text standing in for a licensed descriptor"
    write_release(
        tmp_path,
        [
            procedure("D0120", marker, short="Marker short"),
            procedure("99213", marker, short="Marker short"),
            procedure("0001T", marker, short="Marker short"),
            line("   25", "7", marker, short="Marker short"),
            procedure("A9999", "Public item"),
        ],
    )
    by_code = {record.code: record for record in parse_fixture(tmp_path)}
    assert by_code["D0120"].ref == "HCPCS:D0120"
    assert by_code["D0120"].title == CDT_TITLE
    assert by_code["D0120"].data["descriptor_licensed_by"] == "ADA"
    assert by_code["99213"].ref == "CPT:99213"
    assert by_code["99213"].title == CPT_TITLE
    assert by_code["0001T"].data["descriptor_licensed_by"] == "AMA"
    (modifier,) = parse_fixture(tmp_path, HCPCS_MODIFIERS)
    assert (modifier.ref, modifier.title) == ("MOD:25", CPT_MODIFIER_TITLE)
    for record in [*by_code.values(), modifier]:
        stored = record.title + record.text + json.dumps(record.data)
        assert "Marker" not in stored
    assert by_code["A9999"].title == "Public item"


def test_trailing_blanks_beyond_320_bytes_are_accepted(tmp_path: Path) -> None:
    """The real file has one record padded to 547 bytes with blanks, and ends on a blank line."""
    write_release(tmp_path, [procedure("A9999", "Item") + " " * 40, " " * 296])
    (record,) = parse_fixture(tmp_path)
    assert record.code == "A9999"


@pytest.mark.parametrize(
    ("lines", "bad_line", "words"),
    [
        (["A9999", procedure("A9998", "Item")], 1, "5 bytes long, expected 320"),
        ([procedure("A9999", "Item")[:319]], 1, "319 bytes long"),
        ([procedure("A9999", "Item") + "EXTRA"], 1, "325 bytes long"),
        ([procedure("A9999", "Item"), line("A9999", "5", "x")], 2, "record identification code"),
        ([procedure("A9999", "Item", added="20261341")], 1, "add_date is '20261341'"),
        ([procedure("A9999", "Item", effective="2026010")], 1, "effective_date"),
        ([procedure("A9999", "Item", anes="1x")], 1, "anes_units"),
        ([line("A9999", "4", "orphan continuation")], 1, "without its first line"),
        ([procedure("A9999", "Item"), line("A9998", "4", "x")], 2, "without its first line"),
        ([procedure("A9999", "Item"), line("   ZZ", "8", "x")], 2, "without its first line"),
        ([procedure("A9999", "Item"), procedure("A9999", "Again")], 2, "appears twice"),
    ],
)
def test_malformed_records_name_file_and_line(
    tmp_path: Path, lines: list[str], bad_line: int, words: str
) -> None:
    path = write_release(tmp_path, lines)
    error = format_error(tmp_path)
    assert error.path == path
    assert error.line == bad_line
    assert words in error.problem


def test_utf8_file_is_refused(tmp_path: Path) -> None:
    path = write_release(tmp_path, [procedure("A9999", "Item")])
    path.write_bytes((procedure("A9999", "Caf\u00e9 item") + "\r\n").encode("utf-8"))
    error = format_error(tmp_path)
    assert (error.line, "UTF-8" in error.problem) == (1, True)


def test_bytes_outside_cp1252_are_refused(tmp_path: Path) -> None:
    path = write_release(tmp_path, [procedure("A9999", "Item")])
    data = bytearray(path.read_bytes())
    data[20] = 0x81  # undefined in Windows-1252
    path.write_bytes(bytes(data))
    error = format_error(tmp_path)
    assert error.line == 1
    assert "0x81 at position 21 is not cp1252" in error.problem


def test_utf16_file_is_refused(tmp_path: Path) -> None:
    path = write_release(tmp_path, [procedure("A9999", "Item")])
    path.write_bytes((procedure("A9999", "Item") + "\r\n").encode("utf-16"))
    assert "NUL bytes" in format_error(tmp_path).problem


def test_truncated_xlsx_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "hcpcs" / "2026-01"
    folder.mkdir(parents=True)
    (folder / REAL_XLSX.name).write_bytes(REAL_XLSX.read_bytes()[:100_000])
    error = format_error(tmp_path)
    assert error.path.name == REAL_XLSX.name
    assert "not a readable xlsx" in error.problem


def test_xlsx_without_the_layout_columns_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "hcpcs" / "2026-01"
    folder.mkdir(parents=True)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["HCPC", "ACTION", "LONG DESCRIPTION"])
    sheet.append(["A9999", "A", "Item"])
    workbook.save(folder / "HCPC2026_JAN_ANWEB_test.xlsx")
    error = format_error(tmp_path)
    assert error.line == 1
    assert "RECID" in error.problem


def test_processing_notes_layout(tmp_path: Path) -> None:
    path = tmp_path / "proc_notes_TEST.txt"
    path.write_text(
        "                 PROCESSING NOTES\r\n ______\r\n\r\n"
        "          0001--FIRST NOTE STARTS HERE AND                   *\r\n"
        "                CONTINUES HERE.\t\t   *\t\r\n"
        "                                                            *\r\n"
        "\t  0002--SECOND NOTE.\t*\r\n",
        encoding="cp1252",
    )
    assert read_notes(path) == {
        "0001": "FIRST NOTE STARTS HERE AND CONTINUES HERE.",
        "0002": "SECOND NOTE.",
    }
    path.write_text("0001--ONE\r\n0001--AGAIN\r\n", encoding="cp1252")
    with pytest.raises(SourceFormatError) as caught:
        read_notes(path)
    assert caught.value.line == 2


def test_releases_follow_each_other(tmp_path: Path) -> None:
    write_release(tmp_path, [procedure("A9999", "Old")], release="2025-10")
    write_release(tmp_path, [procedure("A9999", "New")], release="2026-01")
    (tmp_path / "hcpcs" / "notes").mkdir()
    transaction = tmp_path / "hcpcs" / "2025-10" / "HCPC2025_OCT_ANWEB_Transaction Report.xlsx"
    transaction.write_bytes(b"not read")
    releases = HCPCS_PROCEDURES.discover(tmp_path)
    assert [(release.release, release.effective, release.until) for release in releases] == [
        ("2025-10", date(2025, 10, 1), date(2025, 12, 31)),
        ("2026-01", date(2026, 1, 1), None),
    ]
    assert [record.title for record in HCPCS_PROCEDURES.parse(releases[0])] == ["Old"]


def test_no_release_without_a_data_file(tmp_path: Path) -> None:
    (tmp_path / "hcpcs" / "2026-01").mkdir(parents=True)
    assert HCPCS_PROCEDURES.discover(tmp_path) == []
    assert HCPCS_PROCEDURES.discover(tmp_path / "elsewhere") == []


def test_release_without_data_file_is_refused(tmp_path: Path) -> None:
    notes = tmp_path / "proc_notes_TEST.txt"
    notes.write_text("0001--ONE\r\n", encoding="cp1252")
    with pytest.raises(SourceFormatError):
        list(HCPCS_PROCEDURES.parse(Release("hcpcs", "2026-01", (notes,))))
