"""The CMS edit tables a claim check reads, loaded once from the knowledge base into compact
in-memory structures.

Each table is `Versioned`: every loaded release with its coverage window (NCCI 2024-07 governs
2024-07-01..2024-09-30). A rule asks for the release in force on a date of service; when none
is, the rule reports `no_data` with the message `Versioned.outside` builds. A release is read
from SQLite on first use (the practitioner PTP table is 2.5 million rows, about 3 seconds), so a
file of practitioner claims never pays for the outpatient table.

The rules see every table through `Lookup` (a `get` method): here plain dicts, in
`sql_tables.py` one SQL query per lookup, the baseline `medref bench check` measures.

PTP edits are stored per column 1 code as `{column2: cell}`. A cell packs one table row into
an int, `indicator | deleted << 4 | effective << 24` (dates as proleptic ordinals, 0 = none),
so that an active edit is just its indicator 0, 1 or 9 (Python's shared small ints: no memory
per row); a pair listed more than once (deleted, later added again) has a tuple of cells.
"""

from __future__ import annotations

import gc
import sqlite3
import sys
from bisect import bisect_left
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from medref.claims.model import Setting
from medref.kb.store import KnowledgeBase, ReleaseInfo

K_contra = TypeVar("K_contra", contravariant=True)
V_co = TypeVar("V_co", covariant=True)
T = TypeVar("T")


class Lookup(Protocol[K_contra, V_co]):
    """What a rule needs of a table: `get` one key. A dict is one."""

    def get(self, key: K_contra, /) -> V_co | None: ...


# -- table rows ---------------------------------------------------------------------------

PtpCell = int | tuple[int, ...]
PtpIndex = Lookup[str, Lookup[str, PtpCell]]
"""column 1 code -> column 2 code -> cell."""

INDICATOR_MASK = 0xF
DATE_SHIFT = 4
DATE_MASK = 0xFFFFF
EFFECTIVE_SHIFT = 24


def encode_ptp(effective: date | None, deleted: date | None, indicator: int) -> int:
    return (
        indicator
        | (deleted.toordinal() if deleted else 0) << DATE_SHIFT
        | (effective.toordinal() if effective else 0) << EFFECTIVE_SHIFT
    )


class PtpVerdict(NamedTuple):
    """What the PTP table says about one pair on one date."""

    indicator: int | None
    """Modifier indicator of the edit in force; None when no row of the pair is in force."""
    deleted: date | None
    """When no row is in force: the latest deletion date (or None if it is not yet effective)."""


def ptp_verdict(cell: PtpCell, day: int) -> PtpVerdict:
    """The edit in force on `day` (an ordinal). If several rows are, the strictest indicator
    wins (0 before 1 before 9)."""
    rows = (cell,) if isinstance(cell, int) else cell
    in_force: int | None = None
    last_deleted = 0
    for row in rows:
        deleted = (row >> DATE_SHIFT) & DATE_MASK
        effective = row >> EFFECTIVE_SHIFT
        if (effective and day < effective) or (deleted and day > deleted):
            last_deleted = max(last_deleted, deleted)
            continue
        indicator = row & INDICATOR_MASK
        if in_force is None or indicator < in_force:
            in_force = indicator
    if in_force is not None:
        return PtpVerdict(in_force, None)
    return PtpVerdict(None, date.fromordinal(last_deleted) if last_deleted else None)


class MueLimit(NamedTuple):
    units: int
    mai: int


class AddOn(NamedTuple):
    edit_type: int
    primaries: frozenset[str]
    """Listed primary codes; `CCCCC` alone for type 2 (contractor-defined)."""


class PfsIndicators(NamedTuple):
    """The payment policy indicators of a PFS row (RVU file layout, fields 58-120)."""

    status: str
    global_days: str
    pctc: int
    mult_proc: int
    bilat_surg: int
    asst_surg: int
    co_surg: int
    team_surg: int


class CodeDates(NamedTuple):
    effective: date | None
    terminated: date | None

    def in_force(self, day: date) -> bool:
        if self.effective is not None and day < self.effective:
            return False
        return self.terminated is None or day <= self.terminated


class PlaceOfService(NamedTuple):
    name: str
    assigned: bool


class IcdCodes(Protocol):
    """One ICD-10-CM release."""

    def billable(self, code: str) -> bool | None:
        """True for a billable code, False for a header, None when the release lacks it."""
        ...

    def children(self, code: str, limit: int) -> list[str]:
        """Up to `limit` billable codes under a header, for the hint of a failed finding."""
        ...


