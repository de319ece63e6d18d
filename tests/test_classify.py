"""classify() on every code of the real CMS/CDC files, read here directly (no knowledge
base), and on a table of malformed and awkward inputs."""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from medref.codes.classify import classify
from medref.codes.icd10 import cm_chapter
from medref.errors import InputError


def expected_procedure_system(code: str) -> str:
    """The system a procedure code's shape names, spelled out rule by rule."""
    rules = [
        (r"\d{5}", "cpt-category-1"),
        (r"\d{4}A", "cpt-category-1"),
        (r"\d{4}F", "cpt-category-2"),
        (r"\d{4}T", "cpt-category-3"),
        (r"\d{4}U", "cpt-pla"),
        (r"\d{4}M", "cpt-maaa"),
        (r"[ABCDEGHJKLMPQRSTUV]\d{4}", "hcpcs-level-2"),
    ]
    for pattern, system in rules:
        if re.fullmatch(pattern, code):
            return system
    raise AssertionError(f"no rule for {code!r}")


def check_procedure(code: str) -> None:
    found = classify(code)
    assert found.system == expected_procedure_system(code), code
    assert found.normalized == code
    assert found.category is not None, code


def hcpcs_lines(cms_dir: Path) -> Iterator[tuple[str, str]]:
    """(code, record identification code) of each first line of the fixed-width file."""
    path = next((cms_dir / "hcpcs" / "2026-01").glob("HCPC*_ANWEB_*.txt"))
    with path.open(encoding="cp1252") as handle:
        for line in handle:
            if line[10] in "37":
                yield line[:5].strip(), line[10]


def test_every_hcpcs_code_and_modifier(cms_dir: Path) -> None:
    counts = {"3": 0, "7": 0}
    for code, ric in hcpcs_lines(cms_dir):
        counts[ric] += 1
        if ric == "3":
            check_procedure(code)
        else:
            assert classify(code).system == "modifier", code
    assert counts["3"] > 8000 and counts["7"] > 300


def dotted(code: str) -> str:
    return code if len(code) == 3 else f"{code[:3]}.{code[3:]}"


def check_icd(code: str, with_dot: str) -> None:
    assert classify(with_dot).system == "icd-10-cm", with_dot
    bare = classify(code)
    reading = bare.reading("icd-10-cm")
    assert reading is not None and reading.normalized == with_dot, code
    assert classify(code, hint="icd-10-cm").normalized == with_dot
    assert reading.category == cm_chapter(with_dot) and reading.category is not None


