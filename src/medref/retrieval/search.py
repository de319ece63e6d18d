"""Hybrid search over a knowledge base build: exact routes first, then BM25 (body and
titles), dense similarity and a source-hinted BM25 list fused by reciprocal rank.

A `Searcher` loads the build's index files once and is safe to share between threads (its
arrays are read-only; SQLite connections are per thread). Hits are deduplicated on
(source, reference) and come from the newest release holding the reference, or the one in
force on a date of service, or the release asked for.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

import numpy as np
import numpy.typing as npt

from medref.errors import InputError
from medref.kb import KnowledgeBase
from medref.kb.store import ptp_record
from medref.refs import matches
from medref.retrieval import layout
from medref.retrieval.bm25 import Bm25Index
from medref.retrieval.dense import DenseIndex
from medref.retrieval.enrich import code_family_terms
from medref.retrieval.fusion import reciprocal_rank_fusion
from medref.retrieval.question import Question, read
from medref.retrieval.resolve import Filters, Routed, RouteResolver
from medref.retrieval.route import (
    MODIFIER,
    MODIFIER_SOURCES,
    PROSE,
    PROSE_SOURCES,
    content_terms,
)
from medref.retrieval.sentence_vectors import SentenceVectors
from medref.retrieval.snippet import snippet
from medref.retrieval.tokenize import tokenize
from medref.retrieval.vocabulary import Vocabulary
from medref.sources.icd10cm_codes import inclusion_terms

Via = Literal["route", "bm25", "dense", "fused"]
Rows = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

QUERY_VECTORS = 256
"""Query vectors kept for reuse (search, then answer, embed a question once)."""
CANDIDATES = 100
"""Rows taken from each ranked list before fusion."""
LIST_WEIGHTS = {"body": 1.0, "title": 0.6, "dense": 1.0, "hint": 1.0}
RERANK_DEPTH = 50
SENTENCE_BOOST = 0.2
"""Share by which a candidate's fused score grows with the best MiniLM similarity of the
question to one of its sentences (prose records)."""
HEADING_BOOST = 0.3
"""Fused scores of the top candidates grow by up to this share with the part of their
heading the question covers: "type 2 diabetes mellitus without complications" is E11.9,
not E11.A "... in remission"."""


@dataclass(frozen=True, slots=True)
class Hit:
    ref: str
    source: str
    release: str
    title: str
    snippet: str
    score: float
    chunk_id: int | None
    record_id: int | None
    text: str
    via: Via
    similarity: float | None = None
    """Cosine similarity of the question and the hit's chunk under the packaged MiniLM
    model, when the chunk is embedded: a semantic signal beside the lexical scores."""


class Searcher:
    """Load once, search many times, from any thread."""

    def __init__(self, kb: KnowledgeBase, *, dense: bool = True) -> None:
        where = layout.folder(kb.path)
        self.kb = kb
        self.table = layout.ChunkTable.load(where)
        self.body = Bm25Index.load(where, "bm25_body")
        self.titles = Bm25Index.load(where, "bm25_title")
        self.dense = DenseIndex(where) if dense and (where / "dense.json").exists() else None
        self.vocabulary = Vocabulary.load(where)
        self.sentence_vectors = SentenceVectors.load(where) if self.dense is not None else None
        self._where = where
        self._diagnoses: DenseIndex | None = None
        self._diagnoses_lock = threading.Lock()

        self._vectors: dict[str, npt.NDArray[np.float32]] = {}
        self._vectors_lock = threading.Lock()
        self.routes = RouteResolver(kb, self.table)
        self._release_sources = self.routes.release_sources
        self._release_names = np.array([release for _, release in self.table.releases])

    # filters ------------------------------------------------------------------------------
    def mask(self, filters: Filters) -> Mask:
        """Rows a search may return."""
        allowed = np.ones(len(self.table.releases), dtype=bool)
        if filters.sources is not None:
            allowed &= np.isin(self._release_sources, list(filters.sources))
        if filters.release is not None:
            allowed &= self._release_names == filters.release
        if filters.date_of_service is not None:
            covering = {
                (info.source, info.release)
                for info in self.kb.releases()
                if info.covers(filters.date_of_service)
            }
            allowed &= np.array([pair in covering for pair in self.table.releases], dtype=bool)
        rows: Mask = allowed[self.table.release_of]
        if filters.release is None and filters.date_of_service is None:
            rows &= self.table.preferred
        return rows

    # ranked lists -------------------------------------------------------------------------
    @staticmethod
    def _top(
        scores: npt.NDArray[np.float32], rows: Rows | None, mask: Mask, n: int = CANDIDATES
    ) -> tuple[Rows, npt.NDArray[np.float32]]:
        """The n best allowed rows with a positive score, best first."""
        if rows is None:
            allowed = mask & (scores > 0)
            candidates = np.flatnonzero(allowed)
            values = scores[candidates]
        else:
            keep = mask[rows]
            candidates, values = rows[keep], scores[keep]
        if len(candidates) > n:
            best = np.argpartition(-values, n)[:n]
            candidates, values = candidates[best], values[best]
        order = np.argsort(-values, kind="stable")
        return candidates[order].astype(np.int64), values[order]

    def _collapse(self, rows: Rows) -> list[int]:
        """Rows in rank order, keeping the first row of each (source, reference)."""
        keys = self.table.key_of[rows]
        _, first = np.unique(keys, return_index=True)
        return [int(rows[i]) for i in np.sort(first)]

    def _dense_list(self, query: str, mask: Mask) -> tuple[Rows, npt.NDArray[np.float32]]:
        if self.dense is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        rows, similarity = self.dense.similarities(query)
        return self._top(similarity, rows, mask)

    def diagnoses(self) -> DenseIndex | None:
        """The ICD-10-CM vectors (loaded on first use: most questions never need them)."""
        if self.dense is None or not (self._where / "dense_icd.json").exists():
            return None
        with self._diagnoses_lock:
            if self._diagnoses is None:
                self._diagnoses = DenseIndex(self._where, self.dense.embedder, name="dense_icd")
        return self._diagnoses

    def query_vector(self, text: str) -> npt.NDArray[np.float32] | None:
        """The MiniLM vector of a query, embedded once: the answerer reuses the vector the
        search made (None without dense vectors)."""
        if self.dense is None:
            return None
        with self._vectors_lock:
            found = self._vectors.get(text)
        if found is None:
            found = self.dense.embedder.embed([text])[0]
            with self._vectors_lock:
                if len(self._vectors) >= QUERY_VECTORS:
                    self._vectors.pop(next(iter(self._vectors)))
                self._vectors[text] = found
        return found

    def _similarity(self, query: str) -> npt.NDArray[np.float32] | None:
        """The query's cosine similarity to every index row (NaN where not embedded)."""
        vector = self.query_vector(query)
        if self.dense is None or vector is None:
            return None
        rows, similarity = self.dense.similarities(vector)
        full = np.full(len(self.table.chunk_ids), np.nan, dtype=np.float32)
        full[rows] = similarity
        return full

    def _heading_rerank(
        self,
        fused: list[tuple[int, float]],
        row_of: dict[int, int],
        terms: list[str],
        vector: npt.NDArray[np.float32] | None = None,
    ) -> list[tuple[int, float]]:
        """Boost the top candidates by how much of their heading (or of one of a diagnosis
        code's inclusion terms, its other names) the question covers, and by how close in
        meaning their best sentence is to the question."""
        fused = sorted(fused, key=lambda pair: -pair[1])
        top = fused[:RERANK_DEPTH]
        chunk_ids = [int(self.table.chunk_ids[row_of[key]]) for key, _ in top]
        found = (
            {
                cid: ((title, *inclusion_terms(text)), record_id)
                for cid, title, record_id, text in self.kb.conn.execute(
                    "SELECT id, title, record_id, "
                    "CASE WHEN source = 'icd10cm' THEN text ELSE '' END FROM chunks "
                    f"WHERE id IN ({','.join('?' * len(chunk_ids))})",
                    chunk_ids,
                )
            }
            if chunk_ids
            else {}
        )
        asked = self.vocabulary.with_equivalents(terms)
        sentences = self.sentence_vectors if vector is not None else None

        def boost(cid: int) -> float:
            headings, record_id = found[cid]
            value = HEADING_BOOST * max(heading_coverage(h, asked) for h in headings)
            if sentences is not None and vector is not None and record_id is not None:
                value += SENTENCE_BOOST * (sentences.best_match(record_id, vector) or 0.0)
            return value

        boosted = [
            (key, score * (1 + boost(cid)))
            for (key, score), cid in zip(top, chunk_ids, strict=True)
        ]
        boosted.sort(key=lambda pair: -pair[1])
        return boosted + fused[RERANK_DEPTH:]

    def _source_mask(self, hint: str) -> Mask:
        sources = {PROSE: PROSE_SOURCES, MODIFIER: MODIFIER_SOURCES}.get(hint, (hint,))
        allowed: Mask = np.isin(self._release_sources, sources)
        return allowed[self.table.release_of]

    # search -------------------------------------------------------------------------------
    def search(
        self,
        query: str | Question,
        k: int = 10,
        sources: Sequence[str] | None = None,
        release: str | None = None,
        date_of_service: date | None = None,
    ) -> list[Hit]:
        """Routes, then fused BM25 + titles + dense + source-hinted BM25, deduplicated; for a
        question naming the statute, statute descendants ahead of their ancestors. A text is
        read as a question first (`question.read`); a `Question` already read is used as is."""
        question = query if isinstance(query, Question) else read(query)
        filters = _filters(question.text, sources, release, date_of_service)
        mask = self.mask(filters)
        parsed = question.parse
        terms = query_terms(question)
        scores = self.body.score(terms)
        if not scores.any():
            terms = fallback_terms(question.text, parsed.codes)
            scores = self.body.score(terms)
        body_rows, _ = self._top(scores, None, mask)
        title_rows, _ = self._top(self.titles.score(terms), None, mask)
        lists = [self._collapse(body_rows), self._collapse(title_rows)]
        weights = [LIST_WEIGHTS["body"], LIST_WEIGHTS["title"]]
        similarity = self._similarity(question.text)
        dense_rows = (
            self._top(similarity, None, mask)[0]
            if similarity is not None
            else np.zeros(0, dtype=np.int64)
        )
        if len(dense_rows):
            lists.append(self._collapse(dense_rows))
            weights.append(LIST_WEIGHTS["dense"])
        diagnoses = self.diagnoses() if wants_diagnosis(question) else None
        vector = self.query_vector(question.text)
        if diagnoses is not None and vector is not None and similarity is not None:
            rows, values = diagnoses.similarities(vector)
            similarity[rows] = values
            lists.append(self._collapse(self._top(values, rows, mask)[0]))
            weights.append(LIST_WEIGHTS["dense"])
        for source in parsed.source_hints:
            hinted, _ = self._top(scores, None, mask & self._source_mask(source))
            lists.append(self._collapse(hinted))
            weights.append(LIST_WEIGHTS["hint"])
        row_of: dict[int, int] = {}
        for ranked in lists:
            for row in ranked:
                key = int(self.table.key_of[row])
                if key not in row_of or scores[row] > scores[row_of[key]]:
                    row_of[key] = row
        fused = [
            (key, score * float(self.table.prior[row_of[key]]))
            for key, score in reciprocal_rank_fusion(
                [[int(self.table.key_of[r]) for r in ranked] for ranked in lists], weights
            )
        ]
        fused = self._heading_rerank(fused, row_of, terms, self.query_vector(question.text))
        routed = self.routes.route(parsed, filters, mask, scores)
        hits = self._assemble(routed, fused, row_of, terms, k, similarity)
        return specific_first(hits) if "statute" in parsed.source_hints else hits

    def _assemble(
        self,
        routed: list[Routed],
        fused: list[tuple[int, float]],
        row_of: dict[int, int],
        terms: list[str],
        k: int,
        similarity: npt.NDArray[np.float32] | None = None,
    ) -> list[Hit]:
        routed_keys = {item.key for item in routed}
        strong = [item for item in routed if item.strong]
        weak = [item for item in routed if not item.strong]
        rest = [(key, score) for key, score in fused if key not in routed_keys]
        top = rest[0][1] if rest else 0.0
        ordered: list[tuple[Routed | int, float, Via]] = [
            (item, 1.0 + (len(strong) - i) / 100, "route") for i, item in enumerate(strong)
        ]
        if rest:
            ordered.append((rest[0][0], top, "fused"))
        second = rest[1][1] if len(rest) > 1 else 0.0
        ordered += [(item, (top + second) / 2, "route") for item in weak]
        ordered += [(key, score, "fused") for key, score in rest[1:]]
        hits: list[Hit] = []
        for entry, score, via in ordered:
            if len(hits) == k:
                break
            if isinstance(entry, Routed):
                hit = self._routed_hit(entry, score, terms, similarity)
            else:
                hit = self._row_hit(row_of[entry], score, via, terms, similarity)
            _add_unless_repeated(hits, hit)
        return hits

    def _routed_hit(
        self,
        item: Routed,
        score: float,
        terms: list[str],
        similarity: npt.NDArray[np.float32] | None = None,
    ) -> Hit:
        if item.ptp is not None:
            record = ptp_record(item.ptp)
            return Hit(
                record.ref,
                record.source,
                record.release,
                record.title,
                snippet(record.text, terms),
                score,
                None,
                None,
                record.text,
                "route",
            )
        assert item.row is not None
        return self._row_hit(item.row, score, "route", terms, similarity)

    def _row_hit(
        self,
        row: int,
        score: float,
        via: Via,
        terms: list[str],
        similarity: npt.NDArray[np.float32] | None = None,
    ) -> Hit:
        chunk_id = int(self.table.chunk_ids[row])
        found = self.kb.conn.execute(
            "SELECT ref, source, release, title, text, record_id FROM chunks WHERE id = ?",
            (chunk_id,),
        ).fetchone()
        ref, source, release, title, text, record_id = found
        return Hit(
            ref,
            source,
            release,
            title,
            snippet(text, terms),
            float(score),
            chunk_id,
            record_id,
            text,
            via,
            _similarity_at(similarity, row),
        )

    def _single(
        self, rows: Rows, values: npt.NDArray[np.float32], via: Via, terms: list[str], k: int
    ) -> list[Hit]:
        score_of = {int(r): float(v) for r, v in zip(rows, values, strict=True)}
        return [self._row_hit(row, score_of[row], via, terms) for row in self._collapse(rows)[:k]]

    def search_bm25(
        self,
        query: str,
        k: int = 10,
        sources: Sequence[str] | None = None,
        release: str | None = None,
        date_of_service: date | None = None,
    ) -> list[Hit]:
        """The lexical baseline: BM25 over chunk text alone, no routes, no fusion."""
        filters = _filters(query, sources, release, date_of_service)
        terms = tokenize(query)
        rows, values = self._top(self.body.score(terms), None, self.mask(filters))
        return self._single(rows, values, "bm25", terms, k)

    def search_dense(
        self,
        query: str,
        k: int = 10,
        sources: Sequence[str] | None = None,
        release: str | None = None,
        date_of_service: date | None = None,
    ) -> list[Hit]:
        """The semantic baseline: cosine similarity alone (empty without vectors)."""
        filters = _filters(query, sources, release, date_of_service)
        rows, values = self._dense_list(query, self.mask(filters))
        return self._single(rows, values, "dense", tokenize(query), k)


