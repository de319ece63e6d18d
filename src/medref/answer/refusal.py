"""The fixed reply "The loaded sources do not answer this.", with the closest sources.

Whether to refuse is judged elsewhere (abstain.py on the evidence signals; extractive.py
for codes the tables lack and years no evidence mentions); a refusal lists the closest
sources and shows no code at all.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence

from medref.answer.types import Answer, Closest, Evidence
from medref.retrieval.search import Hit

CLOSEST = 3
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
FULL_DATE = re.compile(
    rf"\b(?:{'|'.join(calendar.month_name[1:])})\s+\d{{1,2}},?\s+(?:19|20)\d\d\b"
)
"""A day of a year ("February 29, 2024", as `question.spell_dates` writes typed dates)."""


def missing_years(question: str, chosen: Sequence[Evidence]) -> list[str]:
    """Years the question (what it asks, not a scenario's facts) names that no chosen
    sentence mentions: the sources record rules of their years, not of others. The year of
    a whole date ("seen February 29, 2024") dates an event, not the rule asked about."""
    return [
        year
        for year in YEAR.findall(FULL_DATE.sub(" ", question))
        if not any(year in evidence.quote for evidence in chosen)
    ]


def closest(hits: Sequence[Hit], count: int = CLOSEST) -> list[Closest]:
    """The top distinct references of the search, for the user to read on."""
    found: dict[str, Closest] = {}
    for hit in hits:
        if hit.ref not in found:
            found[hit.ref] = Closest(hit.ref, hit.title, hit.source, hit.release)
        if len(found) == count:
            break
    return list(found.values())


def refuse(question: str, hits: Sequence[Hit], reason: str) -> Answer:
    """The fixed reply; `reason` says which test failed (shown as the notice)."""
    return Answer(
        question, [], [], answerable=False, closest=closest(hits), notice=reason, mode="refusal"
    )
