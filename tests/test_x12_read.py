"""Reading X12 5010 837P and 837I files: loops into claims, any delimiters, with or without line
breaks, and every broken envelope, unsupported version, unknown loop and claim without a
diagnosis reported with its exact message while the other claims are read.

The fixtures in tests/data/x12 were written for these tests from the implementation guides'
published loop structure (no copied sample file)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from medref.claims.model import Claim
from medref.claims.x12.read837 import Reader837
from medref.errors import InputError
from medref.x12.tokens import looks_like_x12

DATA = Path(__file__).resolve().parent / "data" / "x12"
PROFESSIONAL = (DATA / "professional.837").read_text()
INSTITUTIONAL = (DATA / "institutional.837").read_text()


def read(text: str) -> tuple[list[Claim], Reader837]:
    reader = Reader837()
    return list(reader.claims(io.StringIO(text))), reader


def recount(text: str) -> str:
    """SE01 counted again after segments were added or removed (a well-formed envelope)."""
    out, count = [], 0
    for segment in text.split("~\n"):
        if segment.startswith("ST*"):
            count = 0
        count += 1
        if segment.startswith("SE*"):
            segment = f"SE*{count}*{segment.split('*')[2]}"
        out.append(segment)
    return "~\n".join(out)


def problems(claim: Claim) -> list[str]:
    return [problem.message for problem in claim.problems]


def file_problems(reader: Reader837) -> list[str]:
    return [str(problem) for problem in reader.counts.problems]


def test_every_loop_of_the_professional_fixture_maps_to_the_claim_model() -> None:
    claims, reader = read(PROFESSIONAL)
    assert [c.claim_id for c in claims] == [
        "PCN-1001",
        "PCN-1002",
        "PCN-1003",
        "PCN-2001",
        "PCN-3001",
    ]
    assert all(not c.problems for c in claims)
    first = claims[0]
    assert first.patient_id == "FIXTUREMBR01" and first.diagnoses == ("M17.11", "E11.9")
    one, two = first.lines
    assert (one.code, one.modifiers, one.units, one.place_of_service) == ("99214", ("25",), 1, "11")
    assert one.diagnosis_pointers == (1, 2) and one.date_of_service == date(2024, 8, 15)
    # 2310B names the claim's rendering provider; 2420A overrides it on line 2; the 2330D
    # NM1*82 of the other payer's loop is not taken for either
    assert one.rendering_npi == "1245319599" and two.rendering_npi == "1000000038"
    place = reader.places[first.order]
    assert (place.interchange, place.group, place.transaction) == ("000001001", "1001", "1001")
    assert (
        place.segment == 29 and place.lines[2].segment == 53 and place.lines[2].control == "1001-2"
    )
    second = claims[1]
    # no NM1*82: the billing provider (2010AA) renders; SV105 overrides CLM05-1's 11; RD8
    # range checked on its first date, the last kept in the place
    assert [line.rendering_npi for line in second.lines] == ["1234567893", "1234567893"]
    assert [line.place_of_service for line in second.lines] == ["11", "12"]
    assert second.lines[1].date_of_service == date(2024, 9, 1)
    assert reader.places[second.order].lines[2].through == date(2024, 9, 30)
    # a dependant (2000C): the subscriber's id with the patient's name and birth date
    assert claims[2].patient_id == "FIXTUREMBR02/FIXTURE^JUNIOR/19500101"
    assert reader.places[claims[2].order].frequency == "7"
    # the second transaction and the second group
    assert reader.places[claims[3].order].transaction == "1002"
    assert reader.places[claims[4].order].group == "1002"
    assert claims[4].lines[1].modifiers == ("50",)
    counts = reader.counts.as_dict()
    assert counts["functional_groups"] == 2 and counts["transaction_sets"] == 3
    assert counts["claims"] == 5 and counts["service_lines"] == 9 and counts["problems"] == []


def test_the_institutional_fixture() -> None:
    claims, reader = read(INSTITUTIONAL)
    outpatient, inpatient = claims
    assert outpatient.setting == "outpatient" and not outpatient.problems
    # principal, other, then the patient's reason for visit; value and condition codes skipped
    assert outpatient.diagnoses == ("R00.2", "I10", "E11.9", "R07.9")
    assert [line.line for line in outpatient.lines] == [1, 2, 4, 5]
    assert {line.place_of_service for line in outpatient.lines} == {""}
    # line 4 has no DTP*472: the one-day statement period (DTP*434) dates it
    assert outpatient.lines[2].date_of_service == date(2024, 9, 12)
    assert outpatient.lines[1].rendering_npi == "1245319599"
    assert reader.counts.revenue_only_lines == 2
    assert problems(inpatient) == [
        "segment 47 (CLM, position 45 in transaction 0001): facility type 11 (CLM05-1) is a "
        "hospital inpatient (Part A) bill, paid per stay: the NCCI edits medref checks apply to "
        "outpatient claims"
    ]


def rewrite(text: str, element: str, component: str, repetition: str, segment: str) -> str:
    """The same interchange with other delimiters (the ISA keeps its fixed width)."""
    table = str.maketrans({"*": element, ":": component, "^": repetition, "~": segment})
    return text.replace("~\n", "~").translate(table)


@pytest.mark.parametrize(
    "delimiters",
    [("|", ">", "^", "'"), ("\x1d", "\x1f", "\x1e", "\x1c"), ("+", "<", "!", "\n")],
)
def test_any_delimiters_read_the_same(delimiters: tuple[str, str, str, str]) -> None:
    expected, _ = read(PROFESSIONAL)
    claims, reader = read(rewrite(PROFESSIONAL, *delimiters))
    assert claims == expected and reader.counts.problems == []


def test_no_line_breaks_and_lines_wrapped_anywhere_read_the_same() -> None:
    expected, _ = read(PROFESSIONAL)
    flat = PROFESSIONAL.replace("\n", "")
    wrapped = "\r\n".join(flat[at : at + 80] for at in range(0, len(flat), 80))
    assert read(flat)[0] == expected
    assert read(wrapped)[0] == expected


def test_interchanges_with_their_own_delimiters_in_one_file() -> None:
    other = rewrite(INSTITUTIONAL, "|", ">", "^", "'")
    claims, reader = read(PROFESSIONAL + other)
    assert len(claims) == 7 and reader.counts.envelope.interchanges == 2
    assert claims[5].diagnoses == ("R00.2", "I10", "E11.9", "R07.9")


def test_a_composite_is_read_with_its_own_interchange_s_separator() -> None:
    """Values read in one interchange are not reused in the next when it declares another
    component separator: `HC:99214:25` is a code and modifier under `:`, not under `>`."""
    other = rewrite(PROFESSIONAL, "*", ">", "^", "~").replace("SV1*HC>99214>25", "SV1*HC:99214:25")
    claims, _ = read(PROFESSIONAL + other)
    assert len(claims) == 10 and not any(claim.problems for claim in claims[:5])
    assert (
        claims[5]
        .problems[0]
        .message.endswith("SV101-1 'HC:99214:25': only HCPCS/CPT procedure codes (HC) are checked")
    )
    assert [claim.problems for claim in claims[6:]] == [[], [], [], []]


def test_a_modifier_outside_ascii_is_reported() -> None:
    claims, _ = read(PROFESSIONAL.replace("SV1*HC:99214:25", "SV1*HC:99214:\u00c91"))
    assert problems(claims[0]) == [
        "segment 50 (SV1, position 48 in transaction 1001): SV101-3..6: modifier '\u00c91' must "
        "be 2 letters or digits"
    ]


def test_content_decides_not_the_name() -> None:
    assert looks_like_x12(PROFESSIONAL) and looks_like_x12("\ufeff  " + PROFESSIONAL)
    assert not looks_like_x12("claim_id,line,date_of_service\n")
    with pytest.raises(InputError, match="not an X12 interchange"):
        read("claim_id,line\n")


# -- broken envelopes: each with its exact message ------------------------------------------


def test_isa_of_the_wrong_length() -> None:
    broken = PROFESSIONAL.replace("*ZZ*FIXTURESUBMIT  *", "*ZZ*FIXTURESUBMIT*", 1)
    claims, _ = read(broken)
    assert len(claims) == 5
    for claim in claims:
        assert problems(claim)[0] == (
            "transaction "
            + (
                "1001"
                if claim.claim_id.startswith("PCN-1")
                else "1002"
                if claim.claim_id == "PCN-2001"
                else "2001"
            )
            + " is not read: segment 1 (ISA): the interchange header is 104 characters long; "
            "an ISA is fixed at 106 (ISA06 has 13 characters where 15 are required): pad each "
            "ISA element to its size"
        )


def test_iea_counts_and_control_number() -> None:
    claims, reader = read(PROFESSIONAL.replace("IEA*2*000001001", "IEA*3*000001002"))
    assert all(not claim.problems for claim in claims)  # each transaction vouched by its SE
    assert file_problems(reader) == [
        "segment 143 (IEA): IEA01 says 3 functional groups, interchange 000001001 holds 2: a "
        "functional group may be missing",
        "segment 143 (IEA): IEA02 '000001002' does not match ISA13 '000001001'",
    ]


def test_ge_counts_and_control_number() -> None:
    claims, reader = read(PROFESSIONAL.replace("GE*2*1001", "GE*1*1009"))
    assert len(claims) == 5 and all(not claim.problems for claim in claims)
    assert file_problems(reader) == [
        "segment 111 (GE): GE01 says 1 transaction sets, group 1001 holds 2: a transaction set "
        "may be missing",
        "segment 111 (GE): GE02 '1009' does not match GS06 '1001'",
    ]


def test_se_count_makes_its_transaction_unread_and_only_it() -> None:
    count = PROFESSIONAL.split("SE*")[1].split("*")[0]
    claims, _ = read(PROFESSIONAL.replace(f"SE*{count}*1001", f"SE*{int(count) + 1}*1001"))
    broken = [claim for claim in claims if claim.problems]
    assert [claim.claim_id for claim in broken] == ["PCN-1001", "PCN-1002", "PCN-1003"]
    assert problems(broken[0]) == [
        f"transaction 1001 is not read: segment 89 (SE): SE01 says {int(count) + 1} segments, "
        f"transaction 1001 has {count} (ST to SE): segments may be missing or added"
    ]
    assert [claim.claim_id for claim in claims if not claim.problems] == ["PCN-2001", "PCN-3001"]


def test_se_control_number() -> None:
    count = PROFESSIONAL.split("SE*")[1].split("*")[0]
    claims, _ = read(PROFESSIONAL.replace(f"SE*{count}*1001", f"SE*{count}*1099"))
    assert problems(claims[0]) == [
        "transaction 1001 is not read: segment 89 (SE): SE02 '1099' does not match ST02 '1001'"
    ]


def test_a_truncated_file() -> None:
    text = PROFESSIONAL[: PROFESSIONAL.index("SE*", PROFESSIONAL.index("ST*837*2001"))]
    claims, reader = read(text)
    assert [c.claim_id for c in claims if not c.problems] == [
        "PCN-1001",
        "PCN-1002",
        "PCN-1003",
        "PCN-2001",
    ]
    assert problems(claims[-1]) == [
        "transaction 2001 is not read: segment 140 (EOF): transaction 2001 (ST at segment 113) has "
        "no SE: it ends at the end of the file (truncated or spliced)"
    ]
    assert file_problems(reader) == [
        "segment 140 (EOF): functional group 1002 (GS at segment 112) has no GE",
        "segment 140 (EOF): interchange 000001001 (ISA at segment 1) has no IEA: the file may be "
        "truncated",
    ]


def test_unsupported_versions() -> None:
    old = PROFESSIONAL.replace(
        "*X*005010X222A1~\nST*837*2001*005010X222A1", "*X*004010X098A1~\nST*837*2001"
    )
    claims, _ = read(old)
    assert problems(claims[-1]) == [
        "transaction 2001 is not read: segment 112 (GS): version '004010X098A1' (GS08) is not "
        "supported: medref reads 837I (005010X223, 005010X223A1, 005010X223A2) or 837P "
        "(005010X222, 005010X222A1)"
    ]
    assert all(not claim.problems for claim in claims[:-1])
    isa = PROFESSIONAL.replace("*^*00501*", "*^*00401*", 1)
    claims, _ = read(isa)
    assert problems(claims[0]) == [
        "transaction 1001 is not read: segment 1 (ISA): interchange version ISA12 '00401' is not "
        "supported: medref reads ASC X12 5010 (00501)"
    ]


def test_an_835_is_not_a_claim_file() -> None:
    remittance = PROFESSIONAL.replace("GS*HC", "GS*HP", 1).replace("005010X222A1", "005010X221A1")
    claims, _ = read(remittance)
    assert problems(claims[0])[0] == (
        "transaction 1001 is not read: segment 2 (GS): this group holds 835 transactions; "
        "expected 837I (005010X223, 005010X223A1, 005010X223A2) or 837P (005010X222, "
        "005010X222A1)"
    )


# -- unknown loops and claims that cannot be checked -----------------------------------------


def test_an_unknown_hierarchical_level() -> None:
    claims, _ = read(PROFESSIONAL.replace("HL*4*3*23*0", "HL*4*3*99*0"))
    assert problems(claims[2]) == [
        "segment 75 (HL, position 73 in transaction 1001): HL03 '99' is not a hierarchical level "
        "of the 837 (unknown loop): 20 billing provider, 22 subscriber, 23 patient"
    ]
    assert [c.claim_id for c in claims if not c.problems] == [
        "PCN-1001",
        "PCN-1002",
        "PCN-2001",
        "PCN-3001",
    ]


def test_an_unknown_loop_and_a_misplaced_segment_in_a_claim() -> None:
    text = PROFESSIONAL.replace("NM1*DN*1*REFERRING", "NM1*XZ*1*REFERRING").replace(
        "LX*2~\nSV1*HC:93010", "LX*2~\nHI*ABK:R079~\nSV1*HC:93010"
    )
    text = recount(text)
    claims, _ = read(text)
    assert problems(claims[0]) == [
        "segment 34 (NM1, position 32 in transaction 1001): NM1*XZ is not a loop of loop "
        "2300/2310 (claim) (unknown loop): it may hold NM1 45, 71, 72, 77, 82, DK, DN, DQ, P3, "
        "PW, ZZ"
    ]
    assert problems(claims[2]) == [
        "segment 87 (HI, position 85 in transaction 1001): HI does not belong in loop "
        "2400/2410/2420 (service line): it is a segment of loop 2300/2310 (claim); the loop order "
        "is wrong"
    ]
    assert claims[1].problems == []


def test_an_unknown_segment() -> None:
    claims, _ = read(recount(PROFESSIONAL.replace("REF*6R*1001-1~", "ZZZ*1~")))
    assert problems(claims[0]) == [
        "segment 52 (ZZZ, position 50 in transaction 1001): ZZZ is not a segment of the 837 "
        "(unknown loop or segment in loop 2400/2410/2420 (service line))"
    ]
    assert claims[0].problems[0].line == 1


def test_a_claim_without_a_diagnosis() -> None:
    claims, reader = read(recount(PROFESSIONAL.replace("HI*ABK:J45901~\n", "")))
    assert problems(claims[1]) == [
        "segment 62 (CLM, position 60 in transaction 1001): claim 'PCN-1002' has no diagnosis: an "
        "837P claim needs an HI segment with its principal ICD-10-CM code (HI*ABK) before its "
        "first LX"
    ]
    assert [c.claim_id for c in claims if not c.problems] == [
        "PCN-1001",
        "PCN-1003",
        "PCN-2001",
        "PCN-3001",
    ]
    # counts in = counts out: every CLM and every LX is a claim and a row
    assert reader.counts.claims == len(claims)
    assert reader.counts.lines == sum(c.rows for c in claims)


def test_bad_values_name_their_segment_and_line() -> None:
    text = PROFESSIONAL.replace("SV1*HC:J1100*80*UN*130", "SV1*HC:J1100*80*UN*1.5").replace(
        "DTP*472*D8*20240815~\nREF*6R*1001-1", "DTP*472*D8*20241315~\nREF*6R*1001-1"
    )
    claims, _ = read(text)
    assert problems(claims[0]) == [
        "segment 51 (DTP, position 49 in transaction 1001): DTP472 D8*20241315: write a date as "
        "D8*CCYYMMDD or a range as RD8*CCYYMMDD-CCYYMMDD",
        "segment 49 (LX, position 47 in transaction 1001): line 1 has no date of service: give "
        "DTP*472 in the line",
    ]
    assert problems(claims[1]) == [
        "segment 65 (SV1, position 63 in transaction 1001): SV104 quantity '1.5' must be a whole "
        "number of units from 1"
    ]
    assert claims[1].problems[0].line == 1


def test_writers_that_date_the_claim_or_name_a_provider_without_an_npi() -> None:
    """A claim-level DTP*472 (not a 5010 segment, but written by some tools) dates lines
    without their own; an NM1*82 with a name and no identifier leaves the billing provider's
    NPI in force, as a CSV row without rendering_npi."""
    text = recount(
        PROFESSIONAL.replace(
            "CLM*PCN-2001*120***11:B:1*Y*A*Y*Y~\nHI*ABK:M1711~\nLX*1~\n"
            "SV1*HC:99213*120*UN*1***1~\nDTP*472*D8*20240815~",
            "CLM*PCN-2001*120***11:B:1*Y*A*Y*Y~\nDTP*472*D8*20240815~\nHI*ABK:M1711~\n"
            "NM1*82*1*NAMEONLY*DOC~\nLX*1~\nSV1*HC:99213*120*UN*1***1~",
        )
    )
    claims, _ = read(text)
    claim = next(c for c in claims if c.claim_id == "PCN-2001")
    assert claim.problems == []
    assert [(line.date_of_service, line.rendering_npi) for line in claim.lines] == [
        (date(2024, 8, 15), "1000000004")
    ]


def test_a_billing_npi_that_fails_its_check_digit_is_reported_not_fatal() -> None:
    claims, reader = read(PROFESSIONAL.replace("*XX*1000000004~", "*XX*1234567890~"))
    claim = next(c for c in claims if c.claim_id == "PCN-2001")
    assert claim.problems == [] and claim.lines[0].rendering_npi == "1234567890"
    assert file_problems(reader) == [
        "segment 96 (NM1, position 7 in transaction 1002): billing provider NM1*85: NM109 "
        "'1234567890' is not an NPI (10 digits whose check digit holds); its lines without a "
        "rendering provider are told apart by this value as given"
    ]