class IcdRelease:
    """ICD-10-CM codes of one release in memory: billable flags and a sorted code list."""

    def __init__(self, billable: dict[str, bool]) -> None:
        self._billable = billable
        self._sorted = sorted(code for code, flag in billable.items() if flag)

    def billable(self, code: str) -> bool | None:
        return self._billable.get(code)

    def children(self, code: str, limit: int) -> list[str]:
        prefix = code if "." in code else f"{code}."
        found: list[str] = []
        at = bisect_left(self._sorted, prefix)
        while at < len(self._sorted) and len(found) < limit:
            candidate = self._sorted[at]
            if not candidate.startswith(prefix):
                break
            found.append(candidate)
            at += 1
        return found


# -- releases -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Loaded(Generic[T]):
    """One release of a table, read into memory."""

    vintage: str
    """`NCCI PTP practitioner 2024-07`: the label findings carry."""
    info: ReleaseInfo
    data: T


def window(info: ReleaseInfo) -> str:
    """The dates of service a release governs, in words: `2024-07-01..2024-09-30`."""
    start = info.effective.isoformat() if info.effective else None
    end = info.until.isoformat() if info.until else None
    if start and end:
        return f"{start}..{end}"
    if start:
        return f"{start} onward"
    return f"up to {end}" if end else "all dates"


class Versioned(Generic[T]):
    """Every loaded release of one table; picks the release in force on a date of service and
    reads it on first use."""

    def __init__(
        self, label: str, releases: Sequence[ReleaseInfo], load: Callable[[ReleaseInfo], T]
    ) -> None:
        self.label = label
        self.releases = list(releases)
        self._load = load
        self._loaded: dict[str, Loaded[T]] = {}
        self._by_day: dict[date, Loaded[T] | None] = {}
        self._outside: dict[date, str] = {}
        self.memo: dict[Hashable, Any] = {}
        """Verdicts rules derive from this table (by code and date), kept with it."""

    def on(self, day: date) -> Loaded[T] | None:
        """The release in force on `day`, None when no loaded release covers it."""
        try:
            return self._by_day[day]
        except KeyError:
            pass
        info = next((r for r in reversed(self.releases) if r.covers(day)), None)
        found = None if info is None else self.release(info)
        self._by_day[day] = found
        return found

    def newest(self) -> Loaded[T] | None:
        return self.release(self.releases[-1]) if self.releases else None

    def release(self, info: ReleaseInfo) -> Loaded[T]:
        loaded = self._loaded.get(info.release)
        if loaded is None:
            loaded = Loaded(f"{self.label} {info.release}", info, self._load(info))
            self._loaded[info.release] = loaded
            # The tables live as long as the process: keep the cyclic collector from scanning
            # them again and again while claims stream by (measured: 5-10% faster checks).
            gc.freeze()
        return loaded

    def outside(self, day: date) -> str:
        """Why there is no data for `day`, naming what is loaded."""
        reason = self._outside.get(day)
        if reason is None:
            reason = self._outside[day] = self._why_outside(day)
        return reason

    def _why_outside(self, day: date) -> str:
        if not self.releases:
            return f"no {self.label} release is loaded: build the knowledge base with its files"
        if len(self.releases) == 1:
            info = self.releases[0]
            return (
                f"{self.label} {info.release} covers {window(info)}; date of service "
                f"{day.isoformat()} is outside it"
            )
        spans = ", ".join(f"{info.release} ({window(info)})" for info in self.releases)
        return (
            f"{self.label} releases loaded: {spans}; date of service {day.isoformat()} is "
            "outside them"
        )

    def vintages(self) -> list[str]:
        """Every loaded release, with its window."""
        return [f"{self.label} {info.release} ({window(info)})" for info in self.releases]

    def used(self) -> list[str]:
        """The releases a check has read so far, with their windows."""
        return [f"{loaded.vintage} ({window(loaded.info)})" for loaded in self._loaded.values()]


