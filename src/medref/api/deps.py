"""What routes share: the process's `Resources`, the bulkhead for CPU-heavy requests and the
common query parameters."""

from __future__ import annotations

import os
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request

from medref.claims.model import Setting
from medref.services.resources import Resources

T = TypeVar("T")

HEAVY_SLOTS = os.cpu_count() or 1
"""CPU-heavy requests computing at once per process (see `Bulkhead`): one per core."""


class Bulkhead:
    """At most `slots` CPU-heavy requests (code cards, answers, claim checks, diffs) compute
    at once; the others wait their turn without using CPU. Searches and page data never
    wait here, so they stay fast while heavy work queues behind itself."""

    def __init__(self, slots: int = HEAVY_SLOTS) -> None:
        self._slots = threading.BoundedSemaphore(slots)

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._slots:
            yield

    def iterate(self, items: Iterator[T]) -> Generator[T, None, None]:
        """`items` produced inside one slot (a streamed answer)."""
        with self._slots:
            yield from items


def resources(request: Request) -> Resources:
    """The process's resources pinned to the build in use now: one request, one build."""
    shared: Resources = request.app.state.resources
    return shared.pinned()


def bulkhead(request: Request) -> Bulkhead:
    found: Bulkhead = request.app.state.bulkhead
    return found


Res = Annotated[Resources, Depends(resources)]
Heavy = Annotated[Bulkhead, Depends(bulkhead)]
DateOfService = Annotated[
    date | None,
    Query(description="Date of service (YYYY-MM-DD): use the releases in force on it."),
]
SettingParam = Annotated[
    Setting, Query(description="NCCI setting for claims that do not name theirs.")
]
