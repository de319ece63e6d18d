"""The registry of claim-check rules: one module each, run in this order.

A rule module exposes `RULE_ID`, a docstring naming its CMS basis (summarised in
docs/claims.md) and `check(claim, ctx)`; `all_rules()` returns them with that docstring.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from medref.claims.rules.base import Check, RuleContext

MODULES = (
    "code_validity",
    "pfs_status",
    "ptp",
    "mue",
    "duplicate",
    "bilateral",
    "assistant",
    "add_on",
    "complexity_add_on",
    "modifiers",
    "place_of_service",
    "global_surgery",
    "price",
)
"""Rules that deny a line (`RuleContext.deny`) come before `add_on`, which asks whether a
primary is payable."""


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    check: Check
    basis: str
    """The module docstring: what the rule checks and the CMS rule behind it."""


def all_rules() -> list[Rule]:
    rules = []
    for name in MODULES:
        module = importlib.import_module(f"medref.claims.rules.{name}")
        rules.append(Rule(module.RULE_ID, module.check, (module.__doc__ or "").strip()))
    return rules


__all__ = ["Rule", "RuleContext", "all_rules"]
