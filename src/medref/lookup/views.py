"""What the knowledge base says about one code, release by release: fee schedule
indicators, MUEs, PTP edits and add-on code edits.

Each view picks, per source, the release in force on the date of service (or the newest
release when no date is given), so a card never mixes quarters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from medref.codes.ncci import MAI_MEANINGS
from medref.codes.pfs_indicators import INDICATORS
from medref.kb.store import KnowledgeBase, ReleaseInfo
from medref.records import Record
from medref.sources.ncci import PTP_SETTINGS

MUE_SOURCES = {
    "ncci-mue-practitioner": "practitioner",
    "ncci-mue-outpatient": "outpatient hospital",
    "ncci-mue-dme": "DME supplier",
}
AOC_SOURCE = "ncci-aoc"
PFS_SOURCE = "pfs"
TOP_PAIRS = 10
RVU_FIELDS = ("work_rvu", "non_facility_total", "facility_total", "conv_factor")


TABLE_NAMES = {
    "hcpcs": "HCPCS Level II",
    "hcpcs-modifiers": "HCPCS modifiers",
    "icd10cm": "ICD-10-CM",
    PFS_SOURCE: "physician fee schedule",
    "pos": "place of service list",
    **{source: f"NCCI MUE ({setting})" for source, setting in MUE_SOURCES.items()},
    "ncci-ptp-practitioner": "NCCI PTP (practitioner)",
    "ncci-ptp-outpatient": "NCCI PTP (outpatient hospital)",
    AOC_SOURCE: "NCCI add-on code edits",
}
"""What a card calls each table it reads, when it says which period the table covers."""


@dataclass
class Considered:
    """The releases a card looked at, and why some sources gave nothing."""

    releases: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    used: list[ReleaseInfo] = field(default_factory=list)

    def pick(self, kb: KnowledgeBase, source: str, on: date | None) -> ReleaseInfo | None:
        """The release of `source` in force on `on`, or the newest without a date."""
        loaded = kb.releases(source)
        if not loaded:
            return None
        info = kb.release_on(source, on) if on is not None else loaded[-1]
        if info is None:
            spans = ", ".join(_span(r) for r in loaded)
            self.gaps.append(f"{source}: no loaded release covers {on} (loaded: {spans})")
            return None
        self.note(info)
        return info

    def note(self, info: ReleaseInfo) -> None:
        """Count `info` among the releases the card's facts come from."""
        if info not in self.used:
            self.used.append(info)
            self.releases.append(f"{info.source}@{info.release}")

    def periods(self) -> list[dict[str, Any]]:
        """Each release used, with the dates of service it governs."""
        return [
            {
                "source": info.source,
                "table": TABLE_NAMES.get(info.source, info.source),
                "release": info.release,
                "effective": info.effective,
                "until": info.until,
                "covers": covered_dates(info),
            }
            for info in self.used
        ]

    def mixed_periods(self, on: date | None) -> str | None:
        """A warning when the dated releases used do not govern one date of service in
        common (2026 HCPCS beside a 2024 NCCI quarter), or not the date asked about, naming
        each release and its period."""
        dated = [info for info in self.used if info.effective or info.until]
        if on is not None:
            if all(info.covers(on) for info in dated):
                return None
            return (
                f"these tables come from different periods, not all of which govern "
                f"{on.isoformat()}: {_periods_in_words(dated)}"
            )
        starts = [info.effective for info in dated if info.effective]
        ends = [info.until for info in dated if info.until]
        if not starts or not ends or max(starts) <= min(ends):
            return None
        return (
            "these tables come from different periods, and no single date of service falls "
            f"in all of them: {_periods_in_words(dated)}; give a date of service to use only "
            "the releases in force on it"
        )


def _periods_in_words(releases: list[ReleaseInfo]) -> str:
    """`HCPCS Level II 2026-01 (2026-01-01 onward); NCCI MUE (practitioner), ... 2024-07
    (2024-07-01 to 2024-09-30)`: tables of one release and period named together."""
    groups: dict[tuple[str, str], list[str]] = {}
    for info in releases:
        key = (info.release, covered_dates(info))
        groups.setdefault(key, []).append(TABLE_NAMES.get(info.source, info.source))
    return "; ".join(
        f"{', '.join(tables)} {release} ({period})" for (release, period), tables in groups.items()
    )


def covered_dates(info: ReleaseInfo) -> str:
    """The dates of service a release governs, in words."""
    if info.effective is None and info.until is None:
        return "not tied to dates of service"
    start = info.effective.isoformat() if info.effective else "its first date"
    return f"{start} to {info.until.isoformat()}" if info.until else f"{start} onward"


def _span(info: ReleaseInfo) -> str:
    return f"{info.release} ({covered_dates(info)})"


def in_release(records: list[Record], source: str, info: ReleaseInfo | None) -> list[Record]:
    if info is None:
        return []
    return [r for r in records if r.source == source and r.release == info.release]


def pfs_rows(kb: KnowledgeBase, code: str, info: ReleaseInfo | None) -> list[dict[str, Any]]:
    """The code's fee schedule rows (global and modifier rows), indicators in words."""
    rows = in_release(kb.by_code(code, (PFS_SOURCE,)), PFS_SOURCE, info)
    return [_pfs_row(record) for record in rows]


