"""The code-aware tokenizer: identifiers stay whole, words are normalised."""

from __future__ import annotations

import pytest

from medref.retrieval.tokenize import modifier_terms, stem, tokenize


@pytest.mark.parametrize("code", ["G0439", "99213", "0042T", "J1100", "E0601"])
def test_codes_stay_whole(code: str) -> None:
    assert code.lower() in tokenize(f"What is code {code}?")


def test_icd_code_yields_undotted_form_and_category() -> None:
    assert tokenize("E11.9")[:3] == ["e11.9", "e119", "e11"]


def test_undotted_icd_query_meets_dotted_text() -> None:
    assert "e119" in tokenize("E11.9 Type 2 diabetes") and tokenize("E119") == ["e119"]


def test_manual_sections_and_publication_stay_whole() -> None:
    assert tokenize("§40.6 and section 30.6.18 of Pub. 100-04") == [
        "40.6",
        "section",
        "30.6.18",
        "pub",
        "100-04",
    ]


def test_statute_section_yields_each_subsection_level() -> None:
    assert tokenize("42 U.S.C. 1395y(a)(1)") == ["42", "usc", "1395y", "1395y(a)", "1395y(a)(1)"]
    assert tokenize("section 1395w-4") == ["section", "1395w-4"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("modifier 25", ["mod25"]),
        ("modifier -25", ["mod25"]),
        ("the GA modifier", ["modga"]),
        ("bill 99213-25 today", ["mod25"]),
        ("append -59 to the code", ["mod59"]),
        ("modifier is required", []),
        ("dates 03-02-22", []),
    ],
)
def test_modifier_mentions(text: str, expected: list[str]) -> None:
    assert modifier_terms(text.lower()) == expected


def test_code_with_modifier_splits() -> None:
    assert tokenize("99213-25") == ["99213", "25", "mod25"]


def test_lowercase_punctuation_and_stopwords() -> None:
    assert tokenize("What is the Walker, folding, wheeled?") == ["walker", "fold", "wheel"]


def test_slashed_abbreviations_join() -> None:
    assert tokenize("E/M and PC/TC") == ["em", "pctc"]


def test_dotted_abbreviations_join() -> None:
    assert tokenize("U.S.C.") == ["usc"]


@pytest.mark.parametrize(
    ("words", "stem_"),
    [
        (["codes", "coding", "coded", "code"], "cod"),
        (["wheels", "wheeled"], "wheel"),
        (["surgeries", "surgery"], "surgery"),
        (["billing", "billed", "bills"], "bill"),
        (["definition", "define", "defined"], "defin"),
        (["payment", "payments", "pay"], "pay"),
        (["issuance", "issue", "issued"], "issu"),
        (["stopped", "stopping"], "stop"),
    ],
)
def test_stemmer_conflates_word_forms(words: list[str], stem_: str) -> None:
    assert {stem(word) for word in words} == {stem_}


@pytest.mark.parametrize("word", ["status", "diagnosis", "class", "g0439", "cpap"])
def test_stemmer_keeps_words_it_should_not_touch(word: str) -> None:
    assert stem(word) == word


def test_accents_and_typographic_dashes_fold() -> None:
    assert tokenize("Café – 100‐04") == ["caf", "100-04"]


def test_negated_words_are_marked() -> None:
    assert tokenize("Walker, heavy duty, without wheels") == ["walker", "heavy", "duty", "no_wheel"]
    assert tokenize("walker with wheels") == ["walker", "wheel"]
    assert "no_complication" in tokenize("Type 2 diabetes mellitus without complications")
