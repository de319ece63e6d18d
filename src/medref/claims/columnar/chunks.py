"""A batch of claims cut into `LineTables` chunks that each hold whole scopes, so a batch of
any size is checked in bounded memory.

A claim without a patient id is its own scope: such claims go into chunks of about
`CHUNK_LINES` lines as they are read. Claims with a patient id are checked with every claim of
their patient and the history file's: they are held by the streaming engine's
`PatientGroups` (in memory, spilling to partition files past its budget) and come back a
patient at a time, after the file is read, into chunks of whole patients. Claims with input
errors ride in the chunk being filled (their `error` findings come out with it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from medref.claims.columnar.inputs import LineTables, from_claims
from medref.claims.model import Claim
from medref.claims.patients import PatientGroups

CHUNK_LINES = 250_000
"""Lines a chunk holds before it is checked (the last claim or patient completes it)."""
SPARK_CHUNK_LINES = 5_000_000
"""The same for Spark: every chunk is a full run of the plan (hundreds of stages, about a
minute on two local cores whatever its size), and the driver holds one chunk as Arrow."""


class Chunker:
    def __init__(self, chunk_lines: int = CHUNK_LINES) -> None:
        self.chunk_lines = max(1, chunk_lines)
        self.history_claims = 0
        """Claims of the history file read (with or without a patient id)."""

    def chunks(
        self, claims: Iterable[Claim], history: Iterable[Claim] = ()
    ) -> Iterator[LineTables]:
        groups = PatientGroups()
        for claim in history:
            self.history_claims += 1
            if claim.patient_id and not claim.problems:
                claim.history = True
                groups.add(claim)
        held: list[Claim] = []
        size = 0
        for claim in claims:
            if claim.patient_id and not claim.problems:
                groups.add(claim)
                continue
            held.append(claim)
            size += len(claim.lines)
            if size >= self.chunk_lines:
                yield from_claims(held)
                held, size = [], 0
        earlier: list[Claim] = []
        for patient in groups.patients():
            for claim in patient:
                (earlier if claim.history else held).append(claim)
                size += len(claim.lines)
            if size >= self.chunk_lines:
                yield from_claims(held, earlier)
                held, earlier, size = [], [], 0
        if held or earlier:
            yield from_claims(held, earlier)