def _pfs_row(record: Record) -> dict[str, Any]:
    data = record.data
    indicators = [
        {
            "field": column,
            "name": name,
            "value": str(data.get(column, "")),
            "meaning": table.get(str(data.get(column, ""))),
        }
        for column, (name, table) in INDICATORS.items()
    ]
    return {
        "ref": record.ref,
        "release": record.release,
        "modifier": data.get("mod") or None,
        "status_code": data.get("status_code"),
        "indicators": indicators,
        "rvus": {name: data.get(name) for name in RVU_FIELDS},
        "endo_base": data.get("endo_base") or None,
    }


def mue_limits(
    kb: KnowledgeBase, code: str, on: date | None, seen: Considered
) -> list[dict[str, Any]]:
    """One MUE per setting (practitioner, outpatient hospital, DME supplier) when listed."""
    records = kb.records(f"MUE:{code}")
    found = []
    for source, setting in MUE_SOURCES.items():
        for record in in_release(records, source, seen.pick(kb, source, on)):
            mai = int(record.data["mai"])
            found.append(
                {
                    "setting": setting,
                    "ref": record.ref,
                    "source": source,
                    "release": record.release,
                    "units": record.data["units"],
                    "mai": mai,
                    "mai_meaning": MAI_MEANINGS.get(mai),
                    "rationale": record.data.get("rationale"),
                }
            )
    return found


def ptp_summary(kb: KnowledgeBase, code: str, on: date | None, seen: Considered) -> dict[str, Any]:
    """PTP edits with the code as column 1 and as column 2, per setting: counts of edits
    active on the date (or not deleted, without a date) by modifier indicator, and the
    first pairs (indicator 0, never bypassable, first)."""
    summary: dict[str, Any] = {}
    for source, setting in PTP_SETTINGS.items():
        info = seen.pick(kb, source, on)
        if info is None:
            continue
        summary[setting] = {
            "release": info.release,
            "as_column_1": _ptp_side(kb, "column1", "column2", code, setting, info, on),
            "as_column_2": _ptp_side(kb, "column2", "column1", code, setting, info, on),
        }
    return summary


def _active_sql(on: date | None) -> tuple[str, tuple[str, ...]]:
    if on is None:
        return "deleted IS NULL", ()
    day = on.isoformat()
    return "(effective IS NULL OR effective <= ?) AND (deleted IS NULL OR ? <= deleted)", (
        day,
        day,
    )


def _ptp_side(
    kb: KnowledgeBase,
    side: str,
    other: str,
    code: str,
    setting: str,
    info: ReleaseInfo,
    on: date | None,
) -> dict[str, Any]:
    active, params = _active_sql(on)
    where = f"{side} = ? AND setting = ? AND release = ?"
    base = (code, setting, info.release)
    counts = kb.conn.execute(
        f"SELECT modifier_indicator, COUNT(*), SUM({active}) FROM ptp_rows WHERE {where} "
        "GROUP BY modifier_indicator",
        (*params, *base),
    ).fetchall()
    pairs = kb.conn.execute(
        f"SELECT {other}, modifier_indicator FROM ptp_rows WHERE {where} AND {active} "
        f"ORDER BY modifier_indicator, {other} LIMIT {TOP_PAIRS}",
        (*base, *params),
    ).fetchall()
    by_indicator = {indicator: live for indicator, _, live in counts if live}
    return {
        "rows": sum(rows for _, rows, _ in counts),
        "active": sum(by_indicator.values()),
        "active_by_modifier_indicator": by_indicator,
        "top_pairs": [
            {
                "ref": f"PTP:{code}/{pair}" if side == "column1" else f"PTP:{pair}/{code}",
                "other_code": pair,
                "modifier_indicator": indicator,
            }
            for pair, indicator in pairs
        ],
    }


def add_on_relations(
    kb: KnowledgeBase, code: str, on: date | None, seen: Considered
) -> dict[str, Any]:
    """As an add-on: its acceptable primaries; as a primary: the add-ons listed with it."""
    info = seen.pick(kb, AOC_SOURCE, on)
    if info is None:
        return {"as_add_on": [], "as_primary": []}
    as_add_on = in_release(kb.by_code(code, (AOC_SOURCE,)), AOC_SOURCE, info)
    rows = kb.conn.execute(
        "SELECT id FROM records WHERE ref >= ? AND ref < ? AND source = ? AND release = ?",
        (f"AOC:{code}/", f"AOC:{code}0", AOC_SOURCE, info.release),
    ).fetchall()
    as_primary = [kb.record_by_id(row[0]) for row in rows]
    return {
        "release": info.release,
        "as_add_on": [_aoc(r, "primary") for r in as_add_on if _in_force(r, on)],
        "as_primary": [_aoc(r, "add_on") for r in as_primary if _in_force(r, on)],
    }


def _in_force(record: Record, on: date | None) -> bool:
    return on is None or record.in_force(on)


def _aoc(record: Record, other: str) -> dict[str, Any]:
    return {
        "ref": record.ref,
        "code": record.data[other],
        "edit_type": record.data["edit_type"],
        "contractor_defined_primary": record.data.get("contractor_defined_primary", False),
    }