def _filters(
    query: str, sources: Sequence[str] | None, release: str | None, date_of_service: date | None
) -> Filters:
    if not query.strip():
        raise InputError("the query is empty: type a question, a code or a reference")
    return Filters(tuple(sources) if sources else None, release, date_of_service)


OTHER_CODE_SYSTEMS = frozenset({"hcpcs", "modifier", "pos"})


def wants_diagnosis(question: Question) -> bool:
    """The question asks for a diagnosis code: it names ICD-10-CM, or asks for a code and
    names no other code system and no code, modifier or place of service (those questions
    are about the named entity; loading 98k diagnosis vectors for them costs a second)."""
    parse = question.parse
    hints = set(parse.source_hints)
    if "icd10cm" in hints:
        return True
    asks_code = any(part.asked == "code" for part in question.parts)
    names_entity = bool(parse.codes or parse.modifiers or parse.pos)
    return asks_code and not hints & OTHER_CODE_SYSTEMS and not names_entity


def _similarity_at(similarity: npt.NDArray[np.float32] | None, row: int) -> float | None:
    if similarity is None or np.isnan(similarity[row]):
        return None
    return float(similarity[row])


def query_terms(question: Question) -> list[str]:
    """BM25 terms of a question: its content terms, and those of a scenario's focus once
    more (what is asked weighs more than the facts around it)."""
    terms = content_terms(question.text)
    if question.is_scenario:
        terms += content_terms(question.focus)
    return terms


