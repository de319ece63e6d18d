"""Any code explained: what it is, whether it is valid on a date of service, and what the
loaded CMS tables say about it (fee schedule, MUE, PTP, add-on edits, texts citing it).

Version-aware: ICD-10-CM uses the release in force on the date of service; HCPCS codes use
their own added/termination dates; NCCI and fee schedule views use the release covering the
date. CPT codes are checked by form only (the AMA's tables are not shipped) unless the fee
schedule lists them; their descriptors appear only from a licensed file the user names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from medref.codes import modifiers
from medref.codes.classify import Classification, classify
from medref.codes.hcpcs_ranges import DESCRIPTOR_RESTRICTED
from medref.codes.systems import CPT_SYSTEMS
from medref.kb.store import KnowledgeBase, ReleaseInfo
from medref.lookup.mentions import mentions
from medref.lookup.views import (
    PFS_SOURCE,
    Considered,
    add_on_relations,
    in_release,
    mue_limits,
    pfs_rows,
    ptp_summary,
)
from medref.records import Record

ICD_SOURCE = "icd10cm"
HCPCS_SOURCE = "hcpcs"
MODIFIER_SOURCE = "hcpcs-modifiers"
POS_SOURCE = "pos"
ICD_NOTES = (
    "excludes1",
    "excludes2",
    "code_first",
    "use_additional",
    "code_also",
    "includes",
    "inclusion_terms",
    "notes",
)
DELETED_PFS_STATUS = frozenset({"D", "F"})
CPT_NOT_LOADED = "the CPT tables are licensed by the AMA and not loaded"
CDT_NOT_LOADED = "D codes are CDT, the ADA's, and the public HCPCS file leaves them out"
"""Why a code's own table is missing: the fee schedule then vouches for the code."""


@dataclass
class CodeCard:
    input: str
    code: str
    system: str
    category: str | None
    subcategory: str | None
    ref: str | None
    modifiers: list[str]
    date_of_service: date | None
    valid: bool | None = None
    """True/False when the loaded tables decide it; None when nothing loaded can."""
    validity: str = ""
    release: str | None = None
    record: dict[str, Any] | None = None
    effective: date | None = None
    terminated: date | None = None
    descriptor: str | None = None
    """CPT descriptor from the user's licensed file; never from medref itself."""
    other_readings: list[dict[str, Any]] = field(default_factory=list)
    icd: dict[str, Any] | None = None
    modifier: dict[str, Any] | None = None
    modifier_checks: list[dict[str, Any]] = field(default_factory=list)
    pfs: list[dict[str, Any]] = field(default_factory=list)
    mue: list[dict[str, Any]] = field(default_factory=list)
    ptp: dict[str, Any] = field(default_factory=dict)
    add_on: dict[str, Any] = field(default_factory=dict)
    mentions: list[dict[str, str]] = field(default_factory=list)
    releases: list[str] = field(default_factory=list)
    periods: list[dict[str, Any]] = field(default_factory=list)
    """Each release the card's facts come from, with the dates of service it governs."""
    mixed_periods: str | None = None
    """Set when those releases govern no date of service in common, naming each one."""
    gaps: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        plain: dict[str, Any] = _plain(asdict(self))
        if self.icd:
            # the two facts asked of a diagnosis code first, also at the top level
            plain["billable"] = self.icd.get("billable")
            plain["children"] = self.icd.get("children", [])
        return plain


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def explain(
    kb: KnowledgeBase,
    raw: str,
    on: date | None = None,
    *,
    descriptors: Mapping[str, str] | None = None,
) -> CodeCard:
    """The card of one code (optionally with modifiers) for a date of service."""
    found = classify(raw)
    reading = _reading_in_kb(kb, found)
    card = CodeCard(
        raw.strip(),
        reading.normalized,
        reading.system,
        reading.category,
        reading.subcategory,
        reading.ref,
        list(reading.modifiers),
        on,
    )
    card.other_readings = [
        {"system": other.system, "ref": other.ref, "known": _known(kb, other)}
        for other in found.candidates
        if other.system != reading.system
    ]
    seen = Considered()
    if reading.system in CPT_SYSTEMS or reading.system == "hcpcs-level-2":
        _procedure(kb, card, seen, descriptors)
    elif reading.system == "icd-10-cm":
        _icd(kb, card, seen)
    elif reading.system == "modifier":
        _modifier(kb, card, seen)
    elif reading.system == "place-of-service":
        _place_of_service(kb, card, seen)
    else:
        card.validity = "ICD-10-PCS tables are not loaded; the form is a valid PCS code"
    card.mentions = mentions(kb, card.code, card.system)
    if card.record is not None:
        seen.note(_release_info(kb, card.record["source"], card.record["release"]))
    card.releases, card.gaps = seen.releases, seen.gaps
    card.periods, card.mixed_periods = seen.periods(), seen.mixed_periods(on)
    return card


