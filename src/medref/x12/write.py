"""Write X12 interchanges: envelopes with their control numbers and counts around the
transaction sets a caller builds as lists of segments. Used for fixtures, generated files
and the tests that read them back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from medref.x12.tokens import Delimiters

Segment = list[str]
STANDARD = Delimiters("*", ":", "^", "~")


@dataclass(frozen=True, slots=True)
class Group:
    functional_id: str
    """GS01: HC (claims), HP (remittance)."""
    version: str
    """GS08, e.g. 005010X222A1."""
    transactions: Sequence[tuple[str, Sequence[Segment]]]
    """(ST01, body segments between ST and SE)."""


@dataclass(slots=True)
class Writer:
    delimiters: Delimiters = STANDARD
    line_breaks: bool = True
    """A line break after each segment terminator (readers must cope with either)."""
    sender: str = "MEDREF"
    receiver: str = "RECEIVER"
    stamp: datetime = field(default_factory=lambda: datetime(2024, 9, 30, 12, 0))

    def segment(self, fields: Segment) -> str:
        values = list(fields)
        while len(values) > 1 and values[-1] == "":
            values.pop()
        text = self.delimiters.element.join(values) + self.delimiters.segment
        return text + "\n" if self.line_breaks else text

    def composite(self, *parts: str) -> str:
        values = list(parts)
        while len(values) > 1 and values[-1] == "":
            values.pop()
        return self.delimiters.component.join(values)

    def interchange(self, groups: Sequence[Group], control: int = 1) -> str:
        """One interchange (ISA ... IEA) holding `groups`."""
        d = self.delimiters
        day, time = self.stamp.strftime("%y%m%d"), self.stamp.strftime("%H%M")
        isa = [
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            "ZZ",
            self.sender.ljust(15)[:15],
            "ZZ",
            self.receiver.ljust(15)[:15],
            day,
            time,
            d.repetition or "U",
            "00501",
            f"{control:09d}",
            "0",
            "P",
            d.component,
        ]
        out = [d.element.join(isa) + d.segment + ("\n" if self.line_breaks else "")]
        transaction = 0
        for number, group in enumerate(groups, start=1):
            out.append(
                self.segment(
                    [
                        "GS",
                        group.functional_id,
                        self.sender,
                        self.receiver,
                        self.stamp.strftime("%Y%m%d"),
                        time,
                        str(number),
                        "X",
                        group.version,
                    ]
                )
            )
            for kind, body in group.transactions:
                transaction += 1
                st = f"{transaction:04d}"
                out.append(self.segment(["ST", kind, st, group.version]))
                out.extend(map(self.segment, body))
                out.append(self.segment(["SE", str(len(body) + 2), st]))
            out.append(self.segment(["GE", str(len(group.transactions)), str(number)]))
        out.append(self.segment(["IEA", str(len(groups)), f"{control:09d}"]))
        return "".join(out)
