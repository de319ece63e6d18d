"""The `retrieval` build step: BM25 indexes over every chunk and dense vectors over the
chunks worth embedding, written beside the build's database (see layout.py).

What is embedded, and why. The packaged MiniLM (int8 ONNX) embeds a few hundred short
code texts or about 20 full passages a second on an idle 2-core machine, and several times
fewer while other work shares it (docs/benchmarks.md has the measured build times), so:

- ICD-10-CM codes get their own vector list (`dense_icd`: each code's description with its
  own and its ancestors' inclusion terms, the newest release only), searched only when a
  question asks for a diagnosis code, so their 98k vectors cost other queries nothing; it is
  the longest part of a first build and `MEDREF_EMBED_DIAGNOSES=false` leaves it out (lay
  diagnosis questions then rest on BM25 over the same inclusion terms);
- only the newest release of each other source is embedded (older releases are reached
  through BM25 and routing), and each distinct text once;
- codes and modifiers by their heading (code, short and long description, category), not
  their indicator lines, which read alike for thousands of codes;
- statute sections and subsections by their first chunk only: the 14k paragraph records
  repeat the text of their subsection;
- no template table rows (MUE, add-on edits, fee schedule indicators): their text is a
  code and a number in fixed wording, and routing and BM25 find them exactly;
- the sentences of prose records (manuals, coverage, statute, vault) for ranking evidence
  by meaning (sentence_vectors.py).

Vectors of unchanged texts are copied from the previous build instead of computed again.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from medref.retrieval import layout, sentence_vectors
from medref.retrieval.bm25 import build_index
from medref.retrieval.dense import DIMS, MAX_TOKENS, MODEL_ID, Embedder, text_hash
from medref.retrieval.enrich import HEADING_KINDS, category_words, heading_terms, index_terms
from medref.retrieval.route import PROSE_SOURCES
from medref.retrieval.vocabulary import Vocabulary
from medref.settings import Settings
from medref.sources.icd10cm_codes import INCLUSION_LINES, inclusion_terms

NOT_EMBEDDED_KINDS = frozenset({"mue", "aoc", "pfs", "ptp", "paragraph"})
"""Template rows around a code and a number, and statute paragraphs (see above)."""
NOT_EMBEDDED_SOURCES = frozenset({"icd10cm"})
FIRST_CHUNK_SOURCES = frozenset({"statute"})


@dataclass(frozen=True, slots=True)
class ChunkRow:
    chunk_id: int
    ref: str
    source: str
    release: str
    kind: str
    ord: int
    title: str
    text: str


def read_chunks(conn: sqlite3.Connection) -> Iterator[ChunkRow]:
    rows = conn.execute(
        "SELECT c.id, c.ref, c.source, c.release, r.kind, c.ord, c.title, c.text "
        "FROM chunks c JOIN records r ON r.id = c.record_id ORDER BY c.id"
    )
    for row in rows:
        yield ChunkRow(*row)


def release_order(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(source, release) pairs, oldest first within a source: the store's ordering."""
    return [
        (source, release)
        for source, release in conn.execute(
            "SELECT source, release FROM releases ORDER BY source, COALESCE(effective, ''), release"
        )
    ]


def preferred_rows(chunks: list[ChunkRow], releases: list[tuple[str, str]]) -> np.ndarray:
    """A row is preferred when its release is the newest one holding its reference."""
    rank = {pair: i for i, pair in enumerate(releases)}
    newest: dict[tuple[str, str], int] = {}
    for chunk in chunks:
        key = (chunk.source, chunk.ref)
        newest[key] = max(newest.get(key, -1), rank[(chunk.source, chunk.release)])
    return np.array(
        [rank[(c.source, c.release)] == newest[(c.source, c.ref)] for c in chunks], dtype=bool
    )


HIERARCHY_SOURCES = ("iom", "statute")
"""Sources whose records nest (manual sections, statute subsections and paragraphs)."""


