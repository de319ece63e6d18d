"""Synthetic claim batches built from the real edit tables, for `medref bench check`.

Claims mix what a clearinghouse sees: real PTP pairs of the practitioner table (with and
without bypass modifiers), E/M visits beside procedures, add-on codes with and without their
primaries, and MUE codes with units around their limits; dates fall inside the NCCI quarter
loaded, diagnoses are real ICD-10-CM codes. No person's data: ids are made up.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from medref.claims.read_csv import CSV_COLUMNS
from medref.errors import KnowledgeBaseError
from medref.kb.store import KnowledgeBase, ReleaseInfo

VISITS = ("99202", "99203", "99204", "99205", "99211", "99212", "99213", "99214", "99215")
PAIR_MODIFIERS = ("", "", "", "59", "XS", "XU", "XE", "RT", "LT", "25", "", "")
EXTRA_MODIFIERS = ("", "", "", "", "", "", "RT", "LT", "26", "TC", "GA", "QW", "AS")
PLACES = ("11", "11", "11", "22", "21", "19", "23", "24", "02", "10")
PAIR_SAMPLE = 40_000
DIAGNOSIS_SAMPLE = 5_000


@dataclass(frozen=True, slots=True)
class Ingredients:
    """Real codes to build claims from."""

    quarter: ReleaseInfo
    pairs: list[tuple[str, str]]
    limits: list[tuple[str, int]]
    add_ons: list[tuple[str, str]]
    """(primary, add-on); primary `CCCCC` when there is none."""
    diagnoses: list[str]


@dataclass(frozen=True, slots=True)
class Batch:
    path: Path
    lines: int
    claims: int
    quarter: ReleaseInfo


def ingredients(kb: KnowledgeBase) -> Ingredients:
    quarter = kb.latest_release("ncci-ptp-practitioner")
    if quarter is None or quarter.effective is None or quarter.until is None:
        raise KnowledgeBaseError(
            "the knowledge base has no practitioner PTP quarter to build claims from: build it "
            "with the NCCI files"
        )
    conn = kb.conn
    step = max(1, quarter.records // PAIR_SAMPLE)
    pairs = conn.execute(
        "SELECT column1, column2 FROM ptp WHERE setting = 'practitioner' AND release = ? "
        "AND deleted IS NULL AND line % ? = 0",
        (quarter.release, step),
    ).fetchall()
    limits = conn.execute(
        "SELECT code, json_extract(data, '$.units') FROM records WHERE source = "
        "'ncci-mue-practitioner' AND release = ? AND json_extract(data, '$.units') > 0",
        (quarter.release,),
    ).fetchall()
    add_ons = conn.execute(
        "SELECT json_extract(data, '$.primary'), json_extract(data, '$.add_on') FROM records "
        "WHERE source = 'ncci-aoc' AND release = ?",
        (quarter.release,),
    ).fetchall()
    diagnoses = [
        row[0]
        for row in conn.execute(
            "SELECT code FROM records WHERE source = 'icd10cm' AND json_extract(data, "
            "'$.billable') LIMIT ?",
            (DIAGNOSIS_SAMPLE,),
        )
    ] or ["R69"]
    return Ingredients(quarter, pairs, limits, add_ons, diagnoses)


def write_batch(kb: KnowledgeBase, path: Path, lines: int, seed: int = 7) -> Batch:
    """Write about `lines` claim lines (whole claims) to a CSV at `path`."""
    parts = ingredients(kb)
    rng = random.Random(seed)
    written = claims = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        while written < lines:
            claims += 1
            rows = list(claim_rows(rng, parts, f"SYN{claims:08d}"))
            writer.writerows(rows)
            written += len(rows)
    return Batch(path, written, claims, parts.quarter)


def claim_rows(rng: random.Random, parts: Ingredients, claim_id: str) -> Iterator[list[str]]:
    quarter = parts.quarter
    assert quarter.effective is not None and quarter.until is not None
    span = (quarter.until - quarter.effective).days
    day = quarter.effective + timedelta(days=rng.randint(0, span))
    services = services_for(rng, parts)
    diagnoses = "|".join(rng.sample(parts.diagnoses, rng.randint(1, 4)))
    place = rng.choice(PLACES)
    for number, (code, modifiers, units) in enumerate(services, start=1):
        on = day if rng.random() < 0.9 else min(day + timedelta(days=1), quarter.until)
        yield [claim_id, str(number), on.isoformat(), code, modifiers, str(units), place, diagnoses]


def services_for(rng: random.Random, parts: Ingredients) -> list[tuple[str, str, int]]:
    """(code, modifiers, units) of one claim's lines."""
    kind = rng.random()
    services: list[tuple[str, str, int]] = []
    if kind < 0.35:
        column1, column2 = rng.choice(parts.pairs)
        services += [
            (column1, rng.choice(EXTRA_MODIFIERS), 1),
            (column2, rng.choice(PAIR_MODIFIERS), 1),
        ]
    elif kind < 0.6:
        services.append((rng.choice(VISITS), rng.choice(("", "", "25", "57", "24")), 1))
    elif kind < 0.8:
        primary, add_on = rng.choice(parts.add_ons)
        if primary != "CCCCC" and rng.random() < 0.75:
            services.append((primary, "", 1))
        services.append((add_on, "", rng.randint(1, 3)))
    for _ in range(rng.randint(1, 4)):
        code, limit = rng.choice(parts.limits)
        services.append((code, rng.choice(EXTRA_MODIFIERS), rng.randint(1, limit + 2)))
    return services