def _release_info(kb: KnowledgeBase, source: str, release: str) -> ReleaseInfo:
    return next(info for info in kb.releases(source) if info.release == release)


def _reading_in_kb(kb: KnowledgeBase, found: Classification) -> Classification:
    """The first reading the knowledge base knows, else the most likely one."""
    for reading in found.candidates:
        if _known(kb, reading):
            return reading
    return found


def _known(kb: KnowledgeBase, reading: Classification) -> bool:
    """The knowledge base (or, for CPT modifiers, medref's own table) knows this reading."""
    if reading.system == "modifier" and modifiers.lookup(reading.normalized) is not None:
        return True
    if reading.system in CPT_SYSTEMS:
        return bool(kb.by_code(reading.normalized))
    return reading.ref is not None and bool(kb.records(reading.ref))


def _set_record(card: CodeCard, record: Record) -> None:
    card.release = record.release
    card.effective, card.terminated = record.effective, record.terminated
    card.record = {
        "ref": record.ref,
        "source": record.source,
        "release": record.release,
        "title": record.title,
        "text": record.text,
        "effective": record.effective,
        "terminated": record.terminated,
    }


def _procedure(
    kb: KnowledgeBase, card: CodeCard, seen: Considered, descriptors: Mapping[str, str] | None
) -> None:
    on = card.date_of_service
    licensed = CPT_NOT_LOADED if card.system in CPT_SYSTEMS else None
    if card.system == "hcpcs-level-2" and not _hcpcs_validity(kb, card, seen):
        licensed = CDT_NOT_LOADED if card.code[:1] in DESCRIPTOR_RESTRICTED else None
    pfs_release = seen.pick(kb, PFS_SOURCE, on)
    card.pfs = pfs_rows(kb, card.code, pfs_release)
    card.mue = mue_limits(kb, card.code, on, seen)
    if licensed is not None:
        _licensed_validity(card, licensed, pfs_loaded=pfs_release is not None)
    if card.system in CPT_SYSTEMS and descriptors is not None:
        card.descriptor = descriptors.get(card.code)
    _mark_fee_schedule(card)
    card.ptp = ptp_summary(kb, card.code, on, seen)
    card.add_on = add_on_relations(kb, card.code, on, seen)
    card.modifier_checks = [_modifier_flags(code) for code in card.modifiers]


def _mark_fee_schedule(card: CodeCard) -> None:
    """A fee schedule row applies to a code the card finds valid, or cannot judge; for a
    code it finds not valid the row is kept, marked, with the reason."""
    for row in card.pfs:
        row["applies"] = card.valid is not False
        row["does_not_apply_because"] = None if row["applies"] else card.validity


def _hcpcs_validity(kb: KnowledgeBase, card: CodeCard, seen: Considered) -> bool:
    """Validity from the HCPCS file; False when the file has no record of the code (a CDT
    code is then left to `_licensed_validity`)."""
    on = card.date_of_service
    records = [r for r in kb.records(card.ref or "") if r.source == HCPCS_SOURCE]
    info = seen.pick(kb, HCPCS_SOURCE, on)
    chosen = in_release(records, HCPCS_SOURCE, info) or records[-1:]
    if not chosen:
        loaded = [r.release for r in kb.releases(HCPCS_SOURCE)]
        card.valid = False if loaded else None
        card.validity = (
            f"{card.code} is not in HCPCS release {', '.join(loaded)}"
            if loaded
            else "no HCPCS release is loaded"
        )
        return False
    record = chosen[-1]
    _set_record(card, record)
    card.valid, card.validity = _dated_validity(card.code, record, on)
    return True


def _dated_validity(code: str, record: Record, on: date | None) -> tuple[bool, str]:
    """A HCPCS code is valid from its added date through its termination date."""
    if on is None:
        if record.terminated is not None:
            return False, (
                f"{code} is terminated: last date of use "
                f"{record.terminated.isoformat()} (release {record.release})"
            )
        return True, f"{code} is active in HCPCS release {record.release}"
    if record.effective is not None and on < record.effective:
        return False, (
            f"{code} was added {record.effective.isoformat()}: not valid for a "
            f"date of service {on.isoformat()}"
        )
    if record.terminated is not None and on > record.terminated:
        return False, (
            f"{code} was terminated: last date of use "
            f"{record.terminated.isoformat()}, before {on.isoformat()}"
        )
    return True, f"{code} is valid on {on.isoformat()} (HCPCS release {record.release})"