def fallback_terms(query: str, codes: Sequence[str]) -> list[str]:
    """Terms for a query none of whose content words the corpus holds ("What is HCPCS code
    E9999?"): every word, code-system names included, and the family of each named code, so
    that the nearest records still come back (a refusal lists them as closest sources)."""
    return tokenize(query) + code_family_terms(codes)


def _add_unless_repeated(hits: list[Hit], hit: Hit) -> None:
    """Append `hit`, unless a kept hit of its source is its ancestor or descendant showing
    the same passage (a statute section repeats its subsections' text): then the more
    specific reference keeps the better rank."""
    for position, kept in enumerate(hits):
        if kept.source != hit.source or kept.snippet != hit.snippet:
            continue
        if matches(hit.ref, kept.ref):
            hits[position] = replace(hit, score=kept.score, via=kept.via)
            return
        if matches(kept.ref, hit.ref):
            return
    hits.append(hit)


SPECIFIC_FIRST_SOURCES = frozenset({"statute"})
"""Sources whose records hold their descendants' text: a statute section or subsection
matches wherever any of its paragraphs does, so the paragraph found is the better hit."""


def specific_first(hits: list[Hit]) -> list[Hit]:
    """Swap a statute hit with its best-ranked descendant below it ("prefer 1395y(a)(13)
    over 1395y(a) when both match"). A swap, not a move, leaves every other hit at its
    rank; one level only: a swapped pair is not swapped again. A routed hit is the
    reference the question named and stays. Applied to questions that name the statute:
    elsewhere a statute hit is context, and its broader text reads better."""
    ordered = list(hits)
    settled: set[str] = set()
    for position, hit in enumerate(ordered):
        if hit.source not in SPECIFIC_FIRST_SOURCES or hit.via == "route" or hit.ref in settled:
            continue
        later = next(
            (
                i
                for i in range(position + 1, len(ordered))
                if ordered[i].source == hit.source
                and ordered[i].ref != hit.ref
                and matches(ordered[i].ref, hit.ref)
            ),
            None,
        )
        if later is not None:
            descendant = ordered[later]
            ordered[position] = replace(descendant, score=hit.score, via=hit.via)
            ordered[later] = replace(hit, score=descendant.score, via=descendant.via)
            settled.update({hit.ref, descendant.ref})
    return ordered


@functools.lru_cache(maxsize=1 << 16)
def _heading_words(title: str) -> frozenset[str]:
    """A heading's words, without numbers and section marks (`100-04`, `40.8`, `ch`)."""
    return frozenset(t for t in tokenize(title) if t.removeprefix("no_").isalpha() and t != "ch")


def heading_coverage(title: str, asked: frozenset[str] | set[str]) -> float:
    """Share of a heading's words the question uses."""
    words = _heading_words(title)
    return len(words & asked) / len(words) if words else 0.0
