"""Coverage documents (NCDs, LCDs) that may govern a procedure code, for a person to read.

A document that names the code is the first answer (`mentions`). Failing that, a Level II
code's official description is compared with the documents' titles: a title sharing at least
two words of four or more letters with it (`E0601` "Continuous positive airway pressure
(cpap) device" and NCD 240.4 "Continuous Positive Airway Pressure (CPAP) Therapy For
Obstructive Sleep Apnea") is offered as one that may apply. Neither says the document's
conditions are met: that stays a person's reading.
"""

from __future__ import annotations

import re
from datetime import date

from medref.kb.store import KnowledgeBase
from medref.lookup.mentions import mentions

COVERAGE_SOURCES = ("ncd", "lcd")
WORD = re.compile(r"[a-z]{4,}")
SHARED_WORDS = 2
LIMIT = 3


def coverage_documents(
    kb: KnowledgeBase, code: str, day: date | None = None
) -> list[tuple[str, str]]:
    """(canonical reference, title) of loaded coverage documents that may govern `code`."""
    named = [
        (found["ref"], found["title"])
        for found in mentions(kb, code, "code")
        if found["source"] in COVERAGE_SOURCES
    ]
    if named:
        return named[:LIMIT]
    record = kb.get(f"HCPCS:{code}", on=day) or kb.get(f"HCPCS:{code}")
    if record is None:
        return []
    described = set(WORD.findall(record.text.lower())) - {"hcpcs", "with", "each", "other"}
    marks = ",".join("?" * len(COVERAGE_SOURCES))
    rows = kb.conn.execute(
        f"SELECT DISTINCT ref, title FROM records WHERE source IN ({marks}) ORDER BY ref",
        COVERAGE_SOURCES,
    ).fetchall()
    scored = sorted(
        ((-len(described & set(WORD.findall(title.lower()))), ref, title) for ref, title in rows),
    )
    return [(ref, title) for score, ref, title in scored if -score >= SHARED_WORDS][:LIMIT]
