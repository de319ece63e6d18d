"""The packaged embedding model, offline."""

from __future__ import annotations

import numpy as np
import pytest

from medref.errors import KnowledgeBaseError
from medref.retrieval.dense import DIMS, Embedder, _package_file


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
