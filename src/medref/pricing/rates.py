"""The fee schedule inputs of a price, read from the knowledge base as exact decimals: a PFS
row's RVUs, shares and payment indicators (`PFS:<code>[-<mod>]`), a locality's GPCIs
(`GPCI:<MAC>-<locality>`), and the conversion factor the RVU file carries on every row.

The knowledge base stores the RVU file's numbers as JSON floats written from two-decimal
text; `Decimal(repr(x))` gives that text back exactly (0.57 -> Decimal('0.57')).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from medref.kb.store import KnowledgeBase, ReleaseInfo


def exact(value: object) -> Decimal:
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


@dataclass(frozen=True, slots=True)
class PfsRate:
    """One PFS row, as pricing needs it."""

    key: str
    """`99213`, `71046-26`."""
    code: str
    status: str
    work: Decimal
    pe_non_facility: Decimal
    pe_facility: Decimal
    mp: Decimal
    non_facility_na: bool
    facility_na: bool
    conversion_factor: Decimal
    global_days: str
    pre_op: Decimal
    intra_op: Decimal
    post_op: Decimal
    mult_proc: int
    bilat_surg: int
    asst_surg: int
    co_surg: int
    team_surg: int
    endo_base: str
    release: str

    @property
    def ref(self) -> str:
        return f"PFS:{self.key}"


@dataclass(frozen=True, slots=True)
class Gpci:
    """One payment locality's GPCIs (GPCI file row)."""

    id: str
    """`01112-05`: MAC and locality number."""
    mac: str
    state: str
    locality: str
    name: str
    work: Decimal
    pe: Decimal
    mp: Decimal
    release: str
    floor: str | None = None

    @property
    def ref(self) -> str:
        return f"GPCI:{self.id}"

    @property
    def label(self) -> str:
        return f"{self.id} ({self.state}, {self.name})"


def rate_from(data: dict[str, object], release: str) -> PfsRate:
    code, modifier = str(data["hcpcs"]), str(data.get("mod") or "")
    return PfsRate(
        key=f"{code}-{modifier}" if modifier else code,
        code=code,
        status=str(data["status_code"]),
        work=exact(data["work_rvu"]),
        pe_non_facility=exact(data["non_fac_pe_rvu"]),
        pe_facility=exact(data["facility_pe_rvu"]),
        mp=exact(data["mp_rvu"]),
        non_facility_na=data.get("non_fac_na_indicator") == "NA",
        facility_na=data.get("facility_na_indicator") == "NA",
        conversion_factor=exact(data["conv_factor"]),
        global_days=str(data["glob_days"]),
        pre_op=exact(data["pre_op"]),
        intra_op=exact(data["intra_op"]),
        post_op=exact(data["post_op"]),
        mult_proc=int(str(data["mult_proc"])),
        bilat_surg=int(str(data["bilat_surg"])),
        asst_surg=int(str(data["asst_surg"])),
        co_surg=int(str(data["co_surg"])),
        team_surg=int(str(data["team_surg"])),
        endo_base=str(data.get("endo_base") or ""),
        release=release,
    )


def gpci_from(data: dict[str, object], release: str) -> Gpci:
    return Gpci(
        id=f"{data['mac']}-{data['locality']}",
        mac=str(data["mac"]),
        state=str(data["state"]),
        locality=str(data["locality"]),
        name=str(data["name"]),
        work=Decimal(str(data["work"])),
        pe=Decimal(str(data["pe"])),
        mp=Decimal(str(data["mp"])),
        release=release,
        floor=str(data["floor"]) if data.get("floor") else None,
    )


class PricingTables:
    """The PFS rows and GPCIs of every loaded release, read on first use per release."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._rates: dict[str, dict[str, PfsRate]] = {}
        self._gpcis: dict[str, dict[str, Gpci]] = {}

    def release(self, source: str, on: date | None) -> ReleaseInfo | None:
        if on is None:
            return self.kb.latest_release(source)
        return self.kb.release_on(source, on)

    def rates(self, info: ReleaseInfo) -> dict[str, PfsRate]:
        found = self._rates.get(info.release)
        if found is None:
            found = self._rates[info.release] = {
                rate.key: rate
                for rate in (
                    rate_from(data, info.release)
                    for data in _data(self.kb.conn, info.source, info.release)
                )
            }
        return found

    def code_rates(self, info: ReleaseInfo, code: str) -> dict[str, PfsRate]:
        """The rows of one code (and its modifier rows), read alone: a code card prices one
        code and need not read the 19k rows of the whole file (0.6 s)."""
        loaded = self._rates.get(info.release)
        if loaded is not None:
            return {key: rate for key, rate in loaded.items() if rate.code == code}
        rows = self.kb.conn.execute(
            "SELECT data FROM records WHERE source = ? AND release = ? AND code = ?",
            (info.source, info.release, code),
        ).fetchall()
        return {
            rate.key: rate for rate in (rate_from(json.loads(r[0]), info.release) for r in rows)
        }

    def gpcis(self, info: ReleaseInfo) -> dict[str, Gpci]:
        found = self._gpcis.get(info.release)
        if found is None:
            found = self._gpcis[info.release] = {
                gpci.id: gpci
                for gpci in (
                    gpci_from(data, info.release)
                    for data in _data(self.kb.conn, info.source, info.release)
                )
            }
        return found


def _data(conn: sqlite3.Connection, source: str, release: str) -> list[dict[str, object]]:
    rows = conn.execute(
        "SELECT data FROM records WHERE source = ? AND release = ?", (source, release)
    ).fetchall()
    return [json.loads(row[0]) for row in rows]
