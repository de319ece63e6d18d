"""Resolve routing targets (route.py) against the knowledge base: which index rows, or
which NCCI PTP table rows, answer them, in what order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from medref.kb import KnowledgeBase
from medref.kb.store import PtpRow, ptp_record
from medref.retrieval.layout import ChunkTable
from medref.retrieval.route import QueryParse, Target, targets
from medref.retrieval.tokenize import tokenize

Rows = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
PTP_SOURCES = ("ncci-ptp-practitioner", "ncci-ptp-outpatient")
DEFINITIONS_WORD = tokenize("definitions")[0]


@dataclass(frozen=True, slots=True)
class Filters:
    sources: tuple[str, ...] | None = None
    release: str | None = None
    date_of_service: date | None = None


@dataclass(frozen=True, slots=True)
class Routed:
    """A routed reference resolved to an index row (or to a PTP table row)."""

    key: int
    row: int | None
    strong: bool
    ptp: PtpRow | None = None


class RouteResolver:
    """Finds the rows of routed references through the knowledge base's indexes."""

    def __init__(self, kb: KnowledgeBase, table: ChunkTable) -> None:
        self.kb = kb
        self.table = table
        self.release_sources = np.array([source for source, _ in table.releases])
        self._defined: dict[frozenset[str], list[str]] | None = None

    def defined_terms(self) -> dict[frozenset[str], list[str]]:
        """Heading terms -> statute subsections that define them: the subsections of a
        section headed "Definitions" (1395x(r) "Physician"). Read once, on first use."""
        if self._defined is None:
            defined: dict[frozenset[str], list[str]] = {}
            sections = self.kb.conn.execute(
                "SELECT DISTINCT ref, json_extract(data, '$.heading') FROM records "
                "WHERE source = 'statute' AND kind = 'section'"
            ).fetchall()
            parents = [ref for ref, heading in sections if DEFINITIONS_WORD in tokenize(heading)]
            if parents:
                for ref, heading in self.kb.conn.execute(
                    "SELECT DISTINCT ref, json_extract(data, '$.heading') FROM records "
                    f"WHERE source = 'statute' AND parent IN ({','.join('?' * len(parents))})",
                    parents,
                ):
                    terms = frozenset(tokenize(heading or ""))
                    if terms:
                        defined.setdefault(terms, []).append(ref)
            self._defined = defined
        return self._defined

    def _rows_for(self, refs: Iterable[str]) -> Rows:
        refs = list(refs)
        if not refs:
            return np.zeros(0, dtype=np.int64)
        found = self.kb.conn.execute(
            f"SELECT id FROM chunks WHERE ref IN ({','.join('?' * len(refs))})", refs
        ).fetchall()
        return self._indexed([row[0] for row in found])

    def _indexed(self, chunk_ids: Sequence[int]) -> Rows:
        ids = np.array(sorted(chunk_ids), dtype=np.int64)
        rows = self.table.rows_of(ids)
        inside = rows < len(self.table.chunk_ids)
        rows, ids = rows[inside], ids[inside]
        found: Rows = rows[self.table.chunk_ids[rows] == ids]
        return found

    def _rows_under(self, prefix: str, suffix: str = "") -> Rows:
        found = self.kb.conn.execute(
            "SELECT id, ref FROM chunks WHERE ref >= ? AND ref < ?", (prefix, prefix + "\uffff")
        ).fetchall()
        return self._indexed([cid for cid, ref in found if ref.endswith(suffix)])

    def _target_rows(self, target: Target) -> Rows:
        if target.kind == "iom-section":
            return np.concatenate(
                [self._rows_under("IOM:", f"/{section}") for section in target.codes]
            )
        if target.kind == "aoc-addon":  # the code as an add-on: its listed primaries
            return self._rows_under("AOC:", f"/{target.codes[0]}")
        if target.prefix is not None:
            return self._rows_under(target.prefix)
        if target.kind == "code":
            for ref in target.refs:
                rows = self._rows_for([ref])
                if len(rows):
                    return rows
            return np.zeros(0, dtype=np.int64)
        if target.kind == "definition":
            return self._rows_for(self.defined_terms().get(frozenset(target.codes), []))
        if target.kind == "usc":
            for ref in _usc_ancestry(target.refs[0]):
                rows = self._rows_for([ref])
                if len(rows):
                    return rows
            return np.zeros(0, dtype=np.int64)
        return self._rows_for(target.refs)

    def _related_score(self, rows: Rows, scores: npt.NDArray[np.float32]) -> dict[int, float]:
        """For add-on edit rows, the BM25 score of the add-on code's own record: it is what
        says "prolonged" or "complexity", the edit row only names the codes."""
        refs = self.kb.conn.execute(
            f"SELECT id, ref FROM chunks WHERE id IN ({','.join('?' * len(rows))})",
            [int(self.table.chunk_ids[r]) for r in rows],
        ).fetchall()
        extra: dict[int, float] = {}
        for chunk_id, ref in refs:
            add_on = ref.rpartition("/")[2]
            related = self._rows_for([f"HCPCS:{add_on}", f"CPT:{add_on}"])
            row = int(self._indexed([chunk_id])[0])
            extra[row] = float(scores[related].max()) if len(related) else 0.0
        return extra

    def _resolve(self, target: Target, mask: Mask, scores: npt.NDArray[np.float32]) -> list[Routed]:
        rows = self._target_rows(target)
        rows = rows[mask[rows]] if len(rows) else rows
        if not len(rows):
            return []
        relevance = scores[rows].astype(np.float64)
        if target.kind in ("aoc", "aoc-addon") and len(rows) > 1:
            extra = self._related_score(rows, scores)
            relevance = relevance + np.array([extra.get(int(r), 0.0) for r in rows])
        preference = self._preference(rows, target.prefer_sources)
        order = np.lexsort((-relevance, preference))
        return [Routed(int(self.table.key_of[rows[i]]), int(rows[i]), target.strong) for i in order]

    def _preference(self, rows: Rows, prefer: Sequence[str]) -> npt.NDArray[np.int64]:
        sources = self.release_sources[self.table.release_of[rows]]
        rank = {source: i for i, source in enumerate(prefer)}
        return np.array([rank.get(str(s), len(rank)) for s in sources], dtype=np.int64)

    def _ptp(self, parsed: QueryParse, target: Target, filters: Filters) -> list[Routed]:
        codes = target.codes
        pairs = [(a, b) for a in codes for b in codes if a != b]
        found: list[PtpRow] = []
        for column1, column2 in pairs:
            found += self.kb.ptp_pair(column1, column2)
        hospital = "ncci-mue-outpatient" in parsed.mue_sources and (
            "ncci-mue-practitioner" not in parsed.mue_sources
        )
        best: dict[tuple[str, str], PtpRow] = {}
        for row in found:
            record = ptp_record(row)
            if filters.sources is not None and record.source not in filters.sources:
                continue
            if filters.release is not None and row.release != filters.release:
                continue
            if filters.date_of_service is not None and not row.active_on(filters.date_of_service):
                continue
            key = (record.source, row.ref)
            current = best.get(key)
            if current is None or (current.deleted is not None and row.deleted is None):
                best[key] = row
        order = sorted(
            best.items(),
            key=lambda item: (
                (item[0][0] == PTP_SOURCES[0]) == hospital,
                item[1].deleted is not None,
            ),
        )
        return [Routed(-1 - i, None, target.strong, row) for i, (_, row) in enumerate(order)]

    def route(
        self, parsed: QueryParse, filters: Filters, mask: Mask, scores: npt.NDArray[np.float32]
    ) -> list[Routed]:
        """Every routed reference the filters allow, most specific target first; within a
        target, preferred sources first, then by the question's BM25 `scores`."""
        routed: list[Routed] = []
        for target in targets(parsed):
            if target.kind == "ptp":
                routed += self._ptp(parsed, target, filters)
            else:
                routed += self._resolve(target, mask, scores)
        seen: set[int] = set()
        unique = []
        for item in routed:
            if item.key not in seen:
                seen.add(item.key)
                unique.append(item)
        return unique


def _usc_ancestry(ref: str) -> list[str]:
    """`USC:42/1395y(a)(1)` then `USC:42/1395y(a)`, then `USC:42/1395y`."""
    found = [ref]
    while found[-1].endswith(")"):
        found.append(found[-1][: found[-1].rindex("(")])
    return found
