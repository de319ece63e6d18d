"""Read ASC X12 5010 837P (professional) and 837I (institutional) claims into the claim model.

Loops map to claims as the implementation guides lay them out:

| loop | segments read | into |
|---|---|---|
| 2000A/2010AA billing provider | HL*20, NM1*85 | the rendering NPI when no NM1*82 names one |
| 2000B/2010BA subscriber | HL*22, SBR, NM1*IL (NM109 member id), DMG | `patient_id` when the subscriber is the patient |
| 2000C/2010CA patient | HL*23, PAT, NM1*QC, DMG | `patient_id`: the subscriber's id with the patient's name and birth date |
| 2300 claim | CLM (CLM01 id, CLM05 place of service or facility type, frequency), HI, DTP*434 | claim id, place of service, diagnoses; the statement date of institutional lines without their own |
| 2310B (837P) / 2310D (837I) rendering provider | NM1*82 | `rendering_npi` of the claim's lines |
| 2320/2330 other payers | SBR, CAS, NM1 ... | skipped (another payer's adjudication) |
| 2400 service line | LX, SV1 (837P) / SV2 (837I), DTP*472, REF*6R | a claim line: its number (LX01), code, modifiers, units, place of service, diagnosis pointers, date |
| 2420A (837P) / 2420C (837I) | NM1*82 | the line's `rendering_npi` |

Every claim keeps its place (`ClaimPlace`): interchange, group and transaction control
numbers, CLM01, the position of its CLM and of each LX. A segment that does not belong where
it stands, a broken value, a claim without a diagnosis or lines, or a broken envelope around
it makes the claim an input error naming the segment; the other claims are read. Claims are
handed on when their transaction's SE has vouched for them (a transaction is held in memory;
the guides recommend at most 5,000 claims in one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple, TextIO

from medref.claims.model import MAX_DIAGNOSES, MAX_POINTERS, Claim, ClaimLine, InputProblem, Setting
from medref.claims.values import (
    MAX_ID,
    Invalid,
    diagnosis_code,
    modifier_tuple,
    to_code,
    to_npi,
    to_place,
)
from medref.x12.envelope import ENVELOPE_IDS, Counts, Envelope, Transaction, X12Problem, element
from medref.x12.tokens import Delimiters, Tokenizer, ccyymmdd

GUIDES_837 = frozenset({"837P", "837I"})

HEADER = frozenset({"BHT", "NM1", "PER"})
PROVIDER = frozenset({"PRV", "CUR", "NM1", "N3", "N4", "REF", "PER"})
SUBSCRIBER = frozenset({"SBR", "PAT", "NM1", "N3", "N4", "DMG", "REF", "PER"})
PATIENT = frozenset({"PAT", "NM1", "N3", "N4", "DMG", "REF", "PER"})
CLAIM = frozenset(
    {"CLM", "DTP", "CL1", "PWK", "CN1", "AMT", "REF", "K3", "NTE", "CR1", "CR2", "CRC", "HI"}
    | {"HCP", "NM1", "PRV", "N3", "N4", "PER"}
)
OTHER_PAYER = frozenset(
    {"SBR", "CAS", "AMT", "OI", "MIA", "MOA", "NM1", "N3", "N4", "REF", "DTP", "PER", "DMG"}
)
LINE = frozenset(
    {"SV1", "SV2", "SV5", "PWK", "CR1", "CR3", "CRC", "DTP", "QTY", "MEA", "CN1", "REF", "AMT"}
    | {"K3", "NTE", "PS1", "HCP", "LIN", "CTP", "NM1", "PRV", "N3", "N4", "PER"}
)
LINE_ADJUDICATION = frozenset({"SVD", "CAS", "DTP", "AMT", "LQ", "FRM"})
SECTIONS: dict[str, tuple[str, frozenset[str]]] = {
    "header": ("the transaction header (before the first HL)", HEADER),
    "20": ("loop 2000A/2010A (billing provider)", PROVIDER),
    "22": ("loop 2000B/2010B (subscriber)", SUBSCRIBER),
    "23": ("loop 2000C/2010CA (patient)", PATIENT),
    "claim": ("loop 2300/2310 (claim)", CLAIM),
    "other": ("loop 2320/2330 (other payer)", OTHER_PAYER),
    "line": ("loop 2400/2410/2420 (service line)", LINE),
    "adjudicated": ("loop 2430/2440 (line adjudication)", LINE_ADJUDICATION),
}
ENTITIES: dict[str, frozenset[str]] = {
    "header": frozenset({"41", "40"}),
    "20": frozenset({"85", "87", "PE"}),
    "22": frozenset({"IL", "PR"}),
    "23": frozenset({"QC"}),
    "claim": frozenset({"DN", "P3", "82", "77", "DQ", "PW", "45", "71", "72", "ZZ", "DK"}),
    "other": frozenset({"IL", "PR", "DN", "P3", "82", "77", "DQ", "85", "71", "72", "ZZ"}),
    "line": frozenset({"82", "QB", "77", "DQ", "DK", "DN", "P3", "PW", "45", "72", "ZZ", "71"}),
}
"""NM1 entity identifier codes each loop may hold (NM101)."""
LEVELS = {"20": "billing provider", "22": "subscriber", "23": "patient"}
PARENT_LEVEL = {"20": "", "22": "20", "23": "22"}
ICD10_QUALIFIERS = {"ABK": 0, "ABF": 1, "ABJ": 2, "APR": 3, "ABN": 4}
"""HI qualifiers of ICD-10-CM codes, in the order the claim lists them: principal, other,
admitting, patient's reason for visit, external cause."""
ICD9_QUALIFIERS = frozenset({"BK", "BF", "BJ", "PR", "BN"})
INPATIENT_FACILITIES = {"11": "hospital inpatient (Part A)", "21": "skilled nursing inpatient"}
"""Facility type codes (CLM05-1 of an 837I, the type of bill's first two digits) of inpatient
stays, paid per stay: the NCCI outpatient hospital edits do not apply to them."""
MAX_INSTITUTIONAL_DIAGNOSES = 1 + 24 + 1 + 3 + 12
MEMO_LIMIT = 200_000
"""837I: principal, 24 other, admitting, 3 reasons for visit, 12 external causes."""


