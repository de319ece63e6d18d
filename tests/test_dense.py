"""The packaged embedding model, offline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from medref.errors import KnowledgeBaseError
from medref.retrieval.dense import DIMS, MODEL_ID, DenseIndex, Embedder, _package_file


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder(threads=1)


def test_vectors_are_unit_length_rows(embedder: Embedder) -> None:
    vectors = embedder.embed(["walker with wheels", "influenza vaccine administration"])
    assert vectors.shape == (2, DIMS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_meaning_is_closer_than_unrelated_text(embedder: Embedder) -> None:
    query, near, far = embedder.embed(
        ["flu shot", "Administration of influenza virus vaccine", "Hospital bed, institutional"]
    )
    assert query @ near > query @ far


def test_batches_keep_input_order(embedder: Embedder) -> None:
    texts = ["a much longer text about durable medical equipment and oxygen", "cane", "walker"]
    together = embedder.embed_many(texts, batch=2)
    one_by_one = np.vstack([embedder.embed([text]) for text in texts])
    assert np.allclose(together, one_by_one, atol=1e-4)


def test_empty_input(embedder: Embedder) -> None:
    assert embedder.embed([]).shape == (0, DIMS)


def test_missing_package_is_a_clear_error() -> None:
    with pytest.raises(KnowledgeBaseError, match="pip install no-such-model-package"):
        _package_file("no-such-model-package", "model.onnx")


def test_a_row_with_several_vectors_scores_its_best(embedder: Embedder, tmp_path: Path) -> None:
    """A diagnosis code is embedded whole and by each inclusion term; its similarity to a
    question is its best vector's."""
    texts = ["Essential (primary) hypertension", "Hospital bed", "high blood pressure"]
    vectors = embedder.embed(texts)
    np.save(tmp_path / "dx_vectors.npy", vectors.astype(np.float16))
    np.save(tmp_path / "dx_rows.npy", np.array([[7, 0], [3, 1], [7, 2]], dtype=np.int64))
    (tmp_path / "dx.json").write_text(json.dumps({"model": MODEL_ID}))
    index = DenseIndex(tmp_path, embedder, name="dx")
    rows, similarity = index.similarities("blood pressure is high")
    best = dict(zip(rows.tolist(), similarity.tolist(), strict=True))
    assert sorted(best) == [3, 7]
    query = embedder.embed(["blood pressure is high"])[0]
    assert best[7] == pytest.approx(float(max(vectors[0] @ query, vectors[2] @ query)), abs=2e-3)
    assert best[7] > float(vectors[0] @ query) + 0.05
