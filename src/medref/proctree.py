"""A process and its descendants, read from `/proc` (Linux): what a benchmark measures when
the work runs in child processes (a server's workers, Spark's JVM under a Python driver),
which Python's own resource accounting does not see."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


class ProcessStat(NamedTuple):
    parent: int
    cpu_ticks: int
    """User + system clock ticks so far."""
    resident_kb: int


def process_stat(pid: int) -> ProcessStat | None:
    """One process's parent, CPU time and resident memory, or None when it has gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # after "pid (command) ": state ppid ... utime(12) stime(13) ... rss(22), from state
    fields = text[text.rindex(")") + 2 :].split()
    return ProcessStat(int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[21]) * PAGE_KB)


def process_tree(root: int) -> dict[int, ProcessStat]:
    """`root` and every process descended from it, as they are now."""
    stats = {
        int(entry): stat
        for entry in os.listdir("/proc")
        if entry.isdigit() and (stat := process_stat(int(entry))) is not None
    }
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, stat in stats.items() if stat.parent in tree} - tree
        tree |= more
        grew = bool(more)
    return {pid: stats[pid] for pid in tree if pid in stats}