class LinePlace(NamedTuple):
    """Where a line stands (a tuple of plain values: the garbage collector stops tracking
    it, though every place of a file's claims is held until their findings go out)."""

    lx: int
    """LX01, the line's number in its claim."""
    segment: int
    """File position of the LX segment."""
    control: str = ""
    """REF*6R, the line item control number the provider gave (an 835 echoes it)."""
    through: date | None = None
    """The last date of a range of dates (DTP*472 RD8); the line is checked on its first."""


@dataclass(slots=True)
class ClaimPlace:
    """Where a claim stands in its file."""

    interchange: str
    group: str
    transaction: str
    guide: str
    claim_id: str
    segment: int
    """File position of the CLM segment."""
    facility: str = ""
    """CLM05-1: the place of service (837P) or facility type code (837I)."""
    frequency: str = ""
    """CLM05-3: 1 original, 7 replacement, 8 void."""
    lines: dict[int, LinePlace] = field(default_factory=dict)

    def of(self, line: int | None) -> dict[str, object]:
        """The place of a finding on `line` (None: the claim)."""
        found: dict[str, object] = {
            "interchange": self.interchange,
            "group": self.group,
            "transaction": self.transaction,
            "guide": self.guide,
            "clm01": self.claim_id,
            "clm_segment": self.segment,
        }
        spot = self.lines.get(line) if line is not None else None
        if spot is not None:
            found["lx"] = spot.lx
            found["lx_segment"] = spot.segment
            if spot.control:
                found["line_control"] = spot.control
            if spot.through is not None:
                found["through"] = spot.through.isoformat()
        return found

    def label(self) -> str:
        return (
            f"{self.guide} ISA {self.interchange} / GS {self.group} / ST {self.transaction}, "
            f"CLM at segment {self.segment}"
        )


@dataclass
class X12Counts:
    """What the file held, so every claim and line read is accounted for."""

    claims: int = 0
    """CLM segments read."""
    lines: int = 0
    """LX segments read."""
    revenue_only_lines: int = 0
    """837I lines with a revenue code and no HCPCS code: nothing for the edits to check."""
    date_ranges: int = 0
    """Lines billed over a range of dates (DTP*472 RD8), checked on their first date."""
    envelope: Counts = field(default_factory=Counts)
    problems: list[X12Problem] = field(default_factory=list)
    """Problems not tied to one claim: envelope counts, stray segments, loops without claims."""

    def as_dict(self) -> dict[str, object]:
        return {
            "interchanges": self.envelope.interchanges,
            "functional_groups": self.envelope.groups,
            "transaction_sets": self.envelope.transactions,
            "segments": self.envelope.segments,
            "claims": self.claims,
            "service_lines": self.lines,
            "revenue_code_only_lines": self.revenue_only_lines,
            "lines_with_date_ranges": self.date_ranges,
            "problems": [problem.as_dict() for problem in self.problems],
        }


