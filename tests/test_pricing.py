"""Allowed amounts against a hand calculation from the real RVU, GPCI and conversion-factor
rows (../shared/cms/pfs/2025-01), to the cent; and the same 20 cases as docs/claims.md shows.

The hand calculation reads the CSV text itself (never the knowledge base or the pricing code):
fee = round_half_up([(work x wGPCI) + (PE x peGPCI) + (MP x mpGPCI)] x CF, cents), then each
adjustment = round_half_up(amount x share, cents).
"""

from __future__ import annotations

import csv
import json
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import NamedTuple

import pytest

from medref.errors import InputError
from medref.kb import KnowledgeBase
from medref.pricing import PricingTables, Service, all_localities, find_locality, quote
from medref.pricing.quote import Pricer
from medref.settings import Settings

pytestmark = pytest.mark.kb
DOCS = Path(__file__).resolve().parents[1] / "docs" / "claims.md"
CENT = Decimal("0.01")
FACILITY = {
    "19",
    "21",
    "22",
    "23",
    "24",
    "26",
    "31",
    "34",
    "41",
    "42",
    "51",
    "52",
    "53",
    "56",
    "61",
    "02",
}


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def rvu_text(cms_dir: Path) -> dict[str, dict[str, str]]:
    """PPRRVU rows as text, keyed `99213` / `71046-26`."""
    path = cms_dir / "pfs" / "2025-01" / "PPRRVU25_JAN.csv"
    rows: dict[str, dict[str, str]] = {}
    with path.open(encoding="cp1252", newline="") as handle:
        reader = csv.reader(handle)
        for row in reader:
            if row and row[0] == "HCPCS":
                break
        for row in reader:
            if len(row) > 25 and re.fullmatch(r"[0-9A-Z]{5}", row[0]):
                key = f"{row[0]}-{row[1]}" if row[1] else row[0]
                rows[key] = {
                    "work": row[5],
                    "pe_nf": row[6],
                    "pe_f": row[8],
                    "mp": row[10],
                    "pre": row[15],
                    "intra": row[16],
                    "post": row[17],
                    "cf": row[24],
                }
    return rows


@pytest.fixture(scope="module")
def gpci_text(cms_dir: Path) -> dict[str, tuple[str, str, str]]:
    path = cms_dir / "pfs" / "2025-01" / "GPCI2025.csv"
    found: dict[str, tuple[str, str, str]] = {}
    with path.open(encoding="cp1252", newline="") as handle:
        for row in csv.reader(handle):
            if row and re.fullmatch(r"\d{5}", row[0]):
                found[f"{row[0]}-{row[2]}"] = (row[4], row[5], row[6])
    return found


class Case(NamedTuple):
    code: str
    modifiers: str
    locality: str
    pos: str
    adjust: str
    """How the hand calculation adjusts the fee: `''`, `x1.5`, `x0.625`, `shares pre+intra`."""


CASES = [
    Case("99213", "", "10112-00", "11", ""),
    Case("99213", "", "13202-01", "22", ""),
    Case("99214", "", "01112-05", "11", ""),
    Case("99213", "", "02102-01", "11", ""),
    Case("20610", "", "04412-18", "11", ""),
    Case("20610", "50", "09102-04", "11", "x1.5"),
    Case("27447", "", "06102-16", "21", ""),
    Case("27447", "62", "06102-16", "21", "x0.625"),
    Case("27447", "80", "06102-16", "21", "x0.16"),
    Case("27447", "AS", "06102-16", "21", "x0.136"),
    Case("27447", "54", "06102-16", "21", "shares pre+intra"),
    Case("27447", "55", "06102-16", "11", "shares post"),
    Case("27447", "78", "06102-16", "21", "shares intra"),
    Case("71046", "", "14212-01", "11", ""),
    Case("71046", "26", "14212-01", "22", ""),
    Case("71046", "TC", "14212-01", "11", ""),
    Case("45378", "53", "10212-01", "22", ""),
    Case("G2212", "", "09202-20", "11", ""),
    Case("99291", "", "02402-02", "23", ""),
    Case("27130", "50", "13202-01", "21", "x1.5"),
]


def by_hand(
    case: Case, rvu: dict[str, dict[str, str]], gpci: dict[str, tuple[str, str, str]]
) -> Decimal:
    key = f"{case.code}-{case.modifiers}" if case.modifiers in ("26", "TC", "53") else case.code
    row = {k: Decimal(v) for k, v in rvu[key].items()}
    work_g, pe_g, mp_g = (Decimal(v) for v in gpci[case.locality])
    pe = row["pe_f"] if case.pos in FACILITY else row["pe_nf"]
    fee = cents((row["work"] * work_g + pe * pe_g + row["mp"] * mp_g) * row["cf"])
    if case.adjust.startswith("x"):
        return cents(fee * Decimal(case.adjust[1:]))
    if case.adjust.startswith("shares"):
        share = sum((row[name] for name in case.adjust.split()[1].split("+")), Decimal(0))
        return cents(fee * share)
    return fee


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c.code}-{c.modifiers or 'none'}-{c.locality}-{c.pos}" for c in CASES]
)
def test_allowed_amount_agrees_with_the_hand_calculation(
    kb: KnowledgeBase,
    rvu_text: dict[str, dict[str, str]],
    gpci_text: dict[str, tuple[str, str, str]],
    case: Case,
) -> None:
    tables = PricingTables(kb)
    found = quote(
        tables,
        case.code,
        case.locality,
        place_of_service=case.pos,
        modifiers=[case.modifiers] if case.modifiers else [],
    )
    assert found.amount == by_hand(case, rvu_text, gpci_text)
    data = found.to_dict()
    assert data["pfs_row"].startswith(f"PFS:{case.code}")
    assert f"GPCI:{case.locality}" in data["refs"]
    assert data["conversion_factor"] == "32.3465"


