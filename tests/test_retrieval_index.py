"""The retrieval build step's choices: preferred releases, keys, priors, what is embedded."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from medref.kb import KnowledgeBase
from medref.retrieval.enrich import category_words, index_terms
from medref.retrieval.index import (
    ChunkRow,
    diagnosis_texts,
    embedded_rows,
    embedding_text,
    enclosing_titles,
    preferred_rows,
    record_prior,
    reference_keys,
)
from medref.retrieval.tokenize import tokenize
from medref.retrieval.vocabulary import Vocabulary

RELEASES = [("hcpcs", "2026-01"), ("icd10cm", "2025"), ("icd10cm", "2026-04"), ("statute", "2022")]


def chunk(
    chunk_id: int,
    ref: str,
    source: str,
    release: str,
    kind: str = "code",
    ord_: int = 0,
    text: str = "text",
) -> ChunkRow:
    return ChunkRow(chunk_id, ref, source, release, kind, ord_, ref, text)


CHUNKS = [
    chunk(1, "HCPCS:E0143", "hcpcs", "2026-01", text="HCPCS E0143: Walker, folding, wheeled"),
    chunk(2, "ICD10CM:E11.9", "icd10cm", "2025"),
    chunk(3, "ICD10CM:E11.A", "icd10cm", "2025"),
    chunk(4, "ICD10CM:E11.9", "icd10cm", "2026-04"),
    chunk(5, "USC:42/1395y", "statute", "2022", kind="section"),
    chunk(6, "USC:42/1395y", "statute", "2022", kind="section", ord_=1),
    chunk(7, "USC:42/1395y(a)(1)", "statute", "2022", kind="paragraph"),
]


def test_preferred_rows_are_the_newest_release_holding_each_reference() -> None:
    # E11.A is only in the older release: it stays findable by default
    assert preferred_rows(CHUNKS, RELEASES).tolist() == [True, False, True, True, True, True, True]


def test_reference_keys_join_chunks_and_releases_of_one_record() -> None:
    keys = reference_keys(CHUNKS)
    assert keys[1] == keys[3] and keys[4] == keys[5] and len(set(keys.tolist())) == 5


def test_embedded_rows_follow_the_policy() -> None:
    # no ICD-10-CM, no older release, statute: first chunk of sections, no paragraphs
    assert embedded_rows(CHUNKS, RELEASES) == [0, 4]


def test_codes_are_embedded_by_heading_and_category() -> None:
    text = embedding_text(CHUNKS[0])
    assert text.startswith("HCPCS:E0143\nHCPCS E0143: Walker, folding, wheeled")
    assert "durable medical equipment" in text


def test_record_prior() -> None:
    assert record_prior("hcpcs", {"pricing_indicators": ["54"]}, None) == 1.0
    assert record_prior("hcpcs", {"pricing_indicators": ["00"]}, None) < 1.0
    assert record_prior("hcpcs", {}, "2024-12-31") < 1.0
    assert record_prior("vault", {}, None) < record_prior("iom", {}, None)


def test_enclosing_titles() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE records (ref TEXT, source TEXT, title TEXT, parent TEXT)")
    conn.executemany(
        "INSERT INTO records VALUES (?,?,?,?)",
        [
            ("USC:42/1395x", "statute", "1395x Definitions", None),
            ("USC:42/1395x(q)", "statute", "1395x(q) Physicians' services", "USC:42/1395x"),
            ("USC:42/1395x(q)(1)", "statute", "1395x(q)(1) In general", "USC:42/1395x(q)"),
        ],
    )
    context = enclosing_titles(conn)
    assert context["USC:42/1395x(q)"] == "1395x Definitions"
    assert context["USC:42/1395x(q)(1)"] == "1395x(q) Physicians' services\n1395x Definitions"
    assert "USC:42/1395x" not in context


def test_categories_and_abbreviations_reach_terse_codes() -> None:
    assert "durable medical equipment" in category_words("HCPCS:E0601")
    assert "endocrine" in category_words("ICD10CM:E11.9")
    assert category_words("IOM:100-04/12/40.6") == ""
    cpap = Vocabulary({"CPAP": ["continuous positive airway pressure"]})
    terms = index_terms(cpap, "HCPCS:E0601", "Cont airway pressure device", "CPAP device")
    assert set(tokenize("continuous positive airway pressure")) <= set(terms)


def test_preferred_rows_shape() -> None:
    assert preferred_rows([], RELEASES).dtype == np.bool_


@pytest.mark.kb
def test_a_diagnosis_is_embedded_whole_and_by_each_own_inclusion_term(kb: KnowledgeBase) -> None:
    record = kb.get("ICD10CM:I10")
    assert record is not None
    row = ChunkRow(
        1, record.ref, record.source, record.release, record.kind, 0, record.title, record.text
    )
    whole, *terms = diagnosis_texts(row, "Includes: an ancestor's term")
    assert whole.startswith("Essential (primary) hypertension")
    assert "high blood pressure" in whole and "an ancestor's term" in whole
    assert terms[0] == "high blood pressure" and len(terms) == len(set(terms)) >= 2
    assert all("Excludes" not in term and "ancestor" not in term for term in terms)