@dataclass(frozen=True, slots=True)
class EditTables:
    """All tables a claim check reads, each versioned by release."""

    ptp: dict[Setting, Versioned[PtpIndex]]
    """Per setting with a PTP table (`PTP_SOURCES`): none for DME supplier claims."""
    mue: dict[Setting, Versioned[Lookup[str, MueLimit]]]
    aoc: Versioned[Lookup[str, AddOn]]
    pfs: Versioned[Lookup[str, PfsIndicators]]
    hcpcs: Versioned[Lookup[str, CodeDates]]
    modifiers: Versioned[Lookup[str, CodeDates]]
    icd: Versioned[IcdCodes]
    pos: Versioned[Lookup[str, PlaceOfService]]
    labs: Versioned[frozenset[str]]
    """Level II codes whose HCPCS type of service is diagnostic laboratory (modifier 91)."""

    def all(self) -> list[Versioned[Any]]:
        tables: list[Versioned[Any]] = [*self.ptp.values(), *self.mue.values()]
        tables += [self.aoc, self.pfs, self.hcpcs, self.modifiers, self.icd, self.pos]
        return tables

    def level_2_labs(self) -> frozenset[str]:
        """From the newest HCPCS release: a code's kind of service does not change with the
        quarter the way its validity does."""
        found: frozenset[str] | None = self.labs.memo.get("newest")
        if found is None:
            loaded = self.labs.newest()
            found = self.labs.memo["newest"] = frozenset() if loaded is None else loaded.data
        return found

    def vintages(self) -> list[str]:
        return [vintage for table in self.all() for vintage in table.vintages()]


PTP_SOURCES: dict[Setting, str] = {
    "practitioner": "ncci-ptp-practitioner",
    "outpatient": "ncci-ptp-outpatient",
}
"""No `dme` entry: NCCI publishes PTP tables only for practitioner and outpatient hospital
services (IOM 100-04, chapter 23, §20.9), so `EditTables.ptp` has no table for DME claims."""
MUE_SOURCES: dict[Setting, str] = {
    "practitioner": "ncci-mue-practitioner",
    "outpatient": "ncci-mue-outpatient",
    "dme": "ncci-mue-dme",
}


class Loaders(Protocol):
    """How each table's release is read: into memory (here) or as SQL lookups (baseline)."""

    def ptp(self, setting: Setting, info: ReleaseInfo) -> PtpIndex: ...
    def mue(self, info: ReleaseInfo) -> Lookup[str, MueLimit]: ...
    def aoc(self, info: ReleaseInfo) -> Lookup[str, AddOn]: ...
    def pfs(self, info: ReleaseInfo) -> Lookup[str, PfsIndicators]: ...
    def code_dates(self, info: ReleaseInfo) -> Lookup[str, CodeDates]: ...
    def icd(self, info: ReleaseInfo) -> IcdCodes: ...
    def pos(self, info: ReleaseInfo) -> Lookup[str, PlaceOfService]: ...
    def labs(self, info: ReleaseInfo) -> frozenset[str]: ...


def edit_tables(kb: KnowledgeBase, loaders: Loaders | None = None) -> EditTables:
    """The tables of `kb`, each release read on first use by `loaders` (into memory by
    default)."""
    read = loaders or MemoryLoaders(kb.conn)

    def ptp_table(setting: Setting) -> Versioned[PtpIndex]:
        return Versioned(
            f"NCCI PTP {setting}",
            kb.releases(PTP_SOURCES[setting]),
            lambda info: read.ptp(setting, info),
        )

    return EditTables(
        ptp={setting: ptp_table(setting) for setting in PTP_SOURCES},
        mue={
            setting: Versioned(f"NCCI MUE {setting}", kb.releases(source), read.mue)
            for setting, source in MUE_SOURCES.items()
        },
        aoc=Versioned("NCCI add-on code edits", kb.releases("ncci-aoc"), read.aoc),
        pfs=Versioned("PFS", kb.releases("pfs"), read.pfs),
        hcpcs=Versioned("HCPCS", kb.releases("hcpcs"), read.code_dates),
        modifiers=Versioned("HCPCS modifiers", kb.releases("hcpcs-modifiers"), read.code_dates),
        icd=Versioned("ICD-10-CM", kb.releases("icd10cm"), read.icd),
        pos=Versioned("POS", kb.releases("pos"), read.pos),
        labs=Versioned("HCPCS laboratory codes", kb.releases("hcpcs"), read.labs),
    )


# -- reading SQLite into memory -------------------------------------------------------------

INDICATORS = {"0": 0, "1": 1, "9": 9}


