"""The naive baseline: the same tables answered by one SQL query per lookup, with nothing
held in memory. `medref bench check` runs the same rules over it to show what the in-memory
tables buy, and to check that both give the same findings.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from typing import Any, Generic, TypeVar

from medref.claims.model import Setting
from medref.claims.tables import (
    INDICATORS,
    LAB_CODES,
    PFS_FIELDS,
    AddOn,
    CodeDates,
    IcdCodes,
    Lookup,
    MueLimit,
    PfsIndicators,
    PlaceOfService,
    PtpCell,
    PtpIndex,
    encode_ptp,
    iso,
    pfs_indicators,
)
from medref.kb.store import ReleaseInfo

V = TypeVar("V")


class SqlPtpColumn:
    """The edits of one column 1 code, one query per column 2 code asked for."""

    def __init__(
        self, conn: sqlite3.Connection, setting: Setting, info: ReleaseInfo, column1: str
    ) -> None:
        self.conn, self.setting, self.info, self.column1 = conn, setting, info, column1

    def get(self, column2: str, /) -> PtpCell | None:
        rows = self.conn.execute(
            "SELECT effective, deleted, modifier_indicator FROM ptp WHERE column1 = ? AND "
            "column2 = ? AND setting = ? AND release = ? ORDER BY line",
            (self.column1, column2, self.setting, self.info.release),
        ).fetchall()
        start = self.info.effective
        cells = []
        for effective, deleted, indicator in rows:
            since = iso(effective)
            if since is not None and start is not None and since <= start:
                since = None
            cells.append(encode_ptp(since, iso(deleted), INDICATORS[indicator]))
        if not cells:
            return None
        return cells[0] if len(cells) == 1 else tuple(cells)


class SqlPtpIndex:
    def __init__(self, conn: sqlite3.Connection, setting: Setting, info: ReleaseInfo) -> None:
        self.conn, self.setting, self.info = conn, setting, info

    def get(self, column1: str, /) -> SqlPtpColumn | None:
        found = self.conn.execute(
            "SELECT 1 FROM ptp WHERE column1 = ? AND setting = ? AND release = ? LIMIT 1",
            (column1, self.setting, self.info.release),
        ).fetchone()
        return None if found is None else SqlPtpColumn(self.conn, self.setting, self.info, column1)


class SqlRecords(Generic[V]):
    """Records of one release looked up by code, converted on every call."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        info: ReleaseInfo,
        columns: str,
        convert: Callable[[list[tuple[Any, ...]]], V | None],
        key: str = "code",
    ) -> None:
        self.conn, self.info, self.convert = conn, info, convert
        self.sql = f"SELECT {columns} FROM records WHERE {key} = ? AND source = ? AND release = ?"

    def get(self, code: str, /) -> V | None:
        rows = self.conn.execute(self.sql, (code, self.info.source, self.info.release)).fetchall()
        return self.convert(rows) if rows else None


class SqlIcd:
    def __init__(self, conn: sqlite3.Connection, info: ReleaseInfo) -> None:
        self.conn, self.info = conn, info

    def billable(self, code: str) -> bool | None:
        row = self.conn.execute(
            "SELECT json_extract(data, '$.billable') FROM records WHERE code = ? AND "
            "source = ? AND release = ?",
            (code, self.info.source, self.info.release),
        ).fetchone()
        return None if row is None else bool(row[0])

    def children(self, code: str, limit: int) -> list[str]:
        prefix = code if "." in code else f"{code}."
        rows = self.conn.execute(
            "SELECT code FROM records WHERE source = ? AND release = ? AND code >= ? AND "
            "code < ? AND json_extract(data, '$.billable') ORDER BY code LIMIT ?",
            (self.info.source, self.info.release, prefix, prefix + "\uffff", limit),
        ).fetchall()
        return [row[0] for row in rows]


def _first(convert: Callable[[tuple[Any, ...]], V]) -> Callable[[list[tuple[Any, ...]]], V]:
    return lambda rows: convert(rows[0])


def _add_on(rows: list[tuple[Any, ...]], info: ReleaseInfo) -> AddOn | None:
    start = info.effective
    kept = [row for row in rows if not (start and row[2] and date.fromisoformat(row[2]) < start)]
    if not kept:
        return None
    return AddOn(int(kept[0][1]), frozenset(row[0] for row in kept))


class SqlLoaders:
    """`Loaders` whose tables query SQLite on every lookup."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def ptp(self, setting: Setting, info: ReleaseInfo) -> PtpIndex:
        return SqlPtpIndex(self.conn, setting, info)

    def mue(self, info: ReleaseInfo) -> Lookup[str, MueLimit]:
        return SqlRecords(
            self.conn,
            info,
            "json_extract(data, '$.units'), json_extract(data, '$.mai')",
            _first(lambda row: MueLimit(int(row[0]), int(row[1]))),
        )

    def aoc(self, info: ReleaseInfo) -> Lookup[str, AddOn]:
        return SqlRecords(
            self.conn,
            info,
            "json_extract(data, '$.primary'), json_extract(data, '$.edit_type'), terminated",
            lambda rows: _add_on(rows, info),
        )

    def pfs(self, info: ReleaseInfo) -> Lookup[str, PfsIndicators]:
        return _PfsByKey(SqlRecords(self.conn, info, PFS_FIELDS, _first(pfs_indicators), key="ref"))

    def code_dates(self, info: ReleaseInfo) -> Lookup[str, CodeDates]:
        return SqlRecords(
            self.conn,
            info,
            "effective, terminated",
            _first(lambda row: CodeDates(iso(row[0]), iso(row[1]))),
        )

    def icd(self, info: ReleaseInfo) -> IcdCodes:
        return SqlIcd(self.conn, info)

    def labs(self, info: ReleaseInfo) -> frozenset[str]:
        rows = self.conn.execute(LAB_CODES, (info.source, info.release)).fetchall()
        return frozenset(code for (code,) in rows)

    def pos(self, info: ReleaseInfo) -> Lookup[str, PlaceOfService]:
        return SqlRecords(
            self.conn,
            info,
            "json_extract(data, '$.name'), json_extract(data, '$.assigned')",
            _first(lambda row: PlaceOfService(row[0], bool(row[1]))),
        )


class _PfsByKey:
    """PFS rows are found by reference (`PFS:71046-26`), keyed like the in-memory table."""

    def __init__(self, records: SqlRecords[PfsIndicators]) -> None:
        self.records = records

    def get(self, key: str, /) -> PfsIndicators | None:
        return self.records.get(f"PFS:{key}")
