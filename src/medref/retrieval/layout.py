"""The retrieval files of a build, in `<build>/retrieval/`: what the build step writes and
the searcher reads. Arrays are `.npy`, parameters and names JSON; nothing is pickled. The
searcher memory-maps the arrays (read-only), so opening a build reads only what a query
touches.

| file | content |
|---|---|
| `chunks.npy` | chunk id of each index row (rows follow chunk ids) |
| `chunk_release.npy` | index into `chunks.json` releases of each row |
| `chunk_preferred.npy` | row is from the newest release holding its reference |
| `chunk_key.npy` | number of the row's (source, reference): hits are deduplicated on it |
| `chunk_prior.npy` | factor on the row's fused score (see `index.record_prior`) |
| `chunks.json` | the (source, release) pairs, oldest release of each source first |
| `bm25_body*`, `bm25_title*` | BM25 over title + text + enrichment, and over titles (see `bm25`) |
| `dense_vectors.npy` | float16 unit vectors, one per distinct embedded text |
| `dense_hashes.npy` | hash of each vector's text (the rebuild cache key) |
| `dense_rows.npy` | (index row, vector row) of each embedded chunk |
| `dense.json` | model, dims, max tokens, counts |
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from medref.errors import KnowledgeBaseError

FOLDER = "retrieval"
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float32]


def folder(build: Path) -> Path:
    return build / FOLDER


@dataclass(frozen=True)
class ChunkTable:
    """Per index row: which chunk, which release, and whether it is preferred by default."""

    chunk_ids: IntArray
    release_of: IntArray
    preferred: BoolArray
    key_of: IntArray
    prior: FloatArray
    releases: list[tuple[str, str]]

    def save(self, where: Path) -> None:
        np.save(where / "chunks.npy", self.chunk_ids)
        np.save(where / "chunk_release.npy", self.release_of)
        np.save(where / "chunk_preferred.npy", self.preferred)
        np.save(where / "chunk_key.npy", self.key_of)
        np.save(where / "chunk_prior.npy", self.prior)
        (where / "chunks.json").write_text(json.dumps({"releases": self.releases}))

    @classmethod
    def load(cls, where: Path) -> ChunkTable:
        try:
            releases = json.loads((where / "chunks.json").read_text())["releases"]
            return cls(
                _mapped(where / "chunks.npy"),
                _mapped(where / "chunk_release.npy"),
                _mapped(where / "chunk_preferred.npy"),
                _mapped(where / "chunk_key.npy"),
                _mapped(where / "chunk_prior.npy"),
                [(source, release) for source, release in releases],
            )
        except (OSError, ValueError, KeyError) as exc:
            raise KnowledgeBaseError(
                f"the retrieval index in {where} is missing or unreadable ({exc}): "
                "run `medref build --force`"
            ) from exc

    def rows_of(self, chunk_ids: IntArray) -> IntArray:
        """Index rows of chunk ids (which must be indexed)."""
        return np.searchsorted(self.chunk_ids, chunk_ids).astype(np.int64)


def _mapped(path: Path) -> npt.NDArray[Any]:
    """A saved array memory-mapped read-only, as a plain ndarray."""
    return np.asarray(np.load(path, mmap_mode="r"))
