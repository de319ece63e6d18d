"""Interchange (ISA/IEA), functional group (GS/GE) and transaction set (ST/SE) envelopes:
control numbers, counts and versions checked as the segments stream by.

A problem with an interchange header (its fixed form, its version), a group's version or
kind, or a transaction's own envelope (ST/SE counts and control numbers, a missing SE) makes
the transactions it covers unreadable: their claims are reported, not checked. GE and IEA
counts vouch for how many transactions and groups the file should hold: a mismatch says one
may be missing and is reported, while the transactions present, each vouched for by its SE,
are read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from medref.x12.tokens import isa_problem

ENVELOPE_IDS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE", "TA1"})


@dataclass(frozen=True, slots=True)
class Guide:
    """An implementation guide medref reads."""

    name: str
    """`837P`, `837I`, `835`."""
    transaction: str
    """ST01."""
    functional_id: str
    """GS01."""


GUIDES: dict[str, Guide] = {
    "005010X222": Guide("837P", "837", "HC"),
    "005010X222A1": Guide("837P", "837", "HC"),
    "005010X223": Guide("837I", "837", "HC"),
    "005010X223A1": Guide("837I", "837", "HC"),
    "005010X223A2": Guide("837I", "837", "HC"),
    "005010X221": Guide("835", "835", "HP"),
    "005010X221A1": Guide("835", "835", "HP"),
}
"""ASC X12 5010 guides and their errata, by the version GS08 (and ST03) names."""
INTERCHANGE_VERSION = "00501"


@dataclass(frozen=True, slots=True)
class X12Problem:
    """What is wrong, and where: the segment's position in the file and its id."""

    segment: int
    segment_id: str
    message: str
    position: int = 0
    """Position within its transaction set (ST = 1), 0 outside one."""
    transaction: str = ""
    """ST02 of that transaction set."""

    def __str__(self) -> str:
        where = self.segment_id
        if self.position:
            where += f", position {self.position} in transaction {self.transaction}"
        return f"segment {self.segment} ({where}): {self.message}"

    def as_dict(self) -> dict[str, object]:
        found: dict[str, object] = {
            "segment": self.segment,
            "segment_id": self.segment_id,
            "message": self.message,
        }
        if self.position:
            found["position"] = self.position
            found["transaction"] = self.transaction
        return found


@dataclass(slots=True)
class Transaction:
    """One transaction set as its envelopes place it."""

    interchange: str
    """ISA13, the interchange control number."""
    group: str
    """GS06, the group control number."""
    control: str
    """ST02, the transaction set control number."""
    kind: str
    """ST01: 837, 835."""
    guide: Guide | None
    start: int
    """File position of its ST segment."""
    problems: list[X12Problem] = field(default_factory=list)
    """Problems that make the transaction unreadable (its claims are not checked)."""
    segments: int = 1

    def position(self, number: int) -> int:
        """A file position as a position within the transaction set (ST = 1), the count a
        999 acknowledgement reports."""
        return number - self.start + 1


@dataclass(slots=True)
class Counts:
    interchanges: int = 0
    groups: int = 0
    transactions: int = 0
    segments: int = 0


