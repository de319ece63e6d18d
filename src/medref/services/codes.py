"""Code cards and code-set diffs."""

from __future__ import annotations

from datetime import date
from typing import Any

from medref.errors import InputError
from medref.lookup.diff import DIFF_SOURCES, diff
from medref.lookup.explain import explain
from medref.pricing.quote import national
from medref.services.resources import Resources, limit_text


def code_card(res: Resources, code: str, on: date | None = None) -> dict[str, Any]:
    code = limit_text(code, 64, "code")
    card: dict[str, Any] = explain(res.kb, code, on, descriptors=res.descriptors).to_dict()
    normalized = str(card.get("code") or card.get("normalized") or code).strip().upper()
    card["allowed_amount"] = national(res.pricing, normalized, on)
    return card


def code_diff(res: Resources, source: str | None, release_a: str, release_b: str) -> dict[str, Any]:
    """Codes added, deleted and changed; `source` may be left out when one code set holds
    both releases."""
    found: dict[str, Any] = diff(
        res.kb, source or _diff_source(res, release_a, release_b), release_a, release_b
    ).to_dict()
    return found


def _diff_source(res: Resources, *releases: str) -> str:
    fits = [
        s for s in DIFF_SOURCES if set(releases) <= {info.release for info in res.kb.releases(s)}
    ]
    if len(fits) != 1:
        raise InputError("say which code set: source " + " or ".join(DIFF_SOURCES))
    return fits[0]
