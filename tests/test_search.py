"""Hybrid search on the knowledge base built from ../shared/cms."""

from __future__ import annotations

from dataclasses import replace

import pytest

from medref.errors import InputError
from medref.kb import KnowledgeBase
from medref.retrieval.search import Hit, Searcher, specific_first
from medref.retrieval.snippet import snippet
from medref.retrieval.tokenize import tokenize

pytestmark = pytest.mark.kb


@pytest.fixture(scope="module")
def searcher(kb: KnowledgeBase) -> Searcher:
    return Searcher(kb)


@pytest.mark.parametrize(
    ("query", "ref"),
    [
        ("G0439", "HCPCS:G0439"),
        ("What is HCPCS code E0601?", "HCPCS:E0601"),
        ("What is ICD-10-CM code E11.9?", "ICD10CM:E11.9"),
        ("icd-10 e119", "ICD10CM:E11.9"),
        ("What does modifier GA mean?", "MOD:GA"),
        ("place of service 11", "POS:11"),
        ("global surgery days for 99213", "PFS:99213"),
        ("MUE for J1100", "MUE:J1100"),
        ("NCD 240.4", "NCD:240.4"),
        ("100-04 chapter 12 section 40.8", "IOM:100-04/12/40.8"),
        ("§30.6.18", "IOM:100-04/12/30.6.18"),
        ("42 U.S.C. 1395y(a)", "USC:42/1395y(a)"),
        ("section 1877 of the Social Security Act", "USC:42/1395nn"),
    ],
)
def test_exact_references_rank_first(searcher: Searcher, query: str, ref: str) -> None:
    top = searcher.search(query, k=3)[0]
    assert top.ref == ref
    assert top.via == "route"


def test_mue_prefers_the_setting_asked_for(searcher: Searcher) -> None:
    hits = searcher.search("outpatient hospital MUE for J1100", k=3)
    assert (hits[0].ref, hits[0].source) == ("MUE:J1100", "ncci-mue-outpatient")
    assert searcher.search("practitioner MUE for J1100", k=1)[0].source == "ncci-mue-practitioner"


def test_ptp_pair_in_either_order(searcher: Searcher) -> None:
    for query in ("NCCI edit between 93000 and 93010", "NCCI edit between 93010 and 93000"):
        top = searcher.search(query, k=3)[0]
        assert top.ref == "PTP:93000/93010" and top.chunk_id is None


def test_add_on_codes_of_a_primary(searcher: Searcher) -> None:
    hits = searcher.search("prolonged visit add-on code reported with 99215", k=5)
    assert hits[0].ref.startswith("AOC:99215/")
    assert "AOC:99215/G2212" in [hit.ref for hit in hits]


def test_lay_words_reach_terse_code_text(searcher: Searcher) -> None:
    refs = [hit.ref for hit in searcher.search("walker with wheels", k=5)]
    assert {"HCPCS:E0141", "HCPCS:E0143"} & set(refs), refs


def test_source_filter(searcher: Searcher) -> None:
    hits = searcher.search("walker with wheels", k=10, sources=["icd10cm"])
    assert hits and {hit.source for hit in hits} == {"icd10cm"}


def test_newest_release_by_default_and_older_on_request(
    searcher: Searcher, kb: KnowledgeBase
) -> None:
    releases = [info.release for info in kb.releases("icd10cm")]
    assert len(releases) >= 2
    assert searcher.search("E11.9", k=1)[0].release == releases[-1]
    assert searcher.search("E11.9", k=1, release=releases[0])[0].release == releases[0]


def test_date_of_service_picks_the_release_in_force(searcher: Searcher, kb: KnowledgeBase) -> None:
    oldest = kb.releases("icd10cm")[0]
    assert oldest.effective is not None
    hit = searcher.search("E11.9", k=1, sources=["icd10cm"], date_of_service=oldest.effective)[0]
    assert hit.release == oldest.release


def test_hits_are_unique_by_source_and_reference(searcher: Searcher) -> None:
    hits = searcher.search("multiple surgery payment reduction", k=20)
    keys = [(hit.source, hit.ref) for hit in hits]
    assert len(keys) == len(set(keys)) == 20


def test_hits_carry_citations_and_snippets(searcher: Searcher) -> None:
    hit = searcher.search("How long must a provider keep a signed ABN?", k=1)[0]
    assert hit.ref.startswith("IOM:100-04/30/")
    assert hit.title and hit.chunk_id is not None and hit.record_id is not None
    assert len(hit.snippet) <= 260
    assert hit.snippet.strip("… ") in " ".join(hit.text.split())


def test_baselines(searcher: Searcher) -> None:
    bm25 = searcher.search_bm25("continuous positive airway pressure device", k=5)
    assert bm25 and {hit.via for hit in bm25} == {"bm25"}
    dense = searcher.search_dense("continuous positive airway pressure device", k=5)
    if searcher.dense is not None:
        assert dense and {hit.via for hit in dense} == {"dense"}
    else:
        assert dense == []


def test_empty_query_is_refused(searcher: Searcher) -> None:
    with pytest.raises(InputError):
        searcher.search("   ")


def test_snippet_centres_on_query_terms() -> None:
    text = (
        ("filler words here. " * 40)
        + "The ABN retention period is five years. "
        + ("more filler text. " * 40)
    )
    piece = snippet(text, tokenize("ABN retention"))
    assert "retention" in piece and piece.startswith("…") and len(piece) <= 260


@pytest.mark.parametrize(
    ("query", "ref"),
    [
        ("How does the law define physician?", "USC:42/1395x(r)"),
        (
            "How does the statute define medical and other health services?",
            "USC:42/1395x(s)",
        ),
    ],
)
def test_definition_questions_reach_the_defining_subsection(
    searcher: Searcher, query: str, ref: str
) -> None:
    assert searcher.search(query, k=3)[0].ref == ref


def _statute_hit(ref: str, score: float) -> Hit:
    return Hit(ref, "statute", "2022", ref, "", score, None, None, "", "fused")


def test_a_statute_descendant_swaps_with_its_ancestor_ranked_above() -> None:
    hits = [
        _statute_hit("USC:42/1395y(a)", 0.5),
        _statute_hit("USC:42/1395l(a)", 0.4),
        _statute_hit("USC:42/1395y(a)(13)", 0.3),
        _statute_hit("USC:42/1395y(a)(13)(C)", 0.2),
    ]
    ranked = specific_first(hits)
    assert [h.ref for h in ranked] == [
        "USC:42/1395y(a)(13)",
        "USC:42/1395l(a)",
        "USC:42/1395y(a)",
        "USC:42/1395y(a)(13)(C)",
    ]
    assert [h.score for h in ranked] == [0.5, 0.4, 0.3, 0.2]


def test_other_sources_keep_their_order() -> None:
    hits = [
        replace(_statute_hit("IOM:100-04/12/40", 0.5), source="iom"),
        replace(_statute_hit("IOM:100-04/12/40.1", 0.4), source="iom"),
    ]
    assert specific_first(hits) == hits