class Envelope:
    """Tracks the envelopes around each segment. `begin` is called when a transaction set
    starts, `end` when it ends (by its SE or otherwise, its problems then set)."""

    def __init__(
        self,
        kinds: frozenset[str],
        begin: Callable[[Transaction], None],
        end: Callable[[Transaction], None],
    ) -> None:
        self.kinds = kinds
        """Guide names the reader accepts (`837P`, `837I`, or `835`)."""
        self.begin = begin
        self.end = end
        self.problems: list[X12Problem] = []
        """Problems that are not one transaction's: GE/IEA counts, stray segments."""
        self.counts = Counts()
        self.interchange: list[str] | None = None
        self.interchange_at = 0
        self.interchange_problems: list[X12Problem] = []
        self.groups_seen = 0
        self.group: list[str] | None = None
        self.group_at = 0
        self.group_problems: list[X12Problem] = []
        self.group_guide: Guide | None = None
        self.transactions_seen = 0
        self.transaction: Transaction | None = None

    def feed(self, fields: list[str], number: int) -> None:
        """An envelope segment (`ENVELOPE_IDS`)."""
        self.counts.segments = number
        handler = getattr(self, f"on_{fields[0].lower()}")
        handler(fields, number)

    def on_isa(self, fields: list[str], number: int) -> None:
        if self.interchange is not None:
            self.close_interchange(number, "ISA")
        self.counts.interchanges += 1
        self.interchange, self.interchange_at = fields, number
        self.groups_seen = 0
        self.interchange_problems = []
        form = isa_problem(fields)
        if form:
            self.interchange_problems.append(X12Problem(number, "ISA", form))
        elif fields[12] != INTERCHANGE_VERSION:
            self.interchange_problems.append(
                X12Problem(
                    number,
                    "ISA",
                    f"interchange version ISA12 {fields[12]!r} is not supported: medref reads "
                    f"ASC X12 5010 ({INTERCHANGE_VERSION})",
                )
            )

    def on_ta1(self, fields: list[str], number: int) -> None:
        """An interchange acknowledgment inside the interchange: nothing to read."""

    def on_gs(self, fields: list[str], number: int) -> None:
        if self.group is not None:
            self.close_group(number, "GS")
        if self.interchange is None:
            self.stray(number, "GS", "a functional group (GS) outside an interchange (ISA)")
        self.counts.groups += 1
        self.groups_seen += 1
        self.group, self.group_at = fields, number
        self.transactions_seen = 0
        self.group_problems = []
        version = element(fields, 8)
        guide = GUIDES.get(version)
        self.group_guide = guide
        accepted = " or ".join(
            f"{name} ({', '.join(v for v, g in GUIDES.items() if g.name == name)})"
            for name in sorted(self.kinds)
        )
        if guide is None:
            self.group_problems.append(
                X12Problem(
                    number,
                    "GS",
                    f"version {version!r} (GS08) is not supported: medref reads {accepted}",
                )
            )
        elif guide.name not in self.kinds:
            self.group_problems.append(
                X12Problem(
                    number, "GS", f"this group holds {guide.name} transactions; expected {accepted}"
                )
            )
        elif element(fields, 1) != guide.functional_id:
            self.group_problems.append(
                X12Problem(
                    number,
                    "GS",
                    f"functional identifier GS01 {element(fields, 1)!r} does not match version "
                    f"{version}: {guide.name} groups are {guide.functional_id}",
                )
            )

    def on_st(self, fields: list[str], number: int) -> None:
        if self.transaction is not None:
            self.missing_se(number, "ST")
        if self.group is None:
            self.stray(number, "ST", "a transaction set (ST) outside a functional group (GS)")
        self.counts.transactions += 1
        self.transactions_seen += 1
        guide = self.group_guide
        kind = element(fields, 1)
        tx = Transaction(
            element(self.interchange or [], 13),
            element(self.group or [], 6),
            element(fields, 2),
            kind,
            guide,
            number,
            [*self.interchange_problems, *self.group_problems],
        )
        stated = element(fields, 3)
        if guide is None and not tx.problems:
            tx.problems.append(
                X12Problem(
                    number, "ST", "no functional group (GS) names this transaction's version"
                )
            )
        elif self.group_problems:
            pass  # the group's problem says it all
        elif guide is not None and kind != guide.transaction:
            tx.problems.append(
                X12Problem(
                    number,
                    "ST",
                    f"transaction set {kind!r} in a group of {guide.name} ({guide.transaction}) "
                    "transactions",
                )
            )
        elif stated and self.group is not None and stated != element(self.group, 8):
            tx.problems.append(
                X12Problem(
                    number,
                    "ST",
                    f"ST03 {stated!r} does not match the group's version GS08 "
                    f"{element(self.group, 8)!r}",
                )
            )
        self.transaction = tx
        self.begin(tx)

    def on_se(self, fields: list[str], number: int) -> None:
        tx = self.transaction
        if tx is None:
            self.stray(number, "SE", "a transaction set trailer (SE) without its ST")
            return
        counted = number - tx.start + 1
        stated = element(fields, 1)
        if stated != str(counted):
            tx.problems.append(
                X12Problem(
                    number,
                    "SE",
                    f"SE01 says {stated or 'nothing'} segments, transaction {tx.control} has "
                    f"{counted} (ST to SE): segments may be missing or added",
                )
            )
        if element(fields, 2) != tx.control:
            tx.problems.append(
                X12Problem(
                    number,
                    "SE",
                    f"SE02 {element(fields, 2)!r} does not match ST02 {tx.control!r}",
                )
            )
        tx.segments = counted
        self.transaction = None
        self.end(tx)

    def on_ge(self, fields: list[str], number: int) -> None:
        if self.transaction is not None:
            self.missing_se(number, "GE")
        if self.group is None:
            self.stray(number, "GE", "a functional group trailer (GE) without its GS")
            return
        stated = element(fields, 1)
        control = element(self.group, 6)
        if stated != str(self.transactions_seen):
            self.problems.append(
                X12Problem(
                    number,
                    "GE",
                    f"GE01 says {stated or 'nothing'} transaction sets, group {control} holds "
                    f"{self.transactions_seen}: a transaction set may be missing",
                )
            )
        if element(fields, 2) != control:
            self.problems.append(
                X12Problem(
                    number, "GE", f"GE02 {element(fields, 2)!r} does not match GS06 {control!r}"
                )
            )
        self.group = None
        self.group_guide = None

    def on_iea(self, fields: list[str], number: int) -> None:
        if self.group is not None:
            self.close_group(number, "IEA")
        if self.interchange is None:
            self.stray(number, "IEA", "an interchange trailer (IEA) without its ISA")
            return
        stated = element(fields, 1)
        control = element(self.interchange, 13)
        if stated != str(self.groups_seen):
            self.problems.append(
                X12Problem(
                    number,
                    "IEA",
                    f"IEA01 says {stated or 'nothing'} functional groups, interchange {control} "
                    f"holds {self.groups_seen}: a functional group may be missing",
                )
            )
        if element(fields, 2) != control:
            self.problems.append(
                X12Problem(
                    number, "IEA", f"IEA02 {element(fields, 2)!r} does not match ISA13 {control!r}"
                )
            )
        self.interchange = None

    def outside(self, fields: list[str], number: int) -> None:
        """A segment that is not an envelope's and no transaction set is open."""
        self.counts.segments = number
        self.stray(
            number,
            fields[0][:3],
            "outside a transaction set (between ST and SE): not read",
        )

    def finish(self, number: int) -> None:
        """The end of the input: every open envelope is reported."""
        self.counts.segments = number
        if self.transaction is not None:
            self.missing_se(number, "end of file")
        if self.group is not None:
            self.close_group(number, "end of file")
        if self.interchange is not None:
            self.close_interchange(number, "end of file")

    def missing_se(self, number: int, at: str) -> None:
        tx = self.transaction
        assert tx is not None
        tx.problems.append(
            X12Problem(
                number,
                at[:3] if at != "end of file" else "EOF",
                f"transaction {tx.control} (ST at segment {tx.start}) has no SE: it ends at "
                f"{'the end of the file' if at == 'end of file' else f'this {at}'} "
                "(truncated or spliced)",
            )
        )
        tx.segments = number - tx.start
        self.transaction = None
        self.end(tx)

    def close_group(self, number: int, at: str) -> None:
        control = element(self.group or [], 6)
        self.problems.append(
            X12Problem(
                number,
                at[:3] if at != "end of file" else "EOF",
                f"functional group {control} (GS at segment {self.group_at}) has no GE",
            )
        )
        self.group = None
        self.group_guide = None

    def close_interchange(self, number: int, at: str) -> None:
        control = element(self.interchange or [], 13)
        self.problems.append(
            X12Problem(
                number,
                at[:3] if at != "end of file" else "EOF",
                f"interchange {control} (ISA at segment {self.interchange_at}) has no IEA"
                + (": the file may be truncated" if at == "end of file" else ""),
            )
        )
        self.interchange = None

    def stray(self, number: int, segment_id: str, message: str) -> None:
        self.problems.append(X12Problem(number, segment_id, message))


def element(fields: list[str], at: int) -> str:
    """Element `at` of a segment (1-based, as X12 numbers them), "" when absent."""
    return fields[at].strip() if at < len(fields) else ""
