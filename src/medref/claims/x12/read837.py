"""Read ASC X12 5010 837P (professional) and 837I (institutional) claims into the claim model.

Loops map to claims as the implementation guides lay them out:

| loop | segments read | into |
|---|---|---|
| 2000A/2010AA billing provider | HL*20, NM1*85 | the rendering NPI when no NM1*82 names one |
| 2000B/2010BA subscriber | HL*22, SBR, NM1*IL (NM109 member id), DMG | `patient_id` when the subscriber is the patient |
| 2000C/2010CA patient | HL*23, PAT, NM1*QC, DMG | `patient_id`: the subscriber's id with the patient's name and birth date |
| 2300 claim | CLM (CLM01 id, CLM05 place of service or facility type, frequency), HI, DTP*434 (or a claim-level DTP*472) | claim id, place of service, diagnoses; the date of lines without their own, when the period is one day |
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
from typing import NamedTuple, TextIO, TypeVar

from medref.claims.model import MAX_DIAGNOSES, MAX_POINTERS, Claim, ClaimLine, InputProblem, Setting
from medref.claims.values import (
    MAX_CODE,
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
"""837I: principal, 24 other, admitting, 3 reasons for visit, 12 external causes."""
MEMO_LIMIT = 200_000
T = TypeVar("T")


class LinePlace(NamedTuple):
    """Where a line stands."""

    lx: int
    """LX01, the line's number in its claim."""
    segment: int
    """File position of the LX segment."""
    control: str = ""
    """REF*6R, the line item control number the provider gave (an 835 echoes it)."""
    through: date | None = None
    """The last date of a range of dates (DTP*472 RD8); the line is checked on its first."""


class ClaimPlace(NamedTuple):
    """Where a claim stands in its file. Plain values in a tuple: the garbage collector
    stops tracking it, though every place of a file's claims is held until their findings
    go out."""

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
    spots: tuple[int | str | date | None, ...] = ()
    """Its lines' places in file order, four values a line: LX01, the LX's file position,
    REF*6R and the last date of a range (or None)."""

    @property
    def lines(self) -> dict[int, LinePlace]:
        """The place of each line by its number (LX01; the last one when numbers repeat)."""
        spots = self.spots
        return {
            spots[at]: LinePlace(*spots[at : at + 4])  # type: ignore[misc,arg-type]
            for at in range(0, len(spots), 4)
        }

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
        if line is None:
            return found
        spots = self.spots
        for at in range(len(spots) - 4, -1, -4):
            if spots[at] == line:
                found["lx"] = line
                found["lx_segment"] = spots[at + 1]
                if spots[at + 2]:
                    found["line_control"] = spots[at + 2]
                through = spots[at + 3]
                if isinstance(through, date):
                    found["through"] = through.isoformat()
                break
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
    diagnoses: list[str] = field(default_factory=list)
    """ICD-10-CM codes in the order the HI segments give them."""
    orders: list[int] = field(default_factory=list)
    """The order of each one's qualifier (`ICD10_QUALIFIERS`)."""
    npi: str = ""
    statement: tuple[date, date] | None = None
    lines: list[LineDraft] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)


MISSING = object()