def enclosing_titles(conn: sqlite3.Connection) -> dict[str, str]:
    """Reference -> the titles of its parent and of its outermost ancestor.

    A statute paragraph is titled like its subsection and a manual subsection leaves the
    subject to its section ("ABN Scope"); the enclosing headings say what it is about
    ("Definitions", "Advance Beneficiary Notice of Non-coverage")."""
    found: dict[str, tuple[str, str | None]] = {}
    marks = ",".join("?" * len(HIERARCHY_SOURCES))
    for ref, title, parent in conn.execute(
        f"SELECT ref, title, parent FROM records WHERE source IN ({marks})", HIERARCHY_SOURCES
    ):
        found[ref] = (title, parent)
    context: dict[str, str] = {}
    for ref, (_, parent) in found.items():
        titles: list[str] = []
        seen = {ref}
        while parent is not None and parent in found and parent not in seen:
            seen.add(parent)
            if not titles:
                titles.append(found[parent][0])
            root = found[parent][0]
            parent = found[parent][1]
        if titles:
            titles.append(root)
            context[ref] = "\n".join(dict.fromkeys(titles))
    return context


def inherited_inclusions(conn: sqlite3.Connection) -> dict[str, str]:
    """ICD-10-CM reference -> the inclusion terms of its ancestors: by the classification's
    convention they apply to every code below them ("Tennis elbow" at M77.1 names M77.12)."""
    parent_of: dict[str, str | None] = {}
    lines_of: dict[str, str] = {}
    for ref, parent, text in conn.execute(
        "SELECT ref, parent, text FROM records WHERE source = 'icd10cm'"
    ):
        parent_of[ref] = parent
        found = [line for line in text.split("\n") if line.startswith(INCLUSION_LINES)]
        if found:
            lines_of[ref] = "\n".join(found)
    inherited: dict[str, str] = {}
    for ref in parent_of:
        collected: list[str] = []
        parent, seen = parent_of[ref], {ref}
        while parent is not None and parent not in seen:
            seen.add(parent)
            if parent in lines_of:
                collected.append(lines_of[parent])
            parent = parent_of.get(parent)
        if collected:
            inherited[ref] = "\n".join(collected)
    return inherited


def reference_keys(chunks: list[ChunkRow]) -> np.ndarray:
    """One number per (source, reference): the chunks of one record, and the same record
    in several releases, share it."""
    keys: dict[tuple[str, str], int] = {}
    return np.array([keys.setdefault((c.source, c.ref), len(keys)) for c in chunks], dtype=np.int64)


UNPRICED = "00"
"""HCPCS pricing indicator: not separately priced by Part B (quality-reporting codes,
bundled items). A question for "the code for X" wants the code that is billed."""
PRIOR_UNPRICED = 0.85
PRIOR_TERMINATED = 0.85
PRIOR_OWN_PAGES = 0.7
"""Our own vault pages explain; the official sources are what gets cited."""


def record_prior(source: str, data: dict[str, Any], terminated: str | None) -> float:
    """How much a record is worth as a search result before the query is seen."""
    prior = 1.0
    if source == "vault":
        prior *= PRIOR_OWN_PAGES
    if UNPRICED in (data.get("pricing_indicators") or []):
        prior *= PRIOR_UNPRICED
    if terminated is not None:
        prior *= PRIOR_TERMINATED
    return prior


def chunk_priors(conn: sqlite3.Connection, chunks: list[ChunkRow]) -> np.ndarray:
    """`record_prior` of each row; only HCPCS and vault records carry a signal today."""
    prior = {
        chunk_id: record_prior(source, json.loads(data), terminated)
        for chunk_id, source, data, terminated in conn.execute(
            "SELECT c.id, c.source, r.data, r.terminated FROM chunks c "
            "JOIN records r ON r.id = c.record_id "
            "WHERE c.source IN ('hcpcs', 'hcpcs-modifiers', 'vault')"
        )
    }
    return np.array([prior.get(c.chunk_id, 1.0) for c in chunks], dtype=np.float32)


