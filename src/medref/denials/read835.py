"""Read an ASC X12 5010 835 (health care claim payment/advice, `005010X221A1`).

| loop | segments read | into |
|---|---|---|
| 2100 claim payment | CLP (CLP01 the provider's claim id = the 837's CLM01, CLP02 status, CLP06 filing indicator, CLP07 payer claim number, CLP08 place of service or facility type), CAS, NM1*QC/IL (patient member id), NM1*82 (rendering NPI), MOA/MIA (claim remarks), DTM*232/233 (statement dates) | `RemitClaim` |
| 2110 service payment | SVC (SVC01 adjudicated code and modifiers, SVC02 charge, SVC03 paid, SVC04 revenue code, SVC05 paid units, SVC06 submitted code when it differs, SVC07 submitted units), DTM*472/150/151, CAS, REF*6R, REF*HPI, AMT*B6, LQ*HE | `ServiceLine` |

Everything else (BPR, TRN, payer and payee loops, PLB) is read past. The envelopes are
checked as for an 837 (`medref.x12.envelope`); a problem names the segment.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TextIO

from medref.claims.values import Invalid, to_code, to_npi
from medref.x12.envelope import ENVELOPE_IDS, Counts, Envelope, Transaction, X12Problem, element
from medref.x12.tokens import Delimiters, Tokenizer, ccyymmdd

CLAIM_STATUS = {
    "1": "processed as primary",
    "2": "processed as secondary",
    "3": "processed as tertiary",
    "4": "denied",
    "19": "processed as primary, forwarded to another payer",
    "20": "processed as secondary, forwarded to another payer",
    "21": "processed as tertiary, forwarded to another payer",
    "22": "reversal of an earlier payment",
    "23": "not our claim, forwarded to another payer",
    "25": "predetermination only, not paid",
}
"""CLP02 claim status codes."""
REVERSAL = "22"


@dataclass(frozen=True, slots=True)
class Adjustment:
    group: str
    """CAS01: CO, PR, OA, PI, CR."""
    reason: str
    """The CARC."""
    amount: Decimal
    quantity: str = ""


@dataclass(slots=True)
class ServiceLine:
    number: int
    """The line's position among its claim's SVC segments (1, 2, ...)."""
    segment: int
    """File position of the SVC segment."""
    qualifier: str
    code: str
    """The code as billed: SVC06 when the payer changed it, else SVC01."""
    modifiers: tuple[str, ...]
    paid_code: str
    """The code as adjudicated (SVC01)."""
    revenue_code: str
    charge: Decimal
    paid: Decimal
    units: int
    """Units as billed: SVC07 when given, else SVC05, else 1."""
    day: date | None = None
    through: date | None = None
    control: str = ""
    """REF*6R: the line item control number of the 837 line."""
    rendering_npi: str = ""
    allowed: Decimal | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RemitClaim:
    claim_id: str
    status: str
    charge: Decimal
    paid: Decimal
    filing: str
    """CLP06: MA Medicare Part A, MB Part B, ..."""
    payer_claim: str
    facility: str
    """CLP08: the place of service (professional) or facility type (institutional)."""
    segment: int
    interchange: str
    group: str
    transaction: str
    patient_id: str = ""
    rendering_npi: str = ""
    statement: tuple[date | None, date | None] = (None, None)
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    lines: list[ServiceLine] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Problems of the claim or its envelope: its lines are listed, not re-checked."""

    @property
    def institutional(self) -> bool:
        return self.filing == "MA" or any(line.revenue_code for line in self.lines)

    def place(self) -> dict[str, object]:
        return {
            "interchange": self.interchange,
            "group": self.group,
            "transaction": self.transaction,
            "clp01": self.claim_id,
            "clp_segment": self.segment,
            "payer_claim_number": self.payer_claim,
        }


@dataclass
class RemitCounts:
    claims: int = 0
    lines: int = 0
    envelope: Counts = field(default_factory=Counts)
    problems: list[X12Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "interchanges": self.envelope.interchanges,
            "functional_groups": self.envelope.groups,
            "transaction_sets": self.envelope.transactions,
            "segments": self.envelope.segments,
            "claims": self.claims,
            "service_lines": self.lines,
            "problems": [problem.as_dict() for problem in self.problems],
        }