def docs_table() -> dict[int, tuple[str, str, str, str, str]]:
    """Rows of the docs/claims.md pricing table: number -> (code, modifiers, locality, POS, amount)."""
    text = DOCS.read_text()
    rows = {}
    for match in re.finditer(
        r"^\| (\d+) \| `(\w+)` \| ([\w-]*) \| `(\d{5}-\d{2})`[^|]*\| (\d\d) \|.*\| \*\*\$([\d,]+\.\d\d)\*\* \|$",
        text,
        re.M,
    ):
        number, code, mods, locality, pos, amount = match.groups()
        rows[int(number)] = (code, mods.replace("-", ""), locality, pos, amount.replace(",", ""))
    return rows


def test_docs_show_the_twenty_cases_with_the_engines_amounts(kb: KnowledgeBase) -> None:
    rows = docs_table()
    assert sorted(rows) == list(range(1, len(CASES) + 1))
    tables = PricingTables(kb)
    for number, case in enumerate(CASES, start=1):
        code, mods, locality, pos, amount = rows[number]
        assert (code, mods, locality, pos) == (case.code, case.modifiers, case.locality, case.pos)
        found = quote(
            tables, code, locality, place_of_service=pos, modifiers=[mods] if mods else []
        )
        assert str(found.amount) == amount, number


def test_multiple_procedures_rank_100_then_50(kb: KnowledgeBase) -> None:
    tables = PricingTables(kb)
    pricer = Pricer.open(tables, "10112-00")
    single = {code: quote(tables, code, "10112-00").amount for code in ("11042", "20610")}
    prices = pricer.price(
        [Service("20610", (), 1, "11", 1), Service("11042", (), 1, "11", 2)], None
    )
    assert prices is not None
    high, low = sorted(single, key=lambda c: -(single[c] or 0))
    amounts = {p.service.code: p.amount for p in prices}
    assert amounts[high] == single[high]
    assert amounts[low] == cents((single[low] or Decimal(0)) * Decimal("0.5"))


def test_endoscopy_family_pays_the_difference_from_the_base(kb: KnowledgeBase) -> None:
    """IOM 100-04/12/40.6 C.13: 45385 in full plus 45380 less its base 45378."""
    tables = PricingTables(kb)
    pricer = Pricer.open(tables, "10112-00")

    def fee(code: str) -> Decimal:
        return quote(tables, code, "10112-00", place_of_service="22").amount or Decimal(0)

    prices = pricer.price(
        [Service("45380", (), 1, "22", 1), Service("45385", (), 1, "22", 2)], None
    )
    assert prices is not None
    amounts = {p.service.code: p.amount for p in prices}
    top, other = ("45385", "45380") if fee("45385") >= fee("45380") else ("45380", "45385")
    assert amounts[top] == fee(top)
    assert amounts[other] == fee(other) - fee("45378")


def test_not_priced_lines_say_why(kb: KnowledgeBase) -> None:
    tables = PricingTables(kb)
    assert quote(tables, "99417", "10112-00").amount == Decimal("0.00")
    contractor = quote(tables, "27447", "10112-00", modifiers=["66"])
    assert contractor.amount is None and "by report" in contractor.to_dict()["reason"]
    assert quote(tables, "45378", "10112-00", modifiers=["52"]).amount is None


def test_localities_by_number_state_or_name(kb: KnowledgeBase) -> None:
    known = all_localities(PricingTables(kb))
    assert len(known) == 109
    assert find_locality("01112-05", known).id == "01112-05"
    assert find_locality("0111205", known).id == "01112-05"
    assert find_locality("1112-5", known).id == "01112-05"
    assert find_locality("CA-05", known).id == "01112-05"
    assert find_locality("manhattan", known).id == "13202-01"
    assert find_locality("AL", known).id == "10112-00"
    assert find_locality("ny queens", known).state == "NY"
    with pytest.raises(InputError, match="fits"):
        find_locality("san francisco", known)
    with pytest.raises(InputError, match="no Medicare payment locality"):
        find_locality("atlantis", known)


def test_code_cards_carry_national_allowed_amounts(kb_settings: Settings) -> None:
    from click.testing import CliRunner

    from medref.cli import cli

    result = CliRunner().invoke(
        cli, ["code", "99213", "--json"], env={"MEDREF_HOME": str(kb_settings.home)}
    )
    assert result.exit_code == 0, result.output
    amounts = json.loads(result.output)["allowed_amount"]
    fee = Decimal("2.75") * Decimal("32.3465")  # 1.30 + 1.35 + 0.10 RVUs, GPCIs 1.000
    assert amounts["non_facility"] == str(cents(fee)) == "88.95"
    assert amounts["pfs_row"] == "PFS:99213"


@pytest.mark.kb
@pytest.mark.parametrize("code", ["99213", "71046", "D0210", "G0439"])
def test_one_codes_rows_read_alone_are_its_rows_of_the_whole_file(
    kb: KnowledgeBase, code: str
) -> None:
    """A code card reads only its code's PFS rows (with their 26/TC rows), the same rows
    the whole file holds, whether or not the whole file was read first."""
    alone = PricingTables(kb)
    info = alone.release("pfs", None)
    assert info is not None
    whole = PricingTables(kb)
    expected = {key: rate for key, rate in whole.rates(info).items() if rate.code == code}
    assert alone.code_rates(info, code) == expected == whole.code_rates(info, code)
    assert expected
