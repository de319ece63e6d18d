"""BM25 (Okapi, Lucene's non-negative idf) over token lists, as a sparse term x document
matrix of precomputed term weights: scoring a query sums the posting rows of its terms.

Saved as `<name>.npz` (scipy sparse, no pickle) plus `<name>.json` (parameters and
vocabulary), so an index is an inspectable pair of files.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse

from medref.errors import KnowledgeBaseError

FORMAT_VERSION = 1
Scores = npt.NDArray[np.float32]


def idf(document_frequency: int, documents: int) -> float:
    """Lucene's BM25 idf: like Robertson-Sparck Jones but never negative."""
    return math.log(1.0 + (documents - document_frequency + 0.5) / (document_frequency + 0.5))


@dataclass(frozen=True)
class Bm25Index:
    k1: float
    b: float
    vocabulary: dict[str, int]
    weights: scipy.sparse.csr_matrix
    """Row per term, column per document: the BM25 contribution of the term to the document."""

    @property
    def documents(self) -> int:
        return int(self.weights.shape[1])

    def score(self, query: Sequence[str]) -> Scores:
        """BM25 of every document for the query terms (a repeated term counts again)."""
        scores = np.zeros(self.documents, dtype=np.float32)
        indptr, indices, data = self.weights.indptr, self.weights.indices, self.weights.data
        for term, count in Counter(query).items():
            row = self.vocabulary.get(term)
            if row is None:
                continue
            start, end = indptr[row], indptr[row + 1]
            scores[indices[start:end]] += data[start:end] * np.float32(count)
        return scores

    def save(self, folder: Path, name: str) -> None:
        scipy.sparse.save_npz(folder / f"{name}.npz", self.weights, compressed=False)
        meta = {
            "format": FORMAT_VERSION,
            "k1": self.k1,
            "b": self.b,
            "documents": self.documents,
            "vocabulary": self.vocabulary,
        }
        (folder / f"{name}.json").write_text(json.dumps(meta, separators=(",", ":")))

    @classmethod
    def load(cls, folder: Path, name: str) -> Bm25Index:
        try:
            meta = json.loads((folder / f"{name}.json").read_text())
            weights = scipy.sparse.load_npz(folder / f"{name}.npz").tocsr()
        except (OSError, ValueError) as exc:
            raise KnowledgeBaseError(
                f"the BM25 index {name} in {folder} is missing or unreadable ({exc}): "
                "run `medref build --force`"
            ) from exc
        if meta.get("format") != FORMAT_VERSION:
            raise KnowledgeBaseError(
                f"the BM25 index {name} in {folder} has format {meta.get('format')}, this "
                f"medref reads {FORMAT_VERSION}: run `medref build --force`"
            )
        return cls(meta["k1"], meta["b"], meta["vocabulary"], weights)


def build_index(documents: Iterable[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> Bm25Index:
    """Index token lists; document i is column i."""
    vocabulary: dict[str, int] = {}
    term_ids: list[int] = []
    doc_ids: list[int] = []
    counts: list[int] = []
    lengths: list[int] = []
    for doc, tokens in enumerate(documents):
        lengths.append(len(tokens))
        for term, count in Counter(tokens).items():
            term_ids.append(vocabulary.setdefault(term, len(vocabulary)))
            doc_ids.append(doc)
            counts.append(count)
    n_docs = len(lengths)
    rows = np.asarray(term_ids, dtype=np.int64)
    cols = np.asarray(doc_ids, dtype=np.int64)
    tf = np.asarray(counts, dtype=np.float64)
    length = np.asarray(lengths, dtype=np.float64)
    average = float(length.mean()) if n_docs and length.mean() > 0 else 1.0
    df = np.bincount(rows, minlength=len(vocabulary)).astype(np.float64)
    term_idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
    norm = k1 * (1.0 - b + b * length[cols] / average) if n_docs else np.zeros(0)
    weight = term_idf[rows] * tf * (k1 + 1.0) / (tf + norm)
    matrix = scipy.sparse.csr_matrix(
        (weight.astype(np.float32), (rows, cols)), shape=(len(vocabulary), n_docs)
    )
    matrix.sort_indices()
    return Bm25Index(k1, b, vocabulary, matrix)