class Reader835:
    """Claims of an 835, each with its service lines, adjustments and remarks."""

    def __init__(self) -> None:
        self.counts = RemitCounts()
        self.tx: Transaction | None = None
        self.claim: RemitClaim | None = None
        self.line: ServiceLine | None = None
        self.held: list[RemitClaim] = []
        self.ready: list[RemitClaim] = []
        self.delimiters = Delimiters("*", ":", "^", "~")

    def claims(self, handle: TextIO) -> Iterator[RemitClaim]:
        tokens = Tokenizer(handle)
        envelope = Envelope(frozenset({"835"}), self.begin, self.end)
        self.counts.envelope = envelope.counts
        handlers = {
            "CLP": self.on_clp,
            "SVC": self.on_svc,
            "CAS": self.on_cas,
            "NM1": self.on_nm1,
            "DTM": self.on_dtm,
            "REF": self.on_ref,
            "AMT": self.on_amt,
            "LQ": self.on_lq,
            "MOA": self.on_remarks,
            "MIA": self.on_remarks,
            "LX": self.on_header,
            "PLB": self.on_header,
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
        envelope.finish(tokens.number)
        self.counts.problems = envelope.problems + self.counts.problems
        yield from self.ready
        self.ready.clear()

    def begin(self, tx: Transaction) -> None:
        self.tx = tx
        self.claim, self.line, self.held = None, None, []

    def end(self, tx: Transaction) -> None:
        for claim in self.held:
            if tx.problems:
                why = "; ".join(map(str, tx.problems))
                claim.problems.insert(0, f"transaction {tx.control} is not read: {why}")
            self.ready.append(claim)
        self.tx, self.claim, self.line, self.held = None, None, None, []

    def fault(self, number: int, sid: str, message: str) -> None:
        tx = self.tx
        problem = (
            X12Problem(number, sid, message, tx.position(number), tx.control)
            if tx is not None
            else X12Problem(number, sid, message)
        )
        if self.line is not None:
            self.line.problems.append(str(problem))
        elif self.claim is not None:
            self.claim.problems.append(str(problem))
        else:
            self.counts.problems.append(problem)

    def on_header(self, fields: list[str], number: int) -> None:
        """LX (a new header number) or PLB (provider adjustments): no claim is open."""
        self.claim, self.line = None, None

    def on_clp(self, fields: list[str], number: int) -> None:
        tx = self.tx
        assert tx is not None
        self.counts.claims += 1
        claim = RemitClaim(
            element(fields, 1) or f"(CLP at segment {number})",
            element(fields, 2),
            self.amount(element(fields, 3), number, "CLP03"),
            self.amount(element(fields, 4), number, "CLP04"),
            element(fields, 6),
            element(fields, 7),
            element(fields, 8),
            number,
            tx.interchange,
            tx.group,
            tx.control,
        )
        self.held.append(claim)
        self.claim, self.line = claim, None
        if claim.status not in CLAIM_STATUS:
            self.fault(number, "CLP", f"CLP02 claim status {claim.status!r} is not a 5010 code")

    def on_svc(self, fields: list[str], number: int) -> None:
        claim = self.claim
        if claim is None:
            self.fault(number, "SVC", "a service line (SVC) outside a claim (CLP)")
            return
        self.counts.lines += 1
        component = self.delimiters.component
        adjudicated = element(fields, 1).split(component)
        submitted = element(fields, 6).split(component) if element(fields, 6) else adjudicated
        qualifier = submitted[0]
        units_text = element(fields, 7) or element(fields, 5) or "1"
        line = ServiceLine(
            len(claim.lines) + 1,
            number,
            qualifier,
            "",
            tuple(m for m in submitted[2:6] if m),
            adjudicated[1] if len(adjudicated) > 1 else "",
            element(fields, 4)
            or (adjudicated[1] if qualifier == "NU" and len(adjudicated) > 1 else ""),
            self.amount(element(fields, 2), number, "SVC02"),
            self.amount(element(fields, 3), number, "SVC03"),
            0,
        )
        claim.lines.append(line)
        self.line = line
        if qualifier == "HC":
            code = to_code(submitted[1] if len(submitted) > 1 else "")
            if isinstance(code, Invalid):
                self.fault(number, "SVC", f"SVC01-2: {code.problem}")
            else:
                line.code = code
        elif qualifier != "NU":
            self.fault(
                number, "SVC", f"SVC01-1 {qualifier!r}: only HCPCS/CPT codes (HC) are re-checked"
            )
        whole, _, fraction = units_text.partition(".")
        if whole.isascii() and whole.isdigit() and not fraction.strip("0") and int(whole) >= 1:
            line.units = int(whole)
        else:
            self.fault(number, "SVC", f"units {units_text!r} must be a whole number from 1")

    def on_cas(self, fields: list[str], number: int) -> None:
        target = self.line if self.line is not None else self.claim
        if target is None:
            self.fault(number, "CAS", "an adjustment (CAS) outside a claim (CLP)")
            return
        group = element(fields, 1)
        for at in range(2, 20, 3):
            code = element(fields, at)
            if not code:
                continue
            amount = self.amount(element(fields, at + 1), number, f"CAS{at + 1:02d}")
            target.adjustments.append(Adjustment(group, code, amount, element(fields, at + 2)))

    def on_nm1(self, fields: list[str], number: int) -> None:
        claim = self.claim
        if claim is None or self.line is not None:
            return
        entity, qualifier, value = element(fields, 1), element(fields, 8), element(fields, 9)
        if entity in ("QC", "IL") and value and not claim.patient_id:
            claim.patient_id = value
        elif entity == "82" and qualifier == "XX":
            found = to_npi(value)
            if isinstance(found, Invalid):
                self.fault(number, "NM1", f"NM109: {found.problem}")
            else:
                claim.rendering_npi = found

    def on_dtm(self, fields: list[str], number: int) -> None:
        qualifier, text = element(fields, 1), element(fields, 2)
        if self.line is not None and qualifier in ("472", "150", "151"):
            day = ccyymmdd(text)
            if day is None:
                self.fault(number, "DTM", f"DTM{qualifier} {text!r} is not a CCYYMMDD date")
            elif qualifier == "151":
                self.line.through = day
            else:
                self.line.day = day
        elif self.line is None and self.claim is not None and qualifier in ("232", "233"):
            start, end = self.claim.statement
            day = ccyymmdd(text)
            self.claim.statement = (day, end) if qualifier == "232" else (start, day)

    def on_ref(self, fields: list[str], number: int) -> None:
        line = self.line
        if line is None:
            return
        qualifier = element(fields, 1)
        if qualifier == "6R":
            line.control = element(fields, 2)
        elif qualifier == "HPI":
            found = to_npi(element(fields, 2))
            if not isinstance(found, Invalid):
                line.rendering_npi = found

    def on_amt(self, fields: list[str], number: int) -> None:
        if self.line is not None and element(fields, 1) == "B6":
            self.line.allowed = self.amount(element(fields, 2), number, "AMT02")

    def on_lq(self, fields: list[str], number: int) -> None:
        if self.line is not None and element(fields, 1) == "HE":
            self.line.remarks.append(element(fields, 2))

    def on_remarks(self, fields: list[str], number: int) -> None:
        """MOA03-07 (outpatient) or MIA05, 20-24 (inpatient) claim remark codes."""
        claim = self.claim
        if claim is None:
            return
        places = range(3, 8) if fields[0] == "MOA" else (5, 20, 21, 22, 23, 24)
        claim.remarks += [element(fields, at) for at in places if element(fields, at)]

    def amount(self, text: str, number: int, name: str) -> Decimal:
        try:
            return Decimal(text or "0")
        except InvalidOperation:
            self.fault(number, name[:3], f"{name} {text!r} is not an amount")
            return Decimal("0")
