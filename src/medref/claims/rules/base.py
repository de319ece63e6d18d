"""What every rule module shares: the context it checks against and small claim helpers.

A rule is a module with `RULE_ID`, a docstring naming its CMS basis, and
`check(claim, ctx) -> Iterable[Finding]`. Rules never see input errors (the engine reports
those) and never report `pass` without a loaded table behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from medref.claims.model import Claim, ClaimLine, Finding, Status
from medref.claims.scope import ClaimScope, PatientScope, Scope
from medref.claims.tables import CodeDates, EditTables, Lookup, Versioned, window
from medref.codes.service_kinds import is_em
from medref.pricing import Pricer

Check = Callable[[Claim, "RuleContext"], Iterable[Finding]]


@dataclass(slots=True)
class RuleContext:
    tables: EditTables
    passes: bool = True
    """Report `pass` findings; off when only problems are wanted (saves building them)."""
    scope: Scope | None = None
    """The lines the claim under check is seen against (set by the engine per claim)."""
    denied: dict[int, Finding] = field(default_factory=dict)
    """Lines a rule has failed so far in this case (by `id(line)`), for rules that depend
    on another line being payable (an add-on's primary). Cleared by the engine per case."""
    pricer: Pricer | None = None
    """Prices lines in the check's payment locality; None when no locality was given."""
    amounts: dict[int, Decimal] = field(default_factory=dict)
    """Allowed amounts the `price` rule found (by `id(line)`), stamped by the engine onto
    every finding of the line. Cleared per case."""

    def lines_of(self, claim: Claim) -> ClaimScope | PatientScope:
        scope = self.scope
        if scope is None or scope.claim is not claim:
            scope = self.scope = ClaimScope(claim)
        return scope

    def deny(self, line: ClaimLine, finding: Finding) -> Finding:
        """Record that `finding` fails `line`; returns the finding."""
        self.denied.setdefault(id(line), finding)
        return finding


__all__ = ["Check", "Outcome", "RuleContext", "is_em", "listed_on"]


class Outcome(NamedTuple):
    """A verdict that does not depend on the claim, cached and stamped onto findings with
    `Finding(claim_id, line, rule, *outcome)`."""

    status: Status
    message: str
    ref: str | None
    vintage: str


def listed_on(
    table: Versioned[Lookup[str, CodeDates]], code: str, day: date, what: str, ref: str
) -> Outcome:
    """Whether a code of a dated list (HCPCS codes, Level II modifiers) is in force on `day`.

    The release in force decides; before the first loaded release, the newest one's add and
    termination dates still tell when a listed code was valid, but a code it does not list
    may have ended before it was published, so that case is `no_data`, not a failure. A code
    in force is the common case: its verdict is worked out once per code and release.
    """
    loaded = table.on(day) or table.newest()
    if loaded is not None:
        dates = loaded.data.get(code)
        if dates is not None and dates.in_force(day):
            key = (what, code, loaded.vintage)
            known: Outcome | None = table.memo.get(key)
            if known is None:
                known = table.memo[key] = in_force(what, code, dates, ref, loaded.vintage)
            return known
    return not_in_force(table, code, day, what, ref)


def in_force(what: str, code: str, dates: CodeDates, ref: str, vintage: str) -> Outcome:
    since = f"effective {dates.effective}" if dates.effective else "no effective date"
    if dates.terminated:
        since += f", terminated {dates.terminated}"
    return Outcome(
        "pass", f"{what} {code} is in force on the date of service ({since})", ref, vintage
    )


def not_in_force(
    table: Versioned[Lookup[str, CodeDates]], code: str, day: date, what: str, ref: str
) -> Outcome:
    loaded = table.on(day)
    covering = loaded is not None
    if loaded is None:
        loaded = table.newest()
    if loaded is None:
        return Outcome("no_data", table.outside(day), ref, table.label)
    vintage = loaded.vintage
    dates = loaded.data.get(code)
    if dates is None:
        if covering:
            return Outcome("fail", f"{what} {code} is not in {vintage}", ref, vintage)
        return Outcome(
            "no_data",
            f"{what} {code} is not in {vintage} ({window(loaded.info)}); a code that ended "
            f"before that release is not listed in it, so its validity on {day} cannot be "
            "checked",
            ref,
            vintage,
        )
    if dates.effective is not None and day < dates.effective:
        return Outcome(
            "fail", f"{what} {code} takes effect {dates.effective}, after {day}", ref, vintage
        )
    return Outcome(
        "fail", f"{what} {code} was terminated {dates.terminated}, before {day}", ref, vintage
    )
