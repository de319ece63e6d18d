"""Abbreviations the sources define are mined from their text, and index and match as one
concept with their long forms."""

from __future__ import annotations

from medref.kb import KnowledgeBase
from medref.retrieval.abbreviations import descriptor_abbreviations, long_form, mine
from medref.retrieval.tokenize import tokenize
from medref.retrieval.vocabulary import Vocabulary, used_as_words


def test_long_forms_are_found_as_initials_or_letter_by_letter() -> None:
    assert long_form("SSA", "benefits paid by the Social Security Administration") == (
        "Social Security Administration"
    )
    assert long_form("PTP", "An overview of the NCCI program for Procedure-to-Procedure") == (
        "Procedure to Procedure"
    )
    assert long_form("TENS", "Transcutaneous electrical nerve stimulation") is not None
    assert long_form("III", "in the amounts described in subclause") is None
    assert long_form("CARE", "care") is None


def test_mining_keeps_the_long_forms_most_texts_use() -> None:
    texts = [
        "An Advance Beneficiary Notice of Noncoverage (ABN) must be given.",
        "Give the advance beneficiary notice of noncoverage (ABN) before the service.",
        "Skilled nursing facility (SNF) residents.",
    ]
    mined = mine(texts)
    assert mined["ABN"] == ["advance beneficiary notice of noncoverage"]
    assert mined["SNF"] == ["skilled nursing facility"]


def test_short_forms_the_texts_use_as_plain_words_are_left_out() -> None:
    texts = ["the Continuity Assessment Record and Evaluation (CARE) tool", "good care", "care"]
    assert used_as_words(texts, ["CARE"]) == {"CARE"}
    assert "CARE" not in Vocabulary.from_texts(texts).abbreviations


def test_an_abbreviation_and_its_long_form_hold_each_other() -> None:
    vocabulary = Vocabulary({"ABN": ["advance beneficiary notice of noncoverage"]})
    assert set(tokenize("advance beneficiary notice")) <= set(
        vocabulary.with_equivalents(tokenize("a signed ABN"))
    )
    assert "abn" in vocabulary.equivalents(tokenize("advance beneficiary notice of noncoverage"))
    assert vocabulary.equivalents(tokenize("a notice")) == []


def test_the_build_mines_the_real_sources(kb: KnowledgeBase) -> None:
    vocabulary = Vocabulary.load(kb.path / "retrieval")
    assert vocabulary.abbreviations["ABN"][0].startswith("advance beneficiary notice")
    assert vocabulary.abbreviations["DME"]
    assert vocabulary.abbreviations["TENS"], "from the HCPCS descriptors"
    assert "CARE" not in vocabulary.abbreviations


def test_clipped_words_of_short_descriptors_are_learnt_from_their_long_descriptors() -> None:
    pairs = [
        ("Prostate ca scrn; dre", "Prostate cancer screening; digital rectal examination"),
        ("Colorectal ca scrn; fobt", "Colorectal cancer screening; fecal occult blood test"),
        ("Cervical scrn", "Screening for cervical cancer"),
        ("Scrn ca gluconate", "Screening, calcium gluconate, per 10 ml"),
        ("Port chair", "Portable commode chair"),
        ("Chair in bed", "Bed with chair, 36 in wide"),
    ]
    found = descriptor_abbreviations(pairs)
    assert found["scrn"] == ["screening"]
    assert "ca" not in found, "two letters, seen in too few codes"
    assert "port" not in found and "in" not in found, "words of the long descriptors"
    assert "dre" not in found, "seen in one code only"
    prose = ["Screening tests (scrn on the form) are listed.", "A scrn is a screening."]
    assert "scrn" not in descriptor_abbreviations(pairs, prose), "the prose uses it as a word"


def test_clipped_words_yield_to_defined_abbreviations_and_shorthand() -> None:
    pairs = [(f"Pos test {n}", f"Positive test number {n}") for n in range(5)]
    pairs += [(f"Whlchr part {n}", f"Wheelchair part number {n}") for n in range(5)]
    vocabulary = Vocabulary.from_texts(["the place of service (POS) code"], pairs)
    assert vocabulary.abbreviations["POS"] == ["place of service"]
    assert "pos" not in vocabulary.abbreviations
    assert vocabulary.abbreviations["whlchr"] == ["wheelchair"]
    assert "wheelchair" in vocabulary.equivalents(tokenize("whlchr cushion"))


def test_the_build_learns_the_hcpcs_clipped_words(kb: KnowledgeBase) -> None:
    vocabulary = Vocabulary.load(kb.path / "retrieval")
    assert vocabulary.abbreviations["wc"] == ["wheelchair"]
    assert vocabulary.abbreviations["pwr"] == ["power"]
    assert "inj" not in vocabulary.abbreviations, "some long descriptors write inj themselves"
    assert "pos" not in vocabulary.abbreviations
