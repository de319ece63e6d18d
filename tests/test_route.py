"""Exact routing: identifiers and intents found in questions, and what they fetch."""

from __future__ import annotations

import pytest

from medref.retrieval.route import (
    IomCite,
    Target,
    content_terms,
    icd_forms,
    parse,
    ssa_to_usc,
    targets,
)
from medref.retrieval.tokenize import tokenize


def refs_of(query: str) -> list[tuple[str, ...]]:
    return [t.refs for t in targets(parse(query)) if t.refs]


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("What is HCPCS code G0439?", ("G0439",)),
        ("global period for cpt 99213", ("99213",)),
        ("is 0042T covered", ("0042T",)),
        ("ICD-10-CM E11.9 and e119", ("E11.9", "E119")),
        ("What is ICD-10-CM code I10?", ("I10",)),
        ("42 U.S.C. 1395m and section 40.6 in 2031", ()),
    ],
)
def test_codes(query: str, codes: tuple[str, ...]) -> None:
    assert parse(query).codes == codes


@pytest.mark.parametrize(
    ("query", "modifiers"),
    [
        ("What does modifier GA mean?", ("GA",)),
        ("the GA modifier", ("GA",)),
        ("bill 99213-25", ("25",)),
        ("modifiers 59 and XE", ("59", "XE")),
        ("append -59", ("59",)),
        ("Which modifier identifies a split visit?", ()),
    ],
)
def test_modifiers(query: str, modifiers: tuple[str, ...]) -> None:
    assert parse(query).modifiers == modifiers


def test_manual_sections() -> None:
    assert parse("100-04 chapter 12 section 40.8").iom == (IomCite("40.8", "100-04", "12"),)
    assert parse("what does §30.6.18 say").iom == (IomCite("30.6.18"),)
    assert parse("section 20 of the act").iom == ()


def test_ncd_and_statute_and_pos() -> None:
    assert parse("NCD 240.4 criteria").ncd == ("240.4",)
    assert parse("42 USC 1395y(a)(1)(A)").usc == ("1395y(a)(1)(A)",)
    assert parse("section 1862(a)(1) of the Social Security Act").usc == ("1395y(a)(1)",)
    assert parse("place of service 2").pos == ("02",)
    assert parse("POS 11 office").pos == ("11",)


@pytest.mark.parametrize(
    ("section", "usc"),
    [
        ("1833", "1395l"),
        ("1848", "1395w-4"),
        ("1861", "1395x"),
        ("1862", "1395y"),
        ("1863", "1395z"),
        ("1864", "1395aa"),
        ("1877", "1395nn"),
        ("1879", "1395pp"),
        ("1889", "1395zz"),
        ("1890", "1395aaa"),
        ("1899", "1395jjj"),
        ("1899A", "1395kkk"),
        ("1899B", "1395lll"),
        ("1850", None),
    ],
)
def test_social_security_act_sections(section: str, usc: str | None) -> None:
    assert ssa_to_usc(section) == usc


def test_intents() -> None:
    assert parse("What is the practitioner MUE for J1100?").intents == {"mue"}
    assert parse("Which add-on code goes with 99215?").intents == {"aoc"}
    assert parse("global surgery period for 99213").intents == {"pfs"}
    assert "ptp" in parse("NCCI edit between 93000 and 93010").intents


def test_lookup_questions_are_about_the_entity() -> None:
    assert parse("What does modifier GA mean?").lookup
    assert parse("What is HCPCS code G0439?").lookup
    assert not parse("When may modifier 25 be used on an E/M service the same day?").lookup


def test_mue_target_prefers_the_setting_named() -> None:
    (mue,) = [t for t in targets(parse("outpatient hospital MUE for J1100")) if t.kind == "mue"]
    assert mue.refs == ("MUE:J1100",)
    assert mue.prefer_sources[0] == "ncci-mue-outpatient"


def test_ptp_target_needs_two_codes() -> None:
    (ptp,) = [t for t in targets(parse("NCCI edit 93000 93010")) if t.kind == "ptp"]
    assert ptp.codes == ("93000", "93010") and ptp.strong
    assert not [t for t in targets(parse("NCCI edit for 93000")) if t.kind == "ptp"]


def test_add_on_target_fetches_pairs_of_the_primary() -> None:
    found = targets(parse("add-on code with 99215"))
    assert Target(prefix="AOC:99215/", kind="aoc") in found


def test_code_readings_follow_the_code_system_named() -> None:
    assert refs_of("What is G0439?")[0][0] == "HCPCS:G0439"
    assert refs_of("ICD-10-CM G0439")[0][0] == "ICD10CM:G04.39"


def test_references_routed() -> None:
    assert ("POS:11",) in refs_of("What is place of service code 11?")
    assert ("NCD:240.4",) in refs_of("NCD 240.4")
    assert ("USC:42/1395y(a)",) in refs_of("42 U.S.C. 1395y(a)")
    assert ("IOM:100-04/12/40.8",) in refs_of("100-04 chapter 12 section 40.8")
    assert ("PFS:99213",) in refs_of("global period for 99213")


def test_modifier_routes_strongly_only_for_lookups() -> None:
    (lookup,) = [t for t in targets(parse("What does modifier GA mean?")) if t.kind == "modifier"]
    (mention,) = [
        t
        for t in targets(
            parse("Is an ABN needed before billing with the GA modifier for a denied service?")
        )
        if t.kind == "modifier"
    ]
    assert lookup.strong and not mention.strong


def test_icd_forms() -> None:
    assert icd_forms("E119") == ("E11.9",)
    assert icd_forms("E11.9") == ("E11.9",)
    assert icd_forms("I10") == ("I10",)


def test_content_terms_drop_code_system_words() -> None:
    assert content_terms("ICD-10-CM code for type 2 diabetes") == ["typ", "2", "diabet"]
    assert content_terms("HCPCS code") == ["hcpc", "cod"]


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("How does the statute define a physician?", ("physician",)),
        ("Who qualifies as a physician assistant under the law?", ("physician", "assistant")),
        ("What is the meaning of hospital in section 1861(e)?", ("hospital",)),
        ("What is the Part B deductible under section 1833(b)?", ()),
        ("What percentage of charges does Part B pay?", ()),
    ],
)
def test_definition_questions_name_their_term(query: str, terms: tuple[str, ...]) -> None:
    assert parse(query).defines == tuple(t for term in terms for t in tokenize(term))


def test_definition_questions_target_defining_headings() -> None:
    found = [t for t in targets(parse("How does the act define hospital?")) if t.codes]
    assert [(t.kind, t.codes, t.strong) for t in found] == [
        ("definition", tuple(tokenize("hospital")), True)
    ]
    weak = [t for t in targets(parse("How does Medicare define hospital?")) if t.codes]
    assert [(t.kind, t.strong) for t in weak] == [("definition", False)]