def embedding_text(chunk: ChunkRow) -> str:
    """A code by its heading lines and category, anything else by its title and text."""
    if chunk.kind in HEADING_KINDS:
        first_line = chunk.text.split("\n", 1)[0]
        lines = [first_line] if chunk.title in first_line else [chunk.title, first_line]
        return "\n".join([*lines, category_words(chunk.ref)]).strip()
    return f"{chunk.title}\n{chunk.text}"


def embedded_rows(chunks: list[ChunkRow], releases: list[tuple[str, str]]) -> list[int]:
    """Rows to embed (see the module docstring)."""
    newest = {source: release for source, release in releases}
    return [
        row
        for row, chunk in enumerate(chunks)
        if newest.get(chunk.source) == chunk.release
        and chunk.kind not in NOT_EMBEDDED_KINDS
        and chunk.source not in NOT_EMBEDDED_SOURCES
        and (chunk.ord == 0 or chunk.source not in FIRST_CHUNK_SOURCES)
    ]


def previous_vectors(previous: Path | None, name: str = "dense") -> dict[str, np.ndarray]:
    """Vectors of the previous build by text hash, when it used the same model."""
    if previous is None:
        return {}
    where = layout.folder(previous)
    try:
        meta = json.loads((where / f"{name}.json").read_text())
        if meta.get("model") != MODEL_ID or meta.get("max_tokens") != MAX_TOKENS:
            return {}
        hashes = np.load(where / f"{name}_hashes.npy")
        vectors = np.load(where / f"{name}_vectors.npy")
    except (OSError, ValueError):
        return {}
    if hashes.dtype != np.dtype("S32") or len(hashes) != len(vectors):
        return {}
    return {h.decode("ascii"): vectors[i] for i, h in enumerate(hashes)}


def descriptor_pairs(chunks: list[ChunkRow]) -> list[tuple[str, str]]:
    """(short, long) descriptor of each HCPCS code: the chunk title is the short one, the
    record's first line "HCPCS G0102: ..." holds the long one."""
    pairs: dict[str, tuple[str, str]] = {}
    for chunk in chunks:
        if chunk.source == "hcpcs" and chunk.ref not in pairs:
            first = chunk.text.split("\n", 1)[0]
            if ": " in first:
                pairs[chunk.ref] = (chunk.title, first.partition(": ")[2])
    return list(pairs.values())


def diagnosis_rows(chunks: list[ChunkRow], releases: list[tuple[str, str]]) -> list[int]:
    """The newest ICD-10-CM release's codes: their own vector list, searched only for
    questions that ask for a diagnosis code (98k vectors cost too much on every query)."""
    newest = {source: release for source, release in releases}
    return [
        row
        for row, chunk in enumerate(chunks)
        if chunk.source == "icd10cm" and chunk.release == newest.get("icd10cm")
    ]


def diagnosis_texts(chunk: ChunkRow, inherited: str) -> list[str]:
    """A diagnosis code by its description and inclusion terms, its ancestors' too, and by
    each of its own inclusion terms alone: a lay term inside a long list is drowned in one
    vector by the other words ("high blood pressure" among the six terms of I10 scores 0.27
    against the question, alone 0.50). The code's similarity is its best vector's."""
    lines = chunk.text.split("\n")
    own = [line for line in lines[1:] if line.startswith(INCLUSION_LINES)]
    whole = "\n".join([lines[0].partition(": ")[2] or lines[0], *own, inherited]).strip()
    terms = inclusion_terms("\n".join(own))
    return [whole, *dict.fromkeys(term for term in terms if term != whole)]