def iso(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def pfs_key(code: str, modifier: str | None) -> str:
    """PFS rows are keyed like their references: `99213`, `71046-26`."""
    return f"{code}-{modifier}" if modifier else code


PFS_FIELDS = ", ".join(
    f"json_extract(data, '$.{name}')"
    for name in (
        "status_code",
        "glob_days",
        "pctc_ind",
        "mult_proc",
        "bilat_surg",
        "asst_surg",
        "co_surg",
        "team_surg",
    )
)


def pfs_indicators(values: Sequence[object]) -> PfsIndicators:
    status, global_days, *numbers = values
    pctc, mult, bilat, asst, co, team = (int(str(n)) for n in numbers)
    return PfsIndicators(str(status), str(global_days), pctc, mult, bilat, asst, co, team)


LAB_CODES = (
    "SELECT code FROM records WHERE source = ? AND release = ? AND kind = 'code' AND "
    "EXISTS (SELECT 1 FROM json_each(json_extract(data, '$.tos')) WHERE value = '5')"
)
"""HCPCS type of service 5: diagnostic laboratory."""


class MemoryLoaders:
    """Reads whole releases into dicts: one query each, then no SQL while checking."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def ptp(self, setting: Setting, info: ReleaseInfo) -> PtpIndex:
        index: dict[str, dict[str, PtpCell]] = {}
        codes: dict[str, str] = {}
        dates: dict[str | None, date | None] = {None: None}
        start = info.effective
        rows = self.conn.execute(
            "SELECT column1, column2, effective, deleted, modifier_indicator FROM ptp "
            "WHERE setting = ? AND release = ?",
            (setting, info.release),
        )
        intern = sys.intern
        for column1, column2, effective, deleted, indicator in rows:
            if effective is None and deleted is None:
                cell = INDICATORS[indicator]
            else:
                for value in (effective, deleted):
                    if value not in dates:
                        dates[value] = date.fromisoformat(value)
                since = dates[effective]
                if since is not None and start is not None and since <= start:
                    since = None  # in force from the release's first day: no need to store it
                cell = encode_ptp(since, dates[deleted], INDICATORS[indicator])
            inner = index.get(column1)
            if inner is None:
                inner = index[intern(column1)] = {}
            column2 = codes.setdefault(column2, column2)
            before = inner.get(column2)
            if before is None:
                inner[column2] = cell
            else:
                inner[column2] = ((before,) if isinstance(before, int) else before) + (cell,)
        return index

    def mue(self, info: ReleaseInfo) -> Lookup[str, MueLimit]:
        rows = self._records(
            info, "code, json_extract(data, '$.units'), json_extract(data, '$.mai')"
        )
        return {code: MueLimit(int(units), int(mai)) for code, units, mai in rows}

    def aoc(self, info: ReleaseInfo) -> Lookup[str, AddOn]:
        found: dict[str, tuple[int, set[str]]] = {}
        rows = self._records(
            info,
            "json_extract(data, '$.add_on'), json_extract(data, '$.primary'), "
            "json_extract(data, '$.edit_type'), terminated",
        )
        for add_on, primary, edit_type, terminated in rows:
            if info.effective and terminated and date.fromisoformat(terminated) < info.effective:
                continue
            found.setdefault(add_on, (int(edit_type), set()))[1].add(primary)
        return {
            code: AddOn(kind, frozenset(primaries)) for code, (kind, primaries) in found.items()
        }

    def pfs(self, info: ReleaseInfo) -> Lookup[str, PfsIndicators]:
        rows = self._records(
            info, f"json_extract(data, '$.hcpcs'), json_extract(data, '$.mod'), {PFS_FIELDS}"
        )
        return {pfs_key(code, modifier): pfs_indicators(rest) for code, modifier, *rest in rows}

    def code_dates(self, info: ReleaseInfo) -> Lookup[str, CodeDates]:
        rows = self._records(info, "code, effective, terminated")
        return {code: CodeDates(iso(effective), iso(ended)) for code, effective, ended in rows}

    def icd(self, info: ReleaseInfo) -> IcdCodes:
        rows = self._records(info, "code, json_extract(data, '$.billable')")
        return IcdRelease({code: bool(billable) for code, billable in rows})

    def pos(self, info: ReleaseInfo) -> Lookup[str, PlaceOfService]:
        rows = self._records(
            info, "code, json_extract(data, '$.name'), json_extract(data, '$.assigned')"
        )
        return {code: PlaceOfService(name, bool(assigned)) for code, name, assigned in rows}

    def labs(self, info: ReleaseInfo) -> frozenset[str]:
        rows = self.conn.execute(LAB_CODES, (info.source, info.release)).fetchall()
        return frozenset(code for (code,) in rows)

    def _records(self, info: ReleaseInfo, columns: str) -> list[tuple[Any, ...]]:
        return self.conn.execute(
            f"SELECT {columns} FROM records WHERE source = ? AND release = ?",
            (info.source, info.release),
        ).fetchall()
