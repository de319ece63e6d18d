"""File locks that keep builds and readers of one knowledge base home out of each other's way.

- `exclusive_build(home)`: one build at a time per home. A second build fails at once with
  a message naming the running one, instead of doing all the work and deleting the first
  build's folders.
- `hold_build(folder)`: a reader (a server, a CLI command) marks the build it opened as in
  use, so that a later build does not delete it from under it; `unused(folder)` asks, and
  keeps new readers out while the folder is deleted.

Both are `flock` locks: the kernel releases them when the process dies, even by kill -9, so
a crashed build or server never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from medref.errors import BuildLockedError

BUILD_LOCK = "build.lock"
"""In the home folder: held while a build runs; holds the builder's pid and start time."""
READERS_LOCK = "readers.lock"
"""In each build folder: held shared by every process reading that build."""


@contextmanager
def exclusive_build(home: Path) -> Iterator[None]:
    """Hold the home's build lock for the duration, or raise `BuildLockedError` at once."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / BUILD_LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
            raise BuildLockedError(
                f"another build is running on {home} ({holder}). What to do: wait for it to "
                "finish (the knowledge base in use stays available meanwhile), then run "
                "`medref build` again if its sources differ"
            ) from None
        started = datetime.now(UTC).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, started {started}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def create_readers_lock(folder: Path) -> None:
    """Called by the build on its new folder, so that readers have a file to lock."""
    (folder / READERS_LOCK).touch()


def hold_build(folder: Path) -> int | None:
    """A shared lock on `folder`'s readers lock, as an open descriptor (close it to let go);
    None for a build without one (made before readers locked their builds)."""
    try:
        fd = os.open(folder / READERS_LOCK, os.O_RDONLY)
    except FileNotFoundError:
        return None
    fcntl.flock(fd, fcntl.LOCK_SH)
    return fd


@contextmanager
def unused(folder: Path) -> Iterator[bool]:
    """Whether no process reads `folder`; while True, readers wait, so the caller can delete
    the folder without a reader opening it half-way (a reader then finds it gone)."""
    try:
        fd = os.open(folder / READERS_LOCK, os.O_RDONLY)
    except FileNotFoundError:
        yield True
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)
