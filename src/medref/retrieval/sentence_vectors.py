"""MiniLM vectors of the sentences answers quote from, made at build time.

The answerer ranks candidate sentences by the words they share with the question and by
meaning: "How long must we keep a signed ABN?" is answered by a sentence about retaining
the notice, which shares few of its words. Embedding sentences while answering costs tens
of milliseconds each on two cores, so every sentence of the prose sources (manuals,
coverage documents, statute, our vault and modifier notes) is embedded once per build,
each distinct text once, and vectors of unchanged texts are copied from the previous build.

Files in `<build>/retrieval/`: `sentence_vectors.npy` (float16 unit vectors),
`sentence_hashes.npy` (the text hash of each row), `sentence_records.npy` and
`sentence_rows.npy` (the sentences of each record) and `sentences.json` (model, counts).
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from medref.errors import KnowledgeBaseError
from medref.retrieval.dense import DIMS, MODEL_ID, Embedder, text_hash
from medref.retrieval.sentences import sentence_spans
from medref.settings import Settings

SOURCES = ("iom", "ncd", "lcd", "article", "statute", "vault", "modifiers")
"""Sources whose records answers quote sentence by sentence."""
MAX_TOKENS = 128
"""A quoted sentence is short; longer ones are cut at clauses (sentences.MAX_SPAN)."""
VECTORS = "sentence_vectors.npy"
RECORDS = "sentence_records.npy"
"""(record id, first, end) into ROWS: where each record's sentences are."""
ROWS = "sentence_rows.npy"
"""The vector row of each sentence of each record, records in id order."""
HASHES = "sentence_hashes.npy"
META = "sentences.json"
Vector = npt.NDArray[np.float32]
"""One unit vector."""


def sentence_key(text: str) -> str:
    return text_hash(text, MAX_TOKENS)


def prose_sentences(conn: sqlite3.Connection) -> tuple[list[str], dict[int, list[int]]]:
    """Every distinct sentence of the prose sources' records, and for each record (by id)
    the positions of its sentences in that list."""
    marks = ",".join("?" * len(SOURCES))
    found: dict[str, int] = {}
    of_record: dict[int, list[int]] = {}
    for record_id, text in conn.execute(
        f"SELECT id, text FROM records WHERE source IN ({marks}) ORDER BY id", SOURCES
    ):
        rows = of_record.setdefault(record_id, [])
        for span in sentence_spans(text):
            rows.append(found.setdefault(text[span.start : span.end], len(found)))
    return list(found), of_record


def _previous(previous: Path | None) -> dict[str, npt.NDArray[np.float16]]:
    if previous is None:
        return {}
    where = previous / "retrieval"
    try:
        meta = json.loads((where / META).read_text())
        if meta.get("model") != MODEL_ID or meta.get("max_tokens") != MAX_TOKENS:
            return {}
        hashes = np.load(where / HASHES)
        vectors = np.load(where / VECTORS)
    except (OSError, ValueError):
        return {}
    return {h.decode("ascii"): vectors[i] for i, h in enumerate(hashes)}


def build(
    conn: sqlite3.Connection,
    where: Path,
    previous: Path | None,
    settings: Settings,
    progress: bool,
) -> dict[str, Any]:
    """Embed the build's prose sentences (reusing the previous build's vectors)."""
    from tqdm import tqdm

    started = time.perf_counter()
    texts, of_record = prose_sentences(conn)
    hashes = [sentence_key(text) for text in texts]
    cache = _previous(previous)
    vectors = np.zeros((len(texts), DIMS), dtype=np.float16)
    missing = [i for i, key in enumerate(hashes) if key not in cache]
    for i, key in enumerate(hashes):
        if key in cache:
            vectors[i] = cache[key]
    if missing:
        embedder = Embedder(max_tokens=MAX_TOKENS)
        with tqdm(
            total=len(missing),
            desc="sentence vectors",
            unit=" texts",
            disable=not progress,
            leave=False,
        ) as bar:
            fresh = embedder.embed_many(
                [texts[i] for i in missing], settings.embed_batch, bar.update
            )
        vectors[missing] = fresh.astype(np.float16)
    np.save(where / VECTORS, vectors)
    np.save(where / HASHES, np.array(hashes, dtype="S32"))
    record_ids = np.array(sorted(of_record), dtype=np.int64)
    offsets = np.zeros(len(record_ids) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(of_record[int(r)]) for r in record_ids])
    np.save(where / RECORDS, np.stack([record_ids, offsets[:-1], offsets[1:]], axis=1))
    np.save(
        where / ROWS, np.array([i for r in record_ids for i in of_record[int(r)]], dtype=np.int64)
    )
    meta = {
        "model": MODEL_ID,
        "max_tokens": MAX_TOKENS,
        "sentences": len(texts),
        "embedded": len(missing),
        "reused": len(texts) - len(missing),
        "seconds": round(time.perf_counter() - started, 1),
    }
    (where / META).write_text(json.dumps(meta, indent=2))
    return meta


class SentenceVectors:
    """The build's sentence vectors, looked up by sentence text (memory-mapped)."""

    def __init__(self, where: Path) -> None:
        try:
            meta = json.loads((where / META).read_text())
            self._vectors = np.load(where / VECTORS, mmap_mode="r")
            hashes = np.load(where / HASHES)
        except (OSError, ValueError) as exc:
            raise KnowledgeBaseError(
                f"the sentence vectors in {where} are missing or unreadable ({exc}): "
                "run `medref build --force`"
            ) from exc
        if meta.get("model") != MODEL_ID or meta.get("max_tokens") != MAX_TOKENS:
            raise KnowledgeBaseError(
                f"the sentence vectors in {where} were made by another model: "
                "run `medref build --force`"
            )
        self._row = {h.decode("ascii"): i for i, h in enumerate(hashes)}
        records = np.load(where / RECORDS)
        self._spans = {int(r): (int(a), int(b)) for r, a, b in records}
        self._rows = np.load(where / ROWS, mmap_mode="r")

    @classmethod
    def load(cls, where: Path) -> SentenceVectors | None:
        """The vectors of a build made with embeddings, else None."""
        return cls(where) if (where / META).exists() else None

    def best_match(self, record_id: int, question: Vector) -> float | None:
        """The highest similarity of the question to one of the record's sentences."""
        span = self._spans.get(record_id)
        if span is None or span[0] == span[1]:
            return None
        rows = np.asarray(self._rows[span[0] : span[1]])
        vectors = np.asarray(self._vectors[rows], dtype=np.float32)
        return float((vectors @ question).max())

    def of(self, text: str) -> Vector | None:
        row = self._row.get(sentence_key(text))
        if row is None:
            return None
        return np.asarray(self._vectors[row], dtype=np.float32)