def _licensed_validity(card: CodeCard, licensed: str, *, pfs_loaded: bool) -> None:
    """CPT and CDT tables are not public: the fee schedule row, else an MUE row, vouches for
    a code."""
    if card.system == "cpt-category-1" and card.category is None:
        card.valid = False
        card.validity = f"{card.code}: no CPT Category I section holds this number"
        return
    main = next((row for row in card.pfs if row["modifier"] is None), None)
    if main is not None:
        status = main["status_code"]
        card.valid = status not in DELETED_PFS_STATUS
        card.release = main["release"]
        verdict = "listed" if card.valid else "deleted"
        card.validity = (
            f"{card.code} is {verdict} in the physician fee schedule release "
            f"{main['release']} (status {status}); {licensed}"
        )
        return
    if card.mue:
        card.valid = True
        listed = ", ".join(f"{row['setting']} {row['release']}" for row in card.mue)
        card.validity = f"{card.code} is listed in the NCCI MUE tables ({listed}); {licensed}"
        return
    where = "has no row for it" if pfs_loaded else "release covering the date is not loaded"
    card.valid = None
    card.validity = (
        f"{card.code} has the form of a {card.system} code; {licensed}, and the fee "
        f"schedule {where}, so its existence is not confirmed"
    )


def _icd(kb: KnowledgeBase, card: CodeCard, seen: Considered) -> None:
    ref = card.ref or ""
    info = seen.pick(kb, ICD_SOURCE, card.date_of_service)
    records = kb.records(ref)
    if info is None:
        card.valid = None
        card.validity = (
            "no loaded ICD-10-CM release covers the date of service"
            if kb.releases(ICD_SOURCE)
            else "no ICD-10-CM release is loaded"
        )
        return
    chosen = in_release(records, ICD_SOURCE, info)
    if not chosen:
        elsewhere = sorted({r.release for r in records})
        card.valid = False
        card.release = info.release
        card.validity = f"{card.code} is not in ICD-10-CM release {info.release}" + (
            f"; it is in {', '.join(elsewhere)}" if elsewhere else ""
        )
        return
    record = chosen[-1]
    _set_record(card, record)
    data = record.data
    billable = bool(data.get("billable"))
    children = list(data.get("children") or [])
    card.icd = {
        "billable": billable,
        "parent": record.parent,
        "children": children,
        "chapter": data.get("chapter"),
        "block": data.get("block"),
        "seventh_characters": data.get("seventh_characters") or {},
        **{note: data.get(note) or [] for note in ICD_NOTES},
    }
    card.valid = billable
    card.validity = (
        f"{card.code} is billable in ICD-10-CM release {info.release}"
        if billable
        else f"{card.code} is a header in ICD-10-CM release {info.release}, not billable: code "
        f"one of its {len(children)} more specific codes"
    )


def _modifier(kb: KnowledgeBase, card: CodeCard, seen: Considered) -> None:
    card.modifier = _modifier_flags(card.code)
    info = seen.pick(kb, MODIFIER_SOURCE, card.date_of_service)
    records = in_release(kb.records(card.ref or ""), MODIFIER_SOURCE, info)
    if records:
        record = records[-1]
        _set_record(card, record)
        on = card.date_of_service
        card.valid = on is None or record.in_force(on)
        card.validity = f"modifier {card.code} is in HCPCS release {record.release}" + (
            "" if card.valid else f" but not in force on {on}"
        )
    elif card.modifier["known"]:
        card.valid = True
        card.validity = f"{card.code} is a CPT (Level I) modifier; the summary is in our words"
    else:
        card.valid = False if info is not None else None
        card.validity = f"modifier {card.code} is not in the loaded HCPCS modifier list"


def _modifier_flags(code: str) -> dict[str, Any]:
    known = modifiers.lookup(code)
    if known is None:
        return {"code": code, "ref": f"MOD:{code}", "known": False, "flags": []}
    return {
        "code": code,
        "ref": known.ref,
        "known": True,
        "summary": known.summary,
        "level": known.level,
        "flags": known.flags(),
    }


def _place_of_service(kb: KnowledgeBase, card: CodeCard, seen: Considered) -> None:
    info = seen.pick(kb, POS_SOURCE, card.date_of_service)
    records = in_release(kb.records(card.ref or ""), POS_SOURCE, info)
    if not records:
        card.valid = False if info is not None else None
        card.validity = f"place of service {card.code} is not in the loaded POS list"
        return
    record = records[-1]
    _set_record(card, record)
    card.valid = bool(record.data.get("assigned", True))
    card.validity = f"POS {card.code}: {record.title}" + (
        "" if card.valid else " (CMS has not assigned this code)"
    )