@dataclass(slots=True)
class Accepted:
    """Element values the general handlers read without a problem, by their text."""

    procedures: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    """SV101: (code, modifiers)."""
    units: dict[str, int] = field(default_factory=dict)
    """SV104 with unit basis UN."""
    pointers: dict[str, tuple[int, ...]] = field(default_factory=lambda: {"": ()})
    """SV107."""
    places: dict[str, str | None] = field(default_factory=lambda: {"": None})
    """SV105 (None: not given, the claim's applies)."""
    days: dict[str, date] = field(default_factory=dict)
    """DTP*472 D8 dates."""
    diagnoses: dict[str, tuple[int, str]] = field(default_factory=dict)
    """HI composites of ICD-10-CM codes: (qualifier order, code)."""
    places_of_service: dict[str, str] = field(default_factory=dict)
    """CLM05-1 of an 837P."""

    def note(self, kind: dict[str, T], text: str, value: T) -> None:
        if len(kind) > MEMO_LIMIT:
            kind.clear()
        kind[text] = value


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
        self.good = Accepted()
        """Values the general handlers found good, for the service line's fast path."""
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
            sid = fields[0]
            line = self.line
            if line is not None and self.section == "line":
                # a service line's segments, the bulk of a file, read here when well formed
                # with values seen before; anything else goes to its handler below
                if sid == "REF":
                    if len(fields) > 2 and fields[1] == "6R":
                        line.control = fields[2]
                    continue
                if sid == "DTP":
                    if len(fields) > 3 and fields[1] == "472" and fields[2] == "D8":
                        day = self.good.days.get(fields[3])
                        if day is not None:
                            line.day, line.through = day, None
                            continue
                elif sid == "SV1":
                    if self.plain_sv1(fields, line):
                        continue
                elif sid == "LX" and line.service and self.plain_lx(fields, tokens.number):
                    continue
            handler = handlers.get(sid)
            if handler is not None and self.tx is not None:
                handler(fields, tokens.number)
            elif sid in ENVELOPE_IDS:
                if tokens.delimiters is not None and tokens.delimiters != self.delimiters:
                    self.delimiters = tokens.delimiters
                    self.forget()
                envelope.feed(fields, tokens.number)
                if self.ready:
                    yield from self.ready
                    self.ready.clear()
            elif self.tx is None:
                envelope.outside(fields, tokens.number)
            elif sid not in SECTIONS[self.section][1]:
                self.misplaced(fields, tokens.number)
        envelope.finish(tokens.number)
        self.counts.problems = envelope.problems + self.counts.problems
        yield from self.ready
        self.ready.clear()

    def plain_sv1(self, fields: list[str], line: LineDraft) -> bool:
        """An SV1 read with values seen before (or a plain procedure); False: not read."""
        if line.service or self.guide == "837I" or len(fields) < 8 or fields[3] != "UN":
            return False
        good = self.good
        procedure = good.procedures.get(fields[1]) or self.plain_procedure(fields[1])
        units = good.units.get(fields[4])
        pointers = good.pointers.get(fields[7])
        place = good.places.get(fields[5], MISSING)
        if procedure is None or units is None or pointers is None or place is MISSING:
            return False
        line.service = True
        line.code, line.modifiers = procedure
        line.units = units
        line.pointers = pointers
        line.place = place  # type: ignore[assignment]  # str or None, never MISSING
        return True

    def plain_lx(self, fields: list[str], number: int) -> bool:
        """The next line of the claim numbered 1 to 999999; False: not read."""
        text = fields[1] if len(fields) > 1 else ""
        claim = self.claim
        if not (0 < len(text) <= 6 and text.isdigit() and text.isascii()) or claim is None:
            return False
        given = int(text)
        if given == 0:
            return False
        self.counts.lines += 1
        self.line = drafted = LineDraft(given, number)
        claim.lines.append(drafted)
        return True

    def plain_procedure(self, composite: str) -> tuple[str, tuple[str, ...]] | None:
        """An SV101 written as `read_procedure` would give it back (HC, an upper-case code,
        up to four upper-case modifiers), without its detour; None for anything else."""
        parts = composite.split(self.delimiters.component)
        if parts[0] != "HC" or not 1 < len(parts) <= 6:
            return None
        code = parts[1]
        if len(code) > MAX_CODE or not code.isalnum() or not code.isascii() or code != code.upper():
            return None
        for modifier in parts[2:]:
            if len(modifier) != 2 or not modifier.isalnum() or not modifier.isascii():
                return None
            if modifier != modifier.upper():
                return None
        found = code, tuple(parts[2:])
        self.good.note(self.good.procedures, composite, found)
        return found

    def forget(self) -> None:
        """Other delimiters: composites read before mean something else now."""
        self.memo.clear()
        self.procedures.clear()
        self.good = Accepted()

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
        fields += ["", "", "", "", "", "", "", "", ""]
        entity = fields[1]
        allowed = ENTITIES[section]
        if entity not in allowed:
            self.fault(
                number,
                "NM1",
                f"NM1*{entity} is not a loop of {SECTIONS[section][0]} (unknown loop): it may "
                f"hold NM1 {', '.join(sorted(allowed))}",
            )
            return
        qualifier, value = fields[8], fields[9].strip()
        if section == "20" and entity == "85" and self.provider is not None:
            self.provider.id = self.billing_npi(qualifier, value, number)
        elif section == "22" and entity == "IL" and self.subscriber is not None:
            self.subscriber.id = value
            self.subscriber.name = f"{fields[3]}^{fields[4]}".upper()
            if not value:
                self.fault(number, "NM1", "the subscriber has no member id (NM109)")
        elif section == "23" and self.patient is not None:
            self.patient.name = f"{fields[3]}^{fields[4]}".upper()
        elif entity == "82" and section == "claim" and self.claim is not None:
            self.claim.npi = self.npi(qualifier, value, number)
        elif entity == "82" and section == "line" and self.line is not None:
            self.line.npi = self.npi(qualifier, value, number)

    def billing_npi(self, qualifier: str, value: str, number: int) -> str:
        """The billing provider's NPI. It only stands in for the rendering provider of lines
        no NM1*82 names (to tell providers apart), so a number that fails its check digit is
        reported in the summary and still used, rather than failing every claim under it."""
        found = self.cached("npi", value, to_npi) if qualifier == "XX" else None
        if isinstance(found, str) and found:
            return found
        why = (
            f"NM109 {value!r} is not an NPI (10 digits whose check digit holds)"
            if qualifier == "XX"
            else f"NM108 {qualifier!r} is not XX (NPI)"
        )
        self.counts.problems.append(
            self.problem(
                number,
                "NM1",
                f"billing provider NM1*85: {why}; its lines without a rendering provider are "
                "told apart by this value as given",
            )
        )
        return value

    def npi(self, qualifier: str, value: str, number: int) -> str:
        """The NPI of an NM1 (NM108 XX, NM109); "" when the loop gives no identifier (the
        billing provider's then applies, as for a CSV row without rendering_npi)."""
        if not qualifier and not value:
            return ""
        if qualifier != "XX":
            self.fault(number, "NM1", f"NM108 {qualifier!r}: the provider's NPI (XX) is needed")
            return ""
        found = self.cached("npi", value, to_npi)
        if isinstance(found, Invalid):
            self.fault(number, "NM1", f"NM109: {found.problem}")
            return ""
        return found  # type: ignore[return-value]

    def on_dmg(self, fields: list[str], number: int) -> None:
        section = self.section
        if section not in ("22", "23", "other"):
            self.misplaced(fields, number)
        elif section == "22" and self.subscriber is not None:
            self.subscriber.birth = fields[2] if len(fields) > 2 else ""
        elif section == "23" and self.patient is not None:
            self.patient.birth = fields[2] if len(fields) > 2 else ""

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
        fields += ["", "", "", "", ""]
        claim_id = fields[1].strip()
        parts = fields[5].split(self.delimiters.component)
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
        text = fields[1] if len(fields) > 1 else ""
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
        good = self.good
        if isinstance(found, str):
            self.fault(number, "SV1", found)
        else:
            line.code, line.modifiers = found
            good.note(good.procedures, composite, found)
        self.quantity(line, fields[3], fields[4], number, "SV1", ("UN", "MJ"))
        place = fields[5]
        if place:
            value = self.cached("place", place, to_place)
            if isinstance(value, Invalid):
                self.fault(number, "SV1", f"SV105: {value.problem}")
            else:
                line.place = value  # type: ignore[assignment]
                good.note(good.places, place, line.place)
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
        if basis == "UN":
            self.good.note(self.good.units, quantity, line.units)

    def pointers(self, composite: str, number: int) -> tuple[int, ...]:
        found = self.cached("pointers", composite, self.read_pointers)
        if isinstance(found, str):
            self.fault(number, "SV1", found)
            return ()
        assert isinstance(found, tuple)
        self.good.note(self.good.pointers, composite, found)
        return found

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
        if section == "claim" and qualifier in ("434", "472") and self.claim is not None:
            # 434: the statement period (837I); 472 at claim level is not a 5010 segment, but
            # some writers date a claim there: its lines without a date of their own take it
            self.claim.statement = self.dates(fields, number)

    def dates(self, fields: list[str], number: int) -> tuple[date, date] | None:
        form, text = element(fields, 2), element(fields, 3)
        found = self.cached(form, text, lambda value: date_span(form, value))
        if isinstance(found, str):
            self.fault(number, "DTP", f"DTP{element(fields, 1)} {form}*{text}: {found}")
            return None
        if form == "D8":
            self.good.note(self.good.days, text, found[0])  # type: ignore[index]
        return found  # type: ignore[return-value]

    def on_hi(self, fields: list[str], number: int) -> None:
        claim = self.claim
        if claim is None or self.section != "claim":
            self.misplaced(fields, number)
            return
        known = self.good.diagnoses
        for at, composite in enumerate(fields[1:], start=1):
            found = known.get(composite)
            if found is None:
                if not composite:
                    continue
                found = self.diagnosis(composite, at, number)
                if found is None:
                    continue
            claim.orders.append(found[0])
            claim.diagnoses.append(found[1])

    def diagnosis(self, composite: str, at: int, number: int) -> tuple[int, str] | None:
        """(qualifier order, code) of an HI composite holding an ICD-10-CM code; None for
        other codes (procedure, condition, occurrence, value) and for problems, reported."""
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
            return None
        code = diagnosis_code(parts[1] if len(parts) > 1 else "")
        if not code:
            self.fault(number, "HI", f"HI{at:02d} {composite!r} does not hold an ICD-10-CM code")
            return None
        found = (order, code)
        self.good.note(self.good.diagnoses, composite, found)
        return found

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
        if self.line is not None:
            self.close_line()
        self.claim = None
        tx = self.tx
        assert tx is not None
        guide = self.guide or "837"
        problems: list[InputProblem] = []
        for level in (self.provider, self.subscriber, self.patient):
            if level is not None:
                level.claims += 1
                if level.problems:
                    problems += [InputProblem(None, str(problem)) for problem in level.problems]
        problems += draft.problems
        orders = draft.orders
        if all(map(int.__le__, orders, orders[1:])):
            diagnoses = tuple(draft.diagnoses)
        else:  # principal, other, admitting, reason for visit, external cause
            ranked = sorted(zip(orders, range(len(orders)), draft.diagnoses, strict=True))
            diagnoses = tuple(code for _, _, code in ranked)
        claim_place = self.claim_place(draft, guide, diagnoses, problems)
        npi = draft.npi or (self.provider.id if self.provider is not None else "")
        lines: list[ClaimLine] = []
        spots: list[int | str | date | None] = []
        rows = 0
        count = len(diagnoses)
        statement = draft.statement
        for line in draft.lines:
            spots += (line.lx, line.segment, line.control, line.through)
            if line.revenue_only:
                self.counts.revenue_only_lines += 1
                continue
            if line.through is not None:
                self.counts.date_ranges += 1
            rows += 1
            if line.day is None and statement is not None and statement[0] == statement[1]:
                line.day = statement[0]  # a one-day statement period dates its lines
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
        if len(draft.lines) != len(set(spots[::4])):
            self.repeated_lines(draft, problems)
        place = ClaimPlace(
            tx.interchange,
            tx.group,
            tx.control,
            guide,
            draft.claim_id,
            draft.segment,
            draft.facility,
            draft.frequency,
            tuple(spots),
        )
        self.order += 1
        claim = Claim(
            draft.claim_id,
            "outpatient" if guide == "837I" else self.setting,
            diagnoses,
            lines,
            problems,
            patient_id=self.patient_id(self.patient or self.subscriber),
            order=self.order,
            rows=rows,
        )
        self.tx_claims.append((claim, place))

    def claim_place(
        self,
        draft: ClaimDraft,
        guide: str,
        diagnoses: tuple[str, ...],
        problems: list[InputProblem],
    ) -> str:
        """The claim's place of service (837P CLM05-1; "" on an 837I), after the problems of
        the claim as a whole: no diagnosis, too many, an inpatient bill, no lines."""
        limit = MAX_DIAGNOSES if guide == "837P" else MAX_INSTITUTIONAL_DIAGNOSES
        if not diagnoses:
            problems.append(
                InputProblem(
                    None,
                    f"{self.where(draft.segment, 'CLM')}: claim {draft.claim_id!r} has no "
                    f"diagnosis: an {guide} claim needs an HI segment with its principal "
                    "ICD-10-CM code (HI*ABK) before its first LX",
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
                    f"{self.where(draft.segment, 'CLM')}: facility type {draft.facility} "
                    f"(CLM05-1) is a {INPATIENT_FACILITIES[draft.facility[:2]]} bill, paid per "
                    "stay: the NCCI edits medref checks apply to outpatient claims",
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
        if guide == "837I":
            return ""
        known = self.good.places_of_service.get(draft.facility)
        if known is not None:
            return known
        found = to_place(draft.facility)
        if isinstance(found, Invalid):
            problems.append(
                InputProblem(None, f"{self.where(draft.segment, 'CLM')}: CLM05-1 {found.problem}")
            )
            return ""
        self.good.note(self.good.places_of_service, draft.facility, found)
        return found

    def repeated_lines(self, draft: ClaimDraft, problems: list[InputProblem]) -> None:
        numbers = [line.lx for line in draft.lines]
        repeated = sorted({n for n in numbers if numbers.count(n) > 1})
        problems.append(
            InputProblem(
                repeated[0],
                f"{self.where(draft.segment, 'CLM')}: line numbers (LX01) "
                f"{', '.join(map(str, repeated))} repeat in the claim; number the lines 1, 2, "
                "3, ...",
            )
        )

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
