"""Denials: each adjusted line of an 835 explained and re-checked against the loaded tables."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from typing import IO, Any, TextIO

from medref.claims.model import Setting
from medref.claims.read import read_csv, read_json
from medref.claims.x12.read837 import Reader837
from medref.denials.explain import CoverageLookup, Submitted, explain
from medref.denials.read835 import Reader835, RemitClaim
from medref.errors import InputError
from medref.lookup.coverage import coverage_documents
from medref.services.claims import claims_of, is_x12
from medref.services.resources import Resources
from medref.x12.tokens import looks_like_x12


def denials_file(
    res: Resources,
    path: Path,
    claims: Path | None = None,
    setting: Setting = "practitioner",
) -> dict[str, Any]:
    """Every adjustment of an 835 file, explained; `claims` is the claim file the provider
    sent (837, CSV or JSON), for diagnoses, places of service and the lines as billed."""
    if not path.is_file():
        raise InputError(f"{path}: no such remittance file")
    if not is_x12(path):
        raise InputError(f"{path}: not an X12 835 (the file does not start with an ISA header)")
    submitted = submitted_claims(claims, setting) if claims is not None else None
    with path.open(encoding="utf-8", errors="surrogateescape", newline="") as handle:
        return report(res, Reader835(), handle, submitted, setting)


def denials_upload(
    res: Resources,
    upload: IO[bytes],
    claims: IO[bytes] | None = None,
    setting: Setting = "practitioner",
) -> dict[str, Any]:
    """The same for uploaded files (the web page, the API)."""
    submitted = None
    if claims is not None:
        text = io.TextIOWrapper(claims, encoding="utf-8-sig", errors="surrogateescape", newline="")
        try:
            submitted = submitted_text(text.read(), setting)
        finally:
            text.detach()
    remittance = io.TextIOWrapper(upload, encoding="utf-8", errors="surrogateescape", newline="")
    try:
        return report(res, Reader835(), remittance, submitted, setting)
    finally:
        remittance.detach()


def submitted_claims(path: Path, setting: Setting) -> dict[str, list[Submitted]]:
    if not path.is_file():
        raise InputError(f"{path}: no such claim file")
    if is_x12(path):
        return group(Reader837(setting), path.read_text(encoding="utf-8", errors="surrogateescape"))
    found: dict[str, list[Submitted]] = {}
    for claim in claims_of(path, None, setting, None, 10_000):
        found.setdefault(claim.claim_id, []).append(Submitted(claim))
    return found


def submitted_text(text: str, setting: Setting) -> dict[str, list[Submitted]]:
    """Claims as sent, from an uploaded 837, JSON list or CSV (found by content)."""
    if looks_like_x12(text[:400]):
        return group(Reader837(setting), text)
    found: dict[str, list[Submitted]] = {}
    stream = io.StringIO(text)
    reader = read_json if text.lstrip().startswith("[") else read_csv
    for claim in reader(stream, setting=setting, name="claims"):
        found.setdefault(claim.claim_id, []).append(Submitted(claim))
    return found


def group(reader: Reader837, text: str) -> dict[str, list[Submitted]]:
    """An 837's claims by CLM01, each with its lines' control numbers (REF*6R)."""
    found: dict[str, list[Submitted]] = {}
    for claim in reader.claims(io.StringIO(text)):
        place = reader.places.get(claim.order)
        controls = (
            {spot.control: number for number, spot in place.lines.items() if spot.control}
            if place is not None
            else {}
        )
        found.setdefault(claim.claim_id, []).append(Submitted(claim, controls))
    return found


def report(
    res: Resources,
    reader: Reader835,
    handle: TextIO,
    submitted: dict[str, list[Submitted]] | None,
    setting: Setting,
) -> dict[str, Any]:
    remits: list[RemitClaim] = list(reader.claims(handle))
    rows = [
        row.as_dict()
        for row in explain(
            remits,
            res.claim_tables(),
            submitted=submitted,
            setting=setting,
            coverage=coverage(res),
        )
    ]
    return {"denials": rows, "summary": summary(remits, rows, reader, submitted is not None)}


def coverage(res: Resources) -> CoverageLookup:
    return lambda code, day: coverage_documents(res.kb, code, day)


def summary(
    remits: list[RemitClaim], rows: list[dict[str, Any]], reader: Reader835, with_claims: bool
) -> dict[str, Any]:
    adjusted = {(row["place"]["clp_segment"], row["line"]) for row in rows if row["line"]}
    return {
        "claims": len(remits),
        "service_lines": sum(len(remit.lines) for remit in remits),
        "adjusted_lines": len(adjusted),
        "adjustments": len(rows),
        "by_verdict": dict(Counter(row["verdict"] for row in rows)),
        "by_carc": dict(Counter(f"{row['group']}-{row['carc']}" for row in rows)),
        "claims_file_given": with_claims,
        "x12": reader.counts.as_dict(),
    }
