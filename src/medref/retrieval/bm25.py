"""BM25 (Okapi, Lucene's non-negative idf) over token lists, as a term x document matrix of
precomputed term weights in compressed sparse rows: scoring a query sums the posting rows of
its terms.

On disk an index is plain `.npy` arrays and a JSON file, read memory-mapped, so opening
one costs next to nothing however large it is (a search touches only its terms' rows):

| file | content |
|---|---|
| `<name>.json` | format, k1, b, number of documents and terms |
| `<name>_terms.npy` | the terms, UTF-8 bytes, sorted: term row = position (binary search) |
| `<name>_indptr.npy` | int64, terms + 1: row r's postings are `[indptr[r], indptr[r + 1])` |
| `<name>_indices.npy` | int32 document (index row) of each posting, ascending within a row |
| `<name>_data.npy` | float32 BM25 weight of each posting |
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from medref.errors import KnowledgeBaseError

FORMAT_VERSION = 2
Scores = npt.NDArray[np.float32]
ARRAYS = ("terms", "indptr", "indices", "data")


def idf(document_frequency: int, documents: int) -> float:
    """Lucene's BM25 idf: like Robertson-Sparck Jones but never negative."""
    return math.log(1.0 + (documents - document_frequency + 0.5) / (document_frequency + 0.5))


class Terms(Mapping[str, int]):
    """Term -> row, over a sorted array of UTF-8 terms: a binary search per lookup, so a
    memory-mapped vocabulary of 250k terms needs no parsing to be used."""

    def __init__(self, sorted_terms: npt.NDArray[np.bytes_]) -> None:
        self._terms = sorted_terms

    def __getitem__(self, term: str) -> int:
        key = term.encode()
        row = int(np.searchsorted(self._terms, key))
        if row < len(self._terms) and self._terms[row] == key:
            return row
        raise KeyError(term)

    def __iter__(self) -> Iterator[str]:
        return (bytes(term).decode() for term in self._terms)

    def __len__(self) -> int:
        return len(self._terms)

    @property
    def array(self) -> npt.NDArray[np.bytes_]:
        return self._terms


@dataclass(frozen=True)
class Postings:
    """Row per term, column per document (compressed sparse rows): the BM25 contribution
    of the term to each document holding it."""

    indptr: npt.NDArray[np.int64]
    indices: npt.NDArray[np.int32]
    data: Scores
    documents: int


@dataclass(frozen=True)
class Bm25Index:
    k1: float
    b: float
    vocabulary: Terms
    weights: Postings

    @property
    def documents(self) -> int:
        return self.weights.documents

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
        arrays: tuple[npt.NDArray[Any], ...] = (
            self.vocabulary.array,
            self.weights.indptr,
            self.weights.indices,
            self.weights.data,
        )
        for part, array in zip(ARRAYS, arrays, strict=True):
            np.save(folder / f"{name}_{part}.npy", array, allow_pickle=False)
        meta = {
            "format": FORMAT_VERSION,
            "k1": self.k1,
            "b": self.b,
            "documents": self.documents,
            "terms": len(self.vocabulary),
        }
        (folder / f"{name}.json").write_text(json.dumps(meta))

    @classmethod
    def load(cls, folder: Path, name: str) -> Bm25Index:
        """The index files memory-mapped, read-only."""
        try:
            meta = json.loads((folder / f"{name}.json").read_text())
            if meta.get("format") != FORMAT_VERSION:
                raise KnowledgeBaseError(
                    f"the BM25 index {name} in {folder} has format {meta.get('format')}, this "
                    f"medref reads {FORMAT_VERSION}: run `medref build --force`"
                )
            terms, indptr, indices, data = (
                np.asarray(np.load(folder / f"{name}_{part}.npy", mmap_mode="r")) for part in ARRAYS
            )
        except (OSError, ValueError) as exc:
            raise KnowledgeBaseError(
                f"the BM25 index {name} in {folder} is missing or unreadable ({exc}): "
                "run `medref build --force`"
            ) from exc
        postings = Postings(indptr, indices, data, int(meta["documents"]))
        return cls(meta["k1"], meta["b"], Terms(terms), postings)


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
    terms = np.array([term.encode() for term in vocabulary], dtype=np.bytes_)
    order = np.argsort(terms, kind="stable")
    row_of_id = np.empty(len(order), dtype=np.int64)
    row_of_id[order] = np.arange(len(order))
    rows = row_of_id[np.asarray(term_ids, dtype=np.int64)]
    cols = np.asarray(doc_ids, dtype=np.int64)
    tf = np.asarray(counts, dtype=np.float64)
    length = np.asarray(lengths, dtype=np.float64)
    average = float(length.mean()) if n_docs and length.mean() > 0 else 1.0
    df = np.bincount(rows, minlength=len(vocabulary)).astype(np.float64)
    term_idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
    norm = k1 * (1.0 - b + b * length[cols] / average) if n_docs else np.zeros(0)
    weight = term_idf[rows] * tf * (k1 + 1.0) / (tf + norm)
    by_row = np.lexsort((cols, rows))
    indptr = np.zeros(len(vocabulary) + 1, dtype=np.int64)
    np.cumsum(df.astype(np.int64), out=indptr[1:])
    postings = Postings(
        indptr, cols[by_row].astype(np.int32), weight[by_row].astype(np.float32), n_docs
    )
    return Bm25Index(k1, b, Terms(terms[order]), postings)