def test_every_icd10cm_2025_code(cms_dir: Path) -> None:
    with (cms_dir / "icd10cm" / "2025" / "icd10cm_2025_codes.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        check_icd(row["code"], row["code_dot"])
    assert len(rows) == 97_584


def test_every_icd10cm_2026_code(cms_dir: Path) -> None:
    path = cms_dir / "icd10cm" / "2026-04" / "code-list-April-2026.txt"
    codes = [line.strip() for line in path.read_text().splitlines()]
    # the list also names chapters (digits) and blocks (A00-A09)
    codes = [c for c in codes if c and not c.isdigit() and "-" not in c]
    for code in codes:
        check_icd(code, dotted(code))
    assert len(codes) > 98_000


def ncci_codes(cms_dir: Path) -> Iterator[str]:
    folder = cms_dir / "ncci" / "2024-07"
    for path in sorted(folder.glob("ncci_ptp_*.csv.gz")):
        with gzip.open(path, "rt", newline="") as handle:
            rows = csv.reader(handle)
            assert next(rows)[:2] == ["column_1", "column_2"]
            for row in rows:
                yield row[0]
                yield row[1]
    for path in sorted(folder.glob("ncci_mue_*.csv")):
        with path.open(newline="") as handle:
            yield from (row["hcpcs_code"] for row in csv.DictReader(handle))
    with next(folder.glob("ncci_add_on_code_edits_*.csv")).open(newline="") as handle:
        for row in csv.DictReader(handle):
            yield row["primary_code"]
            yield row["add_on_code"]


def test_every_ncci_code(cms_dir: Path) -> None:
    codes = set(ncci_codes(cms_dir))
    placeholder = "CCCCC"  # AOC: no specific primary code
    assert placeholder in codes
    with pytest.raises(InputError):
        classify(placeholder)
    for code in sorted(codes - {placeholder}):
        check_procedure(code)
    assert len(codes) > 15_000


def test_every_pfs_code_and_modifier(cms_dir: Path) -> None:
    path = cms_dir / "pfs" / "2025-01" / "PPRRVU25_JAN.csv"
    with path.open(encoding="cp1252", newline="") as handle:
        rows = list(csv.reader(handle))
    start = next(i for i, row in enumerate(rows) if row and row[0] == "HCPCS") + 1
    data = [row for row in rows[start:] if row and row[0].strip("\x1a ")]
    for row in data:
        check_procedure(row[0])
        if row[1]:
            assert classify(row[1]).system == "modifier", row[1]
            assert classify(f"{row[0]}-{row[1]}").modifiers == (row[1],)
    assert len(data) > 18_000


def test_every_place_of_service(cms_dir: Path) -> None:
    with (cms_dir / "pos" / "place_of_service_codes.csv").open(newline="") as handle:
        codes = [row["pos_code"] for row in csv.DictReader(handle)]
    for code in codes:
        assert "place-of-service" in classify(code).systems, code
        assert classify(code, hint="place-of-service").ref == f"POS:{code}"
    assert len(codes) == 99


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty input"),
        ("   ", "empty input"),
        ("9921", "9921 is not a code: CPT codes have 5 characters"),
        ("992133", "992133 is not a code: CPT codes have 5 characters"),
        ("E11.", "need 1 to 4 characters after the dot"),
        ("E1.19", r"dot after the third character \(E11.9\)"),
        ("E11.12345", "3 to 7 characters"),
        ("ZZ999", "letter and 4 digits; ICD-10-CM codes have a digit in the second position"),
        ("1234X", "end in F, T, U, M, A"),
        ("00", "no place of service or modifier is 00"),
        ("7", "at least 2 characters"),
        ("99213-2", "2 is not a modifier: modifiers have 2 characters"),
        ("99213-11", "no CPT modifier has that number"),
        ("E11.9-25", "modifiers apply to procedure codes"),
        ("G04$", "only letters, digits"),
        ("XYZ:G0439", "not a code prefix"),
        ("0DTJ4ZI", "other than I and O"),
    ],
)
def test_malformed(raw: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        classify(raw)


@pytest.mark.parametrize(
    ("raw", "hint", "message"),
    [
        ("G043", "hcpcs-level-2", "G043 is not a HCPCS Level II code: .* a letter and 4 digits"),
        ("G0439", "cpt", "not a CPT code"),
        ("99213", "icd-10-cm", "not an ICD-10-CM code"),
    ],
)
def test_wrong_hint(raw: str, hint: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        classify(raw, hint=hint)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "normalized", "system", "modifiers"),
    [
        ("g0439", "G0439", "hcpcs-level-2", ()),
        ("E119", "E11.9", "icd-10-cm", ()),
        ("e11.9", "E11.9", "icd-10-cm", ()),
        ("G043", "G04.3", "icd-10-cm", ()),
        ("0DTJ4ZZ", "0DTJ4ZZ", "icd-10-pcs", ()),
        ("99213-25", "99213", "cpt-category-1", ("25",)),
        (" 27447 rt 59 ", "27447", "cpt-category-1", ("RT", "59")),
        ("0591T", "0591T", "cpt-category-3", ()),
        ("3044F", "3044F", "cpt-category-2", ()),
        ("0001U", "0001U", "cpt-pla", ()),
        ("0002M", "0002M", "cpt-maaa", ()),
        ("0001A", "0001A", "cpt-category-1", ()),
        ("25", "25", "modifier", ()),
        ("11", "11", "place-of-service", ()),
        ("XU", "XU", "modifier", ()),
        ("ICD10CM:G0439", "G04.39", "icd-10-cm", ()),
        ("MOD:GA", "GA", "modifier", ()),
        ("CPT:0591T", "0591T", "cpt-category-3", ()),
    ],
)
def test_accepted_forms(raw: str, normalized: str, system: str, modifiers: tuple[str]) -> None:
    found = classify(raw)
    assert (found.normalized, found.system, found.modifiers) == (normalized, system, modifiers)


def test_ambiguous_inputs_list_every_reading() -> None:
    twenty_five = classify("25")
    assert twenty_five.systems == ("modifier", "place-of-service")
    assert twenty_five.ambiguous and twenty_five.ref == "MOD:25"
    g0439 = classify("G0439")
    assert g0439.systems == ("hcpcs-level-2", "icd-10-cm")
    icd = g0439.reading("icd-10-cm")
    assert icd is not None and icd.ref == "ICD10CM:G04.39"
    assert classify("11").systems == ("place-of-service",)  # there is no modifier 11
    assert classify("C441021").systems == ("icd-10-cm", "icd-10-pcs")
    assert not classify("99213").ambiguous


def test_cpt_structure() -> None:
    knee = classify("27447")
    assert knee.category == "Surgery (10000-69990)"
    assert knee.subcategory == "Musculoskeletal System (20100-29999)"
    assert classify("99213").category == "Evaluation and Management (99201-99499)"
    assert classify("99605").category == "Medicine (99500-99607)"
    assert classify("00100").category == "Anesthesia (00100-01999)"
    assert classify("02000").category is None  # no section holds it
    assert classify("G0439").ref == "HCPCS:G0439" and knee.ref == "CPT:27447"
    assert classify("0DTJ4ZZ").ref is None  # no canonical reference for ICD-10-PCS


@pytest.mark.parametrize(
    ("raw", "system", "code"),
    [
        ("modifier 59", "modifier", "59"),
        ("Modifier-25", "modifier", "25"),
        ("mod 25", "modifier", "25"),
        ("POS11", "place-of-service", "11"),
        ("pos 02", "place-of-service", "02"),
        ("place of service 11", "place-of-service", "11"),
    ],
)
def test_modifiers_and_places_written_in_words(raw: str, system: str, code: str) -> None:
    """`medref code "modifier 59"` and `POS11` read as the search box reads them (issue 16)."""
    found = classify(raw)
    assert (found.system, found.normalized) == (system, code)
