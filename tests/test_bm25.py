"""BM25 against a direct implementation of the formula, and its files on disk."""

from __future__ import annotations

import math
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from medref.errors import KnowledgeBaseError
from medref.retrieval.bm25 import ARRAYS, Bm25Index, build_index, idf


def reference_scores(docs: list[list[str]], query: list[str], k1: float, b: float) -> list[float]:
    """Okapi BM25 with Lucene's idf, term by term, as written in the textbooks."""
    n = len(docs)
    average = sum(len(d) for d in docs) / n
    scores = []
    for doc in docs:
        counts = Counter(doc)
        total = 0.0
        for term in query:
            df = sum(1 for d in docs if term in d)
            if df == 0 or counts[term] == 0:
                continue
            term_idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            tf = counts[term]
            total += term_idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(doc) / average))
        scores.append(total)
    return scores


@pytest.fixture
def corpus() -> list[list[str]]:
    rng = random.Random(7)
    words = [f"w{i}" for i in range(40)]
    return [rng.choices(words, k=rng.randint(1, 30)) for _ in range(200)]


@pytest.mark.parametrize(("k1", "b"), [(1.2, 0.75), (0.9, 0.4), (2.0, 1.0), (1.5, 0.0)])
def test_scores_match_the_reference(corpus: list[list[str]], k1: float, b: float) -> None:
    index = build_index(corpus, k1=k1, b=b)
    rng = random.Random(11)
    for _ in range(20):
        query = rng.choices([f"w{i}" for i in range(45)], k=rng.randint(1, 5))
        expected = reference_scores(corpus, query, k1, b)
        assert np.allclose(index.score(query), expected, rtol=1e-5, atol=1e-5)


def test_unknown_terms_score_nothing(corpus: list[list[str]]) -> None:
    index = build_index(corpus)
    assert not index.score(["nope", "nothing"]).any()
    assert not index.score([]).any()


def test_idf_is_never_negative() -> None:
    assert idf(100, 100) > 0
    assert idf(1, 100) > idf(50, 100)


def test_save_and_load_round_trip(corpus: list[list[str]], tmp_path: Path) -> None:
    index = build_index(corpus, k1=1.1, b=0.6)
    index.save(tmp_path, "body")
    loaded = Bm25Index.load(tmp_path, "body")
    assert (loaded.k1, loaded.b, dict(loaded.vocabulary)) == (1.1, 0.6, dict(index.vocabulary))
    assert np.array_equal(loaded.score(["w1", "w2"]), index.score(["w1", "w2"]))
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["body.json", *(f"body_{part}.npy" for part in sorted(ARRAYS))]


def test_index_files_are_plain_arrays_read_memory_mapped(
    corpus: list[list[str]], tmp_path: Path
) -> None:
    """No pickle and no parsing on load: every array opens with allow_pickle=False and is
    mapped, not read, so opening a large index costs next to nothing."""
    build_index(corpus).save(tmp_path, "body")
    for part in ARRAYS:
        assert np.load(tmp_path / f"body_{part}.npy", allow_pickle=False).ndim == 1
    loaded = Bm25Index.load(tmp_path, "body")
    for array in (loaded.vocabulary.array, loaded.weights.indices, loaded.weights.data):
        assert isinstance(array.base, np.memmap) or isinstance(array, np.memmap)
        assert not array.flags.writeable


def test_terms_map_words_to_rows_in_sorted_order(corpus: list[list[str]]) -> None:
    index = build_index([*corpus, ["élan", "naïve", "w1"]])
    rows = dict(index.vocabulary)
    assert sorted(rows.values()) == list(range(len(rows)))
    assert [term.encode() for term in rows] == sorted(term.encode() for term in rows)
    assert "élan" in index.vocabulary and "nope" not in index.vocabulary
    assert index.vocabulary.get("w1") == rows["w1"]
    assert index.score(["naïve"]).nonzero()[0].tolist() == [len(corpus)]


def test_an_index_of_an_older_format_asks_for_a_rebuild(
    corpus: list[list[str]], tmp_path: Path
) -> None:
    build_index(corpus).save(tmp_path, "body")
    meta = tmp_path / "body.json"
    meta.write_text(meta.read_text().replace('"format": 2', '"format": 1'))
    with pytest.raises(KnowledgeBaseError, match=r"format 1.*medref build --force"):
        Bm25Index.load(tmp_path, "body")


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="medref build"):
        Bm25Index.load(tmp_path, "body")


def test_empty_corpus_builds() -> None:
    index = build_index([])
    assert index.documents == 0 and index.score(["a"]).shape == (0,)
