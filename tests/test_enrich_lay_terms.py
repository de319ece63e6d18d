"""Lay words reach the official descriptions they mean, read from the real code files."""

from __future__ import annotations

import pytest

from medref.kb import KnowledgeBase
from medref.retrieval.enrich import index_terms
from medref.retrieval.tokenize import tokenize

LAY_WORDS = [
    ("ICD10CM:J11.1", "flu"),
    ("ICD10CM:N39.0", "uti"),
    ("HCPCS:E0100", "walking stick"),
    ("HCPCS:E0114", "under the arm"),
    ("HCPCS:A6530", "support hose"),
    ("HCPCS:A4259", "finger prick"),
]


def _chunk(kb: KnowledgeBase, ref: str) -> tuple[str, str]:
    found = kb.conn.execute("SELECT title, text FROM chunks WHERE ref = ? LIMIT 1", (ref,))
    row = found.fetchone()
    assert row is not None, f"{ref} is missing from the test knowledge base"
    return row[0], row[1]


@pytest.mark.parametrize(("ref", "lay"), LAY_WORDS)
def test_lay_words_are_indexed_with_the_official_description(
    kb: KnowledgeBase, ref: str, lay: str
) -> None:
    title, text = _chunk(kb, ref)
    assert not set(tokenize(lay)) <= set(tokenize(f"{title}\n{text}")), "not a lay word here"
    assert set(tokenize(lay)) <= set(index_terms(ref, title, text))


def test_the_code_a_lay_term_means_holds_it_more_often_than_its_siblings(
    kb: KnowledgeBase,
) -> None:
    """An unqualified "UTI" is N39.0, not the neonatal urinary tract infection P39.3."""
    default = index_terms("ICD10CM:N39.0", *_chunk(kb, "ICD10CM:N39.0"))
    sibling = index_terms("ICD10CM:P39.3", *_chunk(kb, "ICD10CM:P39.3"))
    assert default.count("uti") > sibling.count("uti") > 0
