"""Read access to the knowledge base in use. Every skin (CLI, API, web, MCP) reads through
this class; it never writes."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import weakref
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from medref.codes.ncci import PTP_MODIFIER_INDICATORS
from medref.errors import KnowledgeBaseError
from medref.kb.locks import hold_build
from medref.records import Record
from medref.settings import Settings
from medref.sources.ncci import PTP_SETTINGS

RECORD_COLUMNS = (
    "id, ref, source, release, kind, code, title, text, effective, terminated, parent, data"
)


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    source: str
    release: str
    effective: date | None
    until: date | None
    records: int
    chunks: int
    fingerprint: str
    files: list[str]
    built_at: str

    def covers(self, on: date) -> bool:
        if self.effective is not None and on < self.effective:
            return False
        return self.until is None or on <= self.until


@dataclass(frozen=True, slots=True)
class PtpRow:
    setting: str
    release: str
    column1: str
    column2: str
    effective: date | None
    deleted: date | None
    modifier_indicator: str
    rationale: str

    @property
    def ref(self) -> str:
        return f"PTP:{self.column1}/{self.column2}"

    def active_on(self, on: date) -> bool:
        if self.effective is not None and on < self.effective:
            return False
        return self.deleted is None or on <= self.deleted


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def row_to_record(row: sqlite3.Row | tuple[Any, ...]) -> Record:
    (_, ref, source, release, kind, code, title, text, effective, terminated, parent, data) = row
    return Record(
        ref=ref,
        source=source,
        release=release,
        kind=kind,
        title=title,
        text=text,
        code=code,
        effective=_date(effective),
        terminated=_date(terminated),
        parent=parent,
        data=json.loads(data),
    )


def ptp_record(row: PtpRow) -> Record:
    """A PTP table row as a citable record; its text is what a citation may quote."""
    status = f"deleted effective {row.deleted.isoformat()}" if row.deleted else "active"
    meaning = PTP_MODIFIER_INDICATORS.get(row.modifier_indicator)
    indicator = f"{row.modifier_indicator}: {meaning}" if meaning else row.modifier_indicator
    text = (
        f"NCCI procedure-to-procedure edit ({row.setting}, release {row.release}): "
        f"column 1 code {row.column1}, column 2 code {row.column2}. "
        f"Modifier indicator {indicator}. Rationale: {row.rationale}. Status: {status}."
    )
    source = next(s for s, setting in PTP_SETTINGS.items() if setting == row.setting)
    return Record(
        ref=row.ref,
        source=source,
        release=row.release,
        kind="ptp",
        title=f"PTP {row.column1}/{row.column2} ({row.setting}), modifier indicator "
        f"{row.modifier_indicator}",
        text=text,
        code=row.column2,
        effective=row.effective,
        terminated=row.deleted,
        data={
            "setting": row.setting,
            "column1": row.column1,
            "column2": row.column2,
            "modifier_indicator": row.modifier_indicator,
            "rationale": row.rationale,
        },
    )


class KnowledgeBase:
    """One build, opened read-only. While open it is marked in use (`kb.locks.hold_build`),
    so a later build does not delete it from under its readers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._hold = hold_build(path) if path.is_dir() else None
        if self._hold is not None:
            weakref.finalize(self, os.close, self._hold)
        manifest_path = path / "manifest.json"
        database = path / "kb.sqlite"
        if not manifest_path.exists() or not database.exists():
            raise KnowledgeBaseError(
                f"no knowledge base at {path}: run `medref build` (with MEDREF_SOURCES set to a "
                "mirror folder, or after `medref download`)"
            )
        self.manifest: dict[str, Any] = json.loads(manifest_path.read_text())
        self.database = database
        self._local = threading.local()
        self._releases: list[ReleaseInfo] | None = None

    @classmethod
    def open(cls, settings: Settings) -> KnowledgeBase:
        """The build `current` points at. A build swapped in and the old one deleted while
        this opens it is retried once, on the new target."""
        try:
            return cls(settings.current.resolve())
        except KnowledgeBaseError:
            if not settings.current.exists():
                raise
            return cls(settings.current.resolve())

    @property
    def build_id(self) -> str:
        """The build's folder name: `<UTC stamp>-<builder pid>`."""
        return self.path.name

    def probe(self) -> int:
        """Read the database now (a health check): the number of loaded releases."""
        try:
            count: int = self.conn.execute("SELECT COUNT(*) FROM releases").fetchone()[0]
            if self.path.joinpath("ptp.sqlite").exists():
                self.conn.execute("SELECT 1 FROM edits.ptp_rows LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            raise KnowledgeBaseError(
                f"the knowledge base {self.build_id} cannot be read ({exc}). What to do: run "
                "`medref build --force`"
            ) from exc
        return count

    @property
    def conn(self) -> sqlite3.Connection:
        """A read-only connection per thread (SQLite connections are not shared)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                f"file:{self.database}?mode=ro", uri=True, check_same_thread=False
            )
            ptp = self.path / "ptp.sqlite"
            if ptp.exists():
                conn.execute("ATTACH DATABASE ? AS edits", (f"file:{ptp}?mode=ro",))
            conn.execute("PRAGMA query_only = 1")
            conn.execute("PRAGMA cache_size = -65536")
            self._local.conn = conn
        return conn

    # releases -----------------------------------------------------------------------------
    def releases(self, source: str | None = None) -> list[ReleaseInfo]:
        if self._releases is None:
            rows = self.conn.execute(
                "SELECT source, release, effective, until, records, chunks, fingerprint, files, "
                "built_at FROM releases ORDER BY source, COALESCE(effective, ''), release"
            ).fetchall()
            self._releases = [
                ReleaseInfo(
                    r[0], r[1], _date(r[2]), _date(r[3]), r[4], r[5], r[6], json.loads(r[7]), r[8]
                )
                for r in rows
            ]
        return [r for r in self._releases if source is None or r.source == source]

    def latest_release(self, source: str) -> ReleaseInfo | None:
        found = self.releases(source)
        return found[-1] if found else None

    def release_on(self, source: str, on: date) -> ReleaseInfo | None:
        """The release of `source` in force on a date of service, if one is loaded."""
        for info in reversed(self.releases(source)):
            if info.covers(on):
                return info
        return None

    # records ------------------------------------------------------------------------------
    def records(self, ref: str) -> list[Record]:
        """Every loaded release of a reference, oldest release first."""
        if ref.startswith("PTP:"):
            column1, _, column2 = ref[4:].partition("/")
            return [ptp_record(row) for row in self.ptp_pair(column1, column2)]
        rows = self.conn.execute(
            f"SELECT {RECORD_COLUMNS} FROM records WHERE ref = ? ORDER BY id", (ref,)
        ).fetchall()
        order = {(r.source, r.release): i for i, r in enumerate(self.releases())}
        found = [row_to_record(row) for row in rows]
        return sorted(found, key=lambda rec: order.get((rec.source, rec.release), -1))

    def get(self, ref: str, *, release: str | None = None, on: date | None = None) -> Record | None:
        """One record: a named release, else the release in force on `on`, else the newest."""
        found = self.records(ref)
        if release is not None:
            found = [r for r in found if r.release == release]
        if on is not None:
            covering = [
                r
                for r in found
                if (info := self._release_info(r.source, r.release)) is None or info.covers(on)
            ]
            found = covering or []
        return found[-1] if found else None

    def _release_info(self, source: str, release: str) -> ReleaseInfo | None:
        for info in self.releases(source):
            if info.release == release:
                return info
        return None

    def by_code(self, code: str, sources: tuple[str, ...] | None = None) -> list[Record]:
        sql = f"SELECT {RECORD_COLUMNS} FROM records WHERE code = ?"
        params: list[str] = [code]
        if sources:
            sql += f" AND source IN ({','.join('?' * len(sources))})"
            params.extend(sources)
        return [row_to_record(r) for r in self.conn.execute(sql + " ORDER BY id", params)]

    def children(self, ref: str, release: str | None = None) -> list[Record]:
        sql = f"SELECT {RECORD_COLUMNS} FROM records WHERE parent = ?"
        params = [ref]
        if release is not None:
            sql += " AND release = ?"
            params.append(release)
        return [row_to_record(r) for r in self.conn.execute(sql + " ORDER BY id", params)]

    def record_by_id(self, record_id: int) -> Record:
        row = self.conn.execute(
            f"SELECT {RECORD_COLUMNS} FROM records WHERE id = ?", (record_id,)
        ).fetchone()
        if row is None:
            raise KnowledgeBaseError(f"record {record_id} is not in {self.database}")
        return row_to_record(row)

    # NCCI PTP -----------------------------------------------------------------------------
    def _ptp(self, where: str, params: tuple[str, ...]) -> list[PtpRow]:
        rows = self.conn.execute(
            "SELECT setting, release, column1, column2, effective, deleted, modifier_indicator, "
            f"rationale FROM ptp WHERE {where} ORDER BY setting, column1, column2, line",
            params,
        ).fetchall()
        return [PtpRow(r[0], r[1], r[2], r[3], _date(r[4]), _date(r[5]), r[6], r[7]) for r in rows]

    def ptp_pair(self, column1: str, column2: str) -> list[PtpRow]:
        return self._ptp("column1 = ? AND column2 = ?", (column1, column2))

    def ptp_as_column1(self, code: str) -> list[PtpRow]:
        return self._ptp("column1 = ?", (code,))

    def ptp_as_column2(self, code: str) -> list[PtpRow]:
        return self._ptp("column2 = ?", (code,))