def build_dense(
    chunks: list[ChunkRow],
    rows: list[int],
    texts_of: Callable[[ChunkRow], Sequence[str]],
    where: Path,
    previous: Path | None,
    settings: Settings,
    progress: bool,
    name: str = "dense",
) -> dict[str, Any]:
    started = time.perf_counter()
    texts: list[str] = []
    hashes: list[str] = []
    vector_of: dict[str, int] = {}
    pairs: list[tuple[int, int]] = []
    for row in rows:
        for text in texts_of(chunks[row]):
            key = text_hash(text)
            if key not in vector_of:
                vector_of[key] = len(texts)
                texts.append(text)
                hashes.append(key)
            pairs.append((row, vector_of[key]))
    cache = previous_vectors(previous, name)
    vectors = np.zeros((len(texts), DIMS), dtype=np.float16)
    missing = [i for i, key in enumerate(hashes) if key not in cache]
    for i, key in enumerate(hashes):
        if key in cache:
            vectors[i] = cache[key]
    if missing:
        embedder = Embedder()
        with tqdm(
            total=len(missing), desc=name, unit=" texts", disable=not progress, leave=False
        ) as bar:
            fresh = embedder.embed_many(
                [texts[i] for i in missing], settings.embed_batch, bar.update
            )
        vectors[missing] = fresh.astype(np.float16)
    np.save(where / f"{name}_vectors.npy", vectors)
    np.save(where / f"{name}_hashes.npy", np.array(hashes, dtype="S32"))
    np.save(where / f"{name}_rows.npy", np.array(pairs, dtype=np.int64).reshape(-1, 2))
    meta = {
        "model": MODEL_ID,
        "dims": DIMS,
        "max_tokens": MAX_TOKENS,
        "chunks": len(pairs),
        "vectors": len(texts),
        "embedded": len(missing),
        "reused": len(texts) - len(missing),
        "seconds": round(time.perf_counter() - started, 1),
    }
    (where / f"{name}.json").write_text(json.dumps(meta, indent=2))
    return meta


class RetrievalStep:
    name = "retrieval"
    version = "11"

    def run(
        self,
        conn: sqlite3.Connection,
        build_dir: Path,
        previous: Path | None,
        settings: Settings,
        progress: bool,
    ) -> dict[str, Any]:
        started = time.perf_counter()
        where = layout.folder(build_dir)
        where.mkdir(exist_ok=True)
        releases = release_order(conn)
        chunks = list(read_chunks(conn))
        release_index = {pair: i for i, pair in enumerate(releases)}
        layout.ChunkTable(
            np.array([c.chunk_id for c in chunks], dtype=np.int64),
            np.array([release_index[(c.source, c.release)] for c in chunks], dtype=np.int64),
            preferred_rows(chunks, releases),
            reference_keys(chunks),
            chunk_priors(conn, chunks),
            releases,
        ).save(where)
        context = enclosing_titles(conn)
        inherited = inherited_inclusions(conn)
        for ref, terms in inherited.items():
            context[ref] = f"{context.get(ref, '')}\n{terms}".strip()
        vocabulary = Vocabulary.from_texts(
            [f"{c.title}\n{c.text}" for c in chunks],
            descriptor_pairs(chunks),
            [c.text for c in chunks if c.source in PROSE_SOURCES],
        )
        vocabulary.save(where)
        body = build_index(
            index_terms(vocabulary, c.ref, c.title, c.text, context.get(c.ref, ""))
            for c in tqdm(chunks, desc="bm25", unit=" chunks", disable=not progress, leave=False)
        )
        body.save(where, "bm25_body")
        build_index(
            heading_terms(vocabulary, c.kind, c.title, c.text, context.get(c.ref, ""))
            for c in chunks
        ).save(where, "bm25_title")
        report: dict[str, Any] = {
            "chunks": len(chunks),
            "terms": len(body.vocabulary),
            "abbreviations": len(vocabulary.abbreviations),
            "bm25_seconds": round(time.perf_counter() - started, 1),
        }
        if settings.embeddings:
            report["dense"] = build_dense(
                chunks,
                embedded_rows(chunks, releases),
                lambda chunk: [embedding_text(chunk)],
                where,
                previous,
                settings,
                progress,
            )
            if settings.embed_diagnoses:
                report["dense_icd"] = build_dense(
                    chunks,
                    diagnosis_rows(chunks, releases),
                    lambda chunk: diagnosis_texts(chunk, inherited.get(chunk.ref, "")),
                    where,
                    previous,
                    settings,
                    progress,
                    name="dense_icd",
                )
            report["sentences"] = sentence_vectors.build(conn, where, previous, settings, progress)
        return report


STEP = RetrievalStep()
