"""The dense path end to end on a small build of its own (POS and NCD from ../shared/cms):
vectors written at build time, reused on rebuild, used by hybrid search."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from medref.kb import KnowledgeBase
from medref.retrieval import layout
from medref.retrieval.search import Searcher
from medref.retrieval.sentences import sentence_spans
from medref.services.knowledge import build
from medref.settings import Settings

SOURCES = ("pos", "ncd")


@pytest.fixture(scope="module")
def small(cms_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(home=tmp_path_factory.mktemp("dense-kb"), sources=cms_dir, embeddings=True)
    build(settings, only=SOURCES, progress=False, log=lambda _msg: None)
    return settings


def dense_meta(settings: Settings) -> dict[str, int]:
    meta: dict[str, int] = json.loads(
        (layout.folder(settings.current.resolve()) / "dense.json").read_text()
    )
    return meta


def test_vectors_are_built_for_every_chunk(small: Settings) -> None:
    meta = dense_meta(small)
    kb = KnowledgeBase.open(small)
    chunks = kb.conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    assert meta["chunks"] == chunks and meta["embedded"] == meta["vectors"] > 0
    vectors = np.load(layout.folder(kb.path) / "dense_vectors.npy")
    assert vectors.dtype == np.float16 and vectors.shape == (meta["vectors"], 384)


def test_rebuild_reuses_vectors_of_unchanged_text(small: Settings) -> None:
    build(small, only=SOURCES, progress=False, force=True, log=lambda _msg: None)
    meta = dense_meta(small)
    assert meta["embedded"] == 0 and meta["reused"] == meta["vectors"]


def test_dense_and_hybrid_search(small: Settings) -> None:
    searcher = Searcher(KnowledgeBase.open(small))
    assert searcher.dense is not None
    dense = searcher.search_dense("video visit with the patient at home", k=3)
    assert dense[0].via == "dense" and "POS:10" in [hit.ref for hit in dense]
    hybrid = searcher.search("sleep apnea breathing machine coverage", k=3)
    assert hybrid[0].ref == "NCD:240.4"


def test_dense_can_be_switched_off(small: Settings) -> None:
    searcher = Searcher(KnowledgeBase.open(small), dense=False)
    assert searcher.dense is None and searcher.search_dense("telehealth") == []


def test_sentences_of_prose_records_are_embedded_once_and_reused(small: Settings) -> None:
    build(small, only=SOURCES, progress=False, force=True, log=lambda _msg: None)
    where = layout.folder(small.current.resolve())
    meta = json.loads((where / "sentences.json").read_text())
    assert meta["sentences"] > 100 and meta["embedded"] == 0, "reused by the rebuild"
    searcher = Searcher(KnowledgeBase.open(small))
    assert searcher.sentence_vectors is not None
    record = searcher.kb.get("NCD:240.4")
    assert record is not None
    spans = sentence_spans(record.text)
    found = [searcher.sentence_vectors.of(record.text[s.start : s.end]) for s in spans]
    assert all(vector is not None and vector.shape == (384,) for vector in found)


def test_evidence_is_ranked_by_meaning_as_well_as_words(small: Settings) -> None:
    from medref.answer.context import context_for
    from medref.answer.evidence import profile, score, windows
    from medref.retrieval.question import read

    kb = KnowledgeBase.open(small)
    searcher = Searcher(kb)
    ctx = context_for(kb, searcher)
    question = read("Does the CPAP trial period last three months?")
    hits = searcher.search(question, k=5)
    pool = windows(kb, hits, ctx.sentences)
    wanted = profile(question, ctx.weights)
    plain = score(pool, wanted)
    meant = score(pool, wanted, searcher.query_vector(question.text))
    assert all(item.meaning is None for item in plain)
    assert any(item.meaning is not None for item in meant[:5])
    assert meant[0].ref == "NCD:240.4" and "12" in meant[0].quote


def test_each_record_knows_its_sentences_for_ranking_by_meaning(small: Settings) -> None:
    searcher = Searcher(KnowledgeBase.open(small))
    assert searcher.sentence_vectors is not None
    record = searcher.kb.get("NCD:240.4")
    assert record is not None
    row = searcher.kb.conn.execute("SELECT id FROM records WHERE ref = 'NCD:240.4'").fetchone()
    close = searcher.query_vector("CPAP for obstructive sleep apnea, a 12-week trial")
    far = searcher.query_vector("place of service for a school")
    assert close is not None and far is not None
    near_match = searcher.sentence_vectors.best_match(row[0], close)
    far_match = searcher.sentence_vectors.best_match(row[0], far)
    assert near_match is not None and far_match is not None and near_match > far_match