@dataclass(slots=True)
class Level:
    """A hierarchical level (HL) and what its loop said."""

    code: str
    hl: str
    id: str = ""
    """Billing provider NPI (20), subscriber member id (22), patient name and birth date (23)."""
    name: str = ""
    birth: str = ""
    problems: list[X12Problem] = field(default_factory=list)
    claims: int = 0


@dataclass(slots=True)
class LineDraft:
    lx: int
    segment: int
    code: str = ""
    modifiers: tuple[str, ...] = ()
    units: int = 0
    place: str | None = None
    pointers: tuple[int, ...] = ()
    day: date | None = None
    through: date | None = None
    npi: str = ""
    control: str = ""
    service: bool = False
    """An SV1/SV2 was read."""
    revenue_only: bool = False


@dataclass(slots=True)
class ClaimDraft:
    claim_id: str
    segment: int
    facility: str
    frequency: str
    diagnoses: list[tuple[int, int, str]] = field(default_factory=list)
    """(qualifier order, position, code)."""
    diagnosis_count: int = 0
    npi: str = ""
    statement: tuple[date, date] | None = None
    lines: list[LineDraft] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)


class Reader837:
    """Claims of an 837 file, streamed transaction by transaction. After (or while)
    iterating `claims`, `places` gives each claim's place by its `order` and `counts` what
    the file held."""

    def __init__(self, setting: Setting = "practitioner") -> None:
        self.setting = setting
        """Setting of 837P claims (practitioner, or dme for a DME supplier's file); 837I
        claims are outpatient hospital claims."""
        self.places: dict[int, ClaimPlace] = {}
        self.counts = X12Counts()
        self.order = 0
        self.ready: list[Claim] = []
        self.tx: Transaction | None = None
        self.delimiters = Delimiters("*", ":", "^", "~")
        self.guide = ""
        self.memo: dict[tuple[str, str], object] = {}
        """Converted values by (what, text): a file repeats its codes, dates and units, so
        each is read once (`cached`)."""
        self.procedures: dict[str, tuple[str, tuple[str, ...]] | str] = {}
        """SV101 composites read (the hot path of an 837P, looked up directly)."""
        self.reset()

    def reset(self) -> None:
        self.section = "header"
        self.levels: dict[str, str] = {}
        """HL01 -> HL03 of the transaction's levels so far (for HL02 parents)."""
        self.provider: Level | None = None
        self.subscriber: Level | None = None
        self.patient: Level | None = None
        self.claim: ClaimDraft | None = None
        self.line: LineDraft | None = None
        self.tx_claims: list[tuple[Claim, ClaimPlace]] = []

    # -- the stream ---------------------------------------------------------------------------

    def claims(self, handle: TextIO) -> Iterator[Claim]:
        tokens = Tokenizer(handle)
        envelope = Envelope(GUIDES_837, self.begin, self.end)
        self.counts.envelope = envelope.counts
        handlers = {
            "HL": self.on_hl,
            "CLM": self.on_clm,
            "LX": self.on_lx,
            "SV1": self.on_sv1,
            "SV2": self.on_sv2,
            "DTP": self.on_dtp,
            "HI": self.on_hi,
            "NM1": self.on_nm1,
            "REF": self.on_ref,
            "SBR": self.on_sbr,
            "DMG": self.on_dmg,
            "SVD": self.on_adjudication,
            "LQ": self.on_adjudication,
        }
        for fields in tokens:
            number = tokens.number
            sid = fields[0]
            if sid in ENVELOPE_IDS:
                if tokens.delimiters is not None:
                    self.delimiters = tokens.delimiters
                envelope.feed(fields, number)
                if self.ready:
                    yield from self.ready
                    self.ready.clear()
            elif self.tx is None:
                envelope.outside(fields, number)
            else:
                handler = handlers.get(sid)
                if handler is not None:
                    handler(fields, number)
                elif sid not in SECTIONS[self.section][1]:
                    self.misplaced(fields, number)
        envelope.finish(tokens.number)
        self.counts.problems = envelope.problems + self.counts.problems
        yield from self.ready
        self.ready.clear()

    def begin(self, tx: Transaction) -> None:
        self.tx = tx
        self.guide = tx.guide.name if tx.guide is not None else ""
        self.reset()

    def cached(self, what: str, text: str, convert: Callable[[str], object]) -> object:
        """`convert(text)`, worked out once per value (a problem is a `str`)."""
        key = (what, text)
        found = self.memo.get(key)
        if found is None:
            if len(self.memo) > MEMO_LIMIT:
                self.memo.clear()
            found = self.memo[key] = convert(text)
        return found

    def end(self, tx: Transaction) -> None:
        """The transaction is over: its claims go out, as errors when its envelope failed."""
        self.close_claim()
        for level in (self.patient, self.subscriber, self.provider):
            self.close_level(level)
        for claim, place in self.tx_claims:
            if tx.problems:
                why = "; ".join(map(str, tx.problems))
                claim.problems.insert(
                    0, InputProblem(None, f"transaction {tx.control} is not read: {why}")
                )
            self.ready.append(claim)
            self.places[claim.order] = place
        self.tx = None
        self.reset()

    # -- problems -----------------------------------------------------------------------------

    def problem(self, number: int, sid: str, message: str) -> X12Problem:
        tx = self.tx
        if tx is None:
            return X12Problem(number, sid, message)
        return X12Problem(number, sid, message, tx.position(number), tx.control)

    def where(self, number: int, sid: str) -> str:
        """`segment N (ID, position P in transaction T)` for a message."""
        return str(self.problem(number, sid, "")).removesuffix(": ")

    def fault(self, number: int, sid: str, message: str, line: int | None = None) -> None:
        """A problem where it belongs: the line or claim being read, else the deepest level
        open (its claims will carry it), else the file's list."""
        found = self.problem(number, sid, message)
        if self.claim is not None:
            if line is None and self.line is not None and self.line.lx > 0:
                line = self.line.lx
            self.claim.problems.append(InputProblem(line, str(found)))
            return
        for level in (self.patient, self.subscriber, self.provider):
            if level is not None:
                level.problems.append(found)
                return
        self.counts.problems.append(found)

    def misplaced(self, fields: list[str], number: int) -> None:
        sid = fields[0]
        where = SECTIONS[self.section][0]
        homes = [name for name, (_, ids) in SECTIONS.items() if sid in ids]
        if homes:
            message = (
                f"{sid} does not belong in {where}: it is a segment of "
                f"{' or '.join(SECTIONS[h][0] for h in homes)}; the loop order is wrong"
            )
        else:
            message = f"{sid} is not a segment of the 837 (unknown loop or segment in {where})"
        self.fault(number, sid[:3], message)

    def close_level(self, level: Level | None) -> None:
        """A level whose problems no claim carried: they go to the file's list."""
        if level is not None and level.problems and not level.claims:
            self.counts.problems.extend(level.problems)
            level.problems = []

    # -- hierarchy ----------------------------------------------------------------------------

    def on_hl(self, fields: list[str], number: int) -> None:
        self.close_claim()
        fields += ["", "", ""]
        hl, parent, code = fields[1], fields[2], fields[3]
        level = Level(code, hl)
        if not hl or hl in self.levels:
            level.problems.append(
                self.problem(number, "HL", f"HL01 {hl!r} is empty or repeats an earlier HL")
            )
        self.levels[hl] = code
        if code not in LEVELS:
            level.problems.append(
                self.problem(
                    number,
                    "HL",
                    f"HL03 {code!r} is not a hierarchical level of the 837 (unknown loop): "
                    "20 billing provider, 22 subscriber, 23 patient",
                )
            )
            self.close_level(self.patient)
            self.patient, self.section = level, "23"
            return
        expected = PARENT_LEVEL[code]
        found = self.levels.get(parent) if parent else None
        if expected and found != expected:
            level.problems.append(
                self.problem(
                    number,
                    "HL",
                    f"HL02 {parent!r} does not name an earlier {LEVELS[expected]} level (HL03 "
                    f"{expected}): a {LEVELS[code]} loop sits under its {LEVELS[expected]}",
                )
            )
        elif not expected and parent:
            level.problems.append(
                self.problem(number, "HL", f"a billing provider level has a parent ({parent!r})")
            )
        if code == "20":
            for old in (self.patient, self.subscriber, self.provider):
                self.close_level(old)
            self.provider, self.subscriber, self.patient = level, None, None
        elif code == "22":
            for old in (self.patient, self.subscriber):
                self.close_level(old)
            self.subscriber, self.patient = level, None
        else:
            self.close_level(self.patient)
            self.patient = level
        self.section = code

    def on_nm1(self, fields: list[str], number: int) -> None:
        section = self.section
        if section == "adjudicated":
            self.misplaced(fields, number)
            return
        entity = element(fields, 1)
        allowed = ENTITIES[section]
        if entity not in allowed:
            self.fault(
                number,
                "NM1",
                f"NM1*{entity} is not a loop of {SECTIONS[section][0]} (unknown loop): it may "
                f"hold NM1 {', '.join(sorted(allowed))}",
            )
            return
        qualifier, value = element(fields, 8), element(fields, 9)
        if section == "20" and entity == "85" and self.provider is not None:
            self.provider.id = self.npi(qualifier, value, number)
        elif section == "22" and entity == "IL" and self.subscriber is not None:
            self.subscriber.id = value
            self.subscriber.name = f"{element(fields, 3)}^{element(fields, 4)}".upper()
            if not value:
                self.fault(number, "NM1", "the subscriber has no member id (NM109)")
        elif section == "23" and self.patient is not None:
            self.patient.name = f"{element(fields, 3)}^{element(fields, 4)}".upper()
        elif entity == "82" and section == "claim" and self.claim is not None:
            self.claim.npi = self.npi(qualifier, value, number)
        elif entity == "82" and section == "line" and self.line is not None:
            self.line.npi = self.npi(qualifier, value, number)

    def npi(self, qualifier: str, value: str, number: int) -> str:
        if qualifier != "XX":
            self.fault(number, "NM1", f"NM108 {qualifier!r}: the provider's NPI (XX) is needed")
            return ""
        found = to_npi(value)
        if isinstance(found, Invalid):
            self.fault(number, "NM1", f"NM109: {found.problem}")
            return ""
        return found

    def on_dmg(self, fields: list[str], number: int) -> None:
        section = self.section
        if section not in ("22", "23", "other"):
            self.misplaced(fields, number)
        elif section == "22" and self.subscriber is not None:
            self.subscriber.birth = element(fields, 2)
        elif section == "23" and self.patient is not None:
            self.patient.birth = element(fields, 2)

    def on_sbr(self, fields: list[str], number: int) -> None:
        if self.section in ("claim", "other"):
            self.section = "other"  # 2320: another payer's part in the claim
        elif self.section != "22":
            self.misplaced(fields, number)

    # -- claims -------------------------------------------------------------------------------

    def on_clm(self, fields: list[str], number: int) -> None:
        self.close_claim()
        self.counts.claims += 1
        owner = self.patient or self.subscriber
        claim_id = element(fields, 1)
        parts = element(fields, 5).split(self.delimiters.component)
        facility = parts[0] if parts else ""
        draft = ClaimDraft(
            claim_id[:MAX_ID] or f"(CLM at segment {number})",
            number,
            facility,
            parts[2] if len(parts) > 2 else "",
        )
        self.claim, self.line, self.section = draft, None, "claim"
        if owner is None:
            self.fault(number, "CLM", "a claim outside a subscriber or patient loop (HL*22/23)")
        if not claim_id or len(claim_id) > MAX_ID:
            self.fault(number, "CLM", f"CLM01 must give the claim id in 1 to {MAX_ID} characters")

    def on_lx(self, fields: list[str], number: int) -> None:
        if self.claim is None:
            self.misplaced(fields, number)
            return
        self.close_line()
        self.counts.lines += 1
        text = element(fields, 1)
        number_given = int(text) if text.isascii() and text.isdigit() else 0
        self.line = LineDraft(number_given, number)
        self.claim.lines.append(self.line)
        self.section = "line"
        if not 1 <= number_given <= 999_999:
            self.fault(number, "LX", f"LX01 {text!r} must number the line from 1")

    def on_adjudication(self, fields: list[str], number: int) -> None:
        if self.section not in ("line", "adjudicated"):
            self.misplaced(fields, number)
        self.section = "adjudicated"

    def on_sv1(self, fields: list[str], number: int) -> None:
        line = self.line
        if line is None or line.service or self.section != "line" or self.guide == "837I":
            if self.service_line(fields, number, "837P") is None:
                self.misplaced(fields, number)
                return
            assert line is not None
        line.service = True
        fields += ["", "", "", "", "", "", ""]
        composite = fields[1]
        found = self.procedures.get(composite)
        if found is None:
            if len(self.procedures) > MEMO_LIMIT:
                self.procedures.clear()
            found = self.procedures[composite] = self.read_procedure(composite, "SV101")
        if isinstance(found, str):
            self.fault(number, "SV1", found)
        else:
            line.code, line.modifiers = found
        self.quantity(line, fields[3], fields[4], number, "SV1", ("UN", "MJ"))
        place = fields[5]
        if place:
            value = self.cached("place", place, to_place)
            if isinstance(value, Invalid):
                self.fault(number, "SV1", f"SV105: {value.problem}")
            else:
                line.place = value  # type: ignore[assignment]
        if fields[7]:
            line.pointers = self.pointers(fields[7], number)

    def on_sv2(self, fields: list[str], number: int) -> None:
        line = self.service_line(fields, number, "837I")
        if line is None:
            self.misplaced(fields, number)
            return
        procedure = element(fields, 2)
        if procedure:
            self.procedure(line, procedure, number, "SV202")
        else:
            line.revenue_only = True
        self.quantity(line, element(fields, 4), element(fields, 5), number, "SV2", ("UN", "DA"))

    def service_line(self, fields: list[str], number: int, guide: str) -> LineDraft | None:
        line = self.line
        if line is None or self.section != "line":
            return None
        if line.service:
            self.fault(number, fields[0], f"a second service segment in line {line.lx}")
        line.service = True
        if self.guide and self.guide != guide:
            self.fault(
                number,
                fields[0],
                f"{fields[0]} is a segment of the {guide}, not of the {self.guide}",
            )
        return line

    def procedure(self, line: LineDraft, composite: str, number: int, name: str) -> None:
        found = self.cached(name, composite, lambda text: self.read_procedure(text, name))
        if isinstance(found, str):
            self.fault(number, name[:3], found)
        else:
            line.code, line.modifiers = found  # type: ignore[misc]

    def read_procedure(self, composite: str, name: str) -> tuple[str, tuple[str, ...]] | str:
        """(code, modifiers) of an SV101/SV202 composite, or what is wrong with it."""
        parts = composite.split(self.delimiters.component)
        qualifier = parts[0]
        if qualifier != "HC":
            return f"{name}-1 {qualifier!r}: only HCPCS/CPT procedure codes (HC) are checked"
        code = to_code(parts[1] if len(parts) > 1 else "")
        if isinstance(code, Invalid):
            return f"{name}-2: {code.problem}"
        modifiers = modifier_tuple(tuple(m.strip().upper() for m in parts[2:6] if m.strip()), parts)
        if isinstance(modifiers, Invalid):
            return f"{name}-3..6: {modifiers.problem}"
        return code, modifiers

    def quantity(
        self,
        line: LineDraft,
        basis: str,
        quantity: str,
        number: int,
        sid: str,
        bases: tuple[str, ...],
    ) -> None:
        """Units of service; minutes of anesthesia (MJ) are one service."""
        if basis == "UN":
            found = self.memo.get(("units", quantity))
            if found is not None and not isinstance(found, str):
                line.units = found  # type: ignore[assignment]
                return
        at = 3 if sid == "SV1" else 4
        if basis not in bases:
            self.fault(number, sid, f"{sid}0{at} unit basis {basis!r} must be {' or '.join(bases)}")
            return
        units = self.cached("units", quantity, whole_units)
        if isinstance(units, str):
            self.fault(number, sid, f"{sid}0{at + 1} quantity {quantity!r} {units}")
            return
        line.units = 1 if basis == "MJ" else units  # type: ignore[assignment]

    def pointers(self, composite: str, number: int) -> tuple[int, ...]:
        found = self.cached("pointers", composite, self.read_pointers)
        if isinstance(found, str):
            self.fault(number, "SV1", found)
            return ()
        return found  # type: ignore[return-value]

    def read_pointers(self, composite: str) -> tuple[int, ...] | str:
        found = []
        for part in composite.split(self.delimiters.component):
            if not part.isascii() or not part.isdigit() or not 1 <= int(part) <= MAX_DIAGNOSES:
                return f"SV107 pointer {part!r} must be 1 to {MAX_DIAGNOSES}"
            found.append(int(part))
        if len(found) > MAX_POINTERS:
            return f"SV107 holds {len(found)} pointers; at most {MAX_POINTERS}"
        return tuple(found)

    def on_dtp(self, fields: list[str], number: int) -> None:
        section = self.section
        line = self.line
        if section == "line" and line is not None and len(fields) > 3 and fields[1] == "472":
            span = self.dates(fields, number)
            if span is not None:
                line.day, line.through = span[0], (span[1] if span[1] != span[0] else None)
            return
        if section not in ("claim", "other", "line", "adjudicated"):
            self.misplaced(fields, number)
            return
        qualifier = element(fields, 1)
        if section == "claim" and qualifier == "434" and self.claim is not None:
            self.claim.statement = self.dates(fields, number)

    def dates(self, fields: list[str], number: int) -> tuple[date, date] | None:
        form, text = element(fields, 2), element(fields, 3)
        found = self.cached(form, text, lambda value: date_span(form, value))
        if isinstance(found, str):
            self.fault(number, "DTP", f"DTP{element(fields, 1)} {form}*{text}: {found}")
            return None
        return found  # type: ignore[return-value]

    def on_hi(self, fields: list[str], number: int) -> None:
        claim = self.claim
        if claim is None or self.section != "claim":
            self.misplaced(fields, number)
            return
        for at, composite in enumerate(fields[1:], start=1):
            if not composite:
                continue
            parts = composite.split(self.delimiters.component)
            qualifier = parts[0]
            order = ICD10_QUALIFIERS.get(qualifier)
            if order is None:
                if qualifier in ICD9_QUALIFIERS:
                    self.fault(
                        number,
                        "HI",
                        f"HI{at:02d} qualifier {qualifier}: ICD-9-CM diagnoses; claims with "
                        "dates of service since 2015-10-01 use ICD-10-CM (ABK, ABF)",
                    )
                continue  # procedure, condition, occurrence and value codes
            code = diagnosis_code(parts[1] if len(parts) > 1 else "")
            if not code:
                self.fault(
                    number, "HI", f"HI{at:02d} {composite!r} does not hold an ICD-10-CM code"
                )
                continue
            claim.diagnosis_count += 1
            claim.diagnoses.append((order, claim.diagnosis_count, code))

    def on_ref(self, fields: list[str], number: int) -> None:
        section = self.section
        if section == "line" and self.line is not None:
            if len(fields) > 2 and fields[1] == "6R":
                self.line.control = fields[2]
            return
        if section not in ("20", "22", "23", "claim", "other", "line"):
            self.misplaced(fields, number)
        elif section == "line" and self.line is not None and element(fields, 1) == "6R":
            self.line.control = element(fields, 2)

    # -- closing ------------------------------------------------------------------------------

    def close_line(self) -> None:
        line = self.line
        if line is None:
            return
        self.line = None
        if not line.service:
            self.fault(
                line.segment,
                "LX",
                f"line {line.lx} has no SV1/SV2 service segment",
                line.lx if line.lx > 0 else None,
            )

    def close_claim(self) -> None:
        draft = self.claim
        if draft is None:
            return
        self.close_line()
        self.claim = None
        tx = self.tx
        assert tx is not None
        guide = tx.guide.name if tx.guide is not None else "837"
        owner = self.patient or self.subscriber
        problems: list[InputProblem] = []
        for level in (self.provider, self.subscriber, self.patient):
            if level is not None:
                level.claims += 1
                if level.problems:
                    problems += [InputProblem(None, str(problem)) for problem in level.problems]
        problems += draft.problems
        setting: Setting = "outpatient" if guide == "837I" else self.setting
        place = ClaimPlace(
            tx.interchange,
            tx.group,
            tx.control,
            guide,
            draft.claim_id,
            draft.segment,
            draft.facility,
            draft.frequency,
        )
        diagnoses = tuple(code for _, _, code in sorted(draft.diagnoses))
        limit = MAX_DIAGNOSES if guide == "837P" else MAX_INSTITUTIONAL_DIAGNOSES
        if not diagnoses:
            problems.append(
                InputProblem(
                    None,
                    f"{self.where(draft.segment, 'CLM')}: claim {draft.claim_id!r} has no diagnosis: an {guide} claim "
                    "needs an HI segment with its principal ICD-10-CM code (HI*ABK) before its "
                    "first LX",
                )
            )
        elif len(diagnoses) > limit:
            problems.append(
                InputProblem(
                    None,
                    f"{self.where(draft.segment, 'CLM')}: {len(diagnoses)} diagnoses; an "
                    f"{guide} claim holds {limit}",
                )
            )
        if guide == "837I" and draft.facility[:2] in INPATIENT_FACILITIES:
            problems.append(
                InputProblem(
                    None,
                    f"{self.where(draft.segment, 'CLM')}: facility type {draft.facility} (CLM05-1) is a "
                    f"{INPATIENT_FACILITIES[draft.facility[:2]]} bill, paid per stay: the NCCI "
                    "edits medref checks apply to outpatient claims",
                )
            )
        if not draft.lines:
            problems.append(
                InputProblem(
                    None,
                    f"{self.where(draft.segment, 'CLM')}: claim {draft.claim_id!r} has no "
                    "service lines (LX)",
                )
            )
        claim_place = ""
        if guide != "837I":
            found = self.cached("place", draft.facility, to_place)
            if isinstance(found, Invalid):
                problems.append(
                    InputProblem(
                        None, f"{self.where(draft.segment, 'CLM')}: CLM05-1 {found.problem}"
                    )
                )
            else:
                claim_place = found  # type: ignore[assignment]
        npi = draft.npi or (self.provider.id if self.provider is not None else "")
        lines: list[ClaimLine] = []
        rows = 0
        count = len(diagnoses)
        for line in draft.lines:
            place.lines[line.lx] = LinePlace(line.lx, line.segment, line.control, line.through)
            if line.revenue_only:
                self.counts.revenue_only_lines += 1
                continue
            if line.through is not None:
                self.counts.date_ranges += 1
            rows += 1
            if line.day is None and guide == "837I" and draft.statement is not None:
                first, last = draft.statement
                if first == last:  # a one-day statement period dates its lines
                    line.day = first
            if (
                line.day is not None
                and line.code
                and line.units
                and line.lx > 0
                and (not line.pointers or max(line.pointers) <= count)
            ):
                where = "" if guide == "837I" else claim_place if line.place is None else line.place
                lines.append(
                    ClaimLine(
                        line.lx,
                        line.day,
                        line.code,
                        line.modifiers,
                        line.units,
                        where,
                        line.pointers,
                        line.npi or npi,
                    )
                )
            else:
                self.line_problems(line, draft, guide, count, problems)
        numbers = [line.lx for line in draft.lines]
        repeated = (
            sorted({n for n in numbers if numbers.count(n) > 1})
            if len(set(numbers)) != len(numbers)
            else []
        )
        if repeated:
            problems.append(
                InputProblem(
                    repeated[0],
                    f"{self.where(draft.segment, 'CLM')}: line numbers (LX01) {', '.join(map(str, repeated))} repeat in "
                    "the claim; number the lines 1, 2, 3, ...",
                )
            )
        self.order += 1
        claim = Claim(
            draft.claim_id,
            setting,
            diagnoses,
            lines,
            problems,
            patient_id=self.patient_id(owner),
            order=self.order,
            rows=rows,
        )
        self.tx_claims.append((claim, place))

    def line_problems(
        self,
        line: LineDraft,
        draft: ClaimDraft,
        guide: str,
        diagnoses: int,
        problems: list[InputProblem],
    ) -> None:
        """Why a line drafted without a problem of its own cannot be a claim line."""
        if line.day is None and line.service:
            problems.append(
                InputProblem(
                    line.lx or None,
                    f"{self.where(line.segment, 'LX')}: line {line.lx} has no date of service: "
                    "give DTP*472 in the line"
                    + (" (or a one-day statement period, DTP*434)" if guide == "837I" else ""),
                )
            )
        if diagnoses and any(pointer > diagnoses for pointer in line.pointers):
            problems.append(
                InputProblem(
                    line.lx or None,
                    f"{self.where(line.segment, 'LX')}: diagnosis pointers {list(line.pointers)} "
                    f"point past the claim's {diagnoses} diagnoses",
                )
            )

    def patient_id(self, owner: Level | None) -> str:
        """Who the claim is for: the subscriber's member id, with the patient's name and
        birth date when the patient is a dependant (2000C)."""
        subscriber = self.subscriber
        if subscriber is None or owner is None:
            return ""
        if owner is subscriber:
            return subscriber.id[:MAX_ID]
        return f"{subscriber.id}/{owner.name}/{owner.birth}"[:MAX_ID]


def date_span(form: str, text: str) -> tuple[date, date] | str:
    """A D8 date or an RD8 range, or what is wrong with it."""
    parts = text.split("-") if form == "RD8" else [text] if form == "D8" else []
    days = [ccyymmdd(part) for part in parts]
    if not days or None in days:
        return "write a date as D8*CCYYMMDD or a range as RD8*CCYYMMDD-CCYYMMDD"
    first, last = days[0], days[-1]
    assert first is not None and last is not None
    if last < first:
        return f"the range {text} ends before it starts"
    return first, last


def whole_units(text: str) -> int | str:
    """Units of service from an X12 decimal (`2`, `2.0`), or what is wrong with them."""
    whole, _, fraction = text.partition(".")
    if not whole.isascii() or not whole.isdigit() or fraction.strip("0"):
        return "must be a whole number of units from 1"
    units = int(whole)
    if not 1 <= units <= 999_999:
        return "must be 1 to 999999"
    return units
