"""Whole-process time of one CLI command, each run paired with `python -c pass`.

    MEDREF_HOME=$KB python scripts/cli_timing.py --runs 10 -- .venv/bin/medref search "telehealth"

Prints wall time (min / median / max) and the child's CPU time (user + sys, median) of the
command and of the bare interpreter, one warm-up run left out: the pairing keeps the ratio
true when the machine's speed drifts.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time


def timed(command: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = [part for part in args.command if part != "--"]
    if not command:
        parser.error("give the command to time after --")
    pairs = {"command": command, "python -c pass": [sys.executable, "-c", "pass"]}
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in pairs}
    for run in range(args.runs + 1):
        for name, argv in pairs.items():
            measured = timed(argv)
            if run:
                times[name].append(measured)
    for name, found in times.items():
        walls = [wall for wall, _ in found]
        cpus = [cpu for _, cpu in found]
        print(
            f"{name}: wall min {min(walls):.3f} s, median {statistics.median(walls):.3f} s, "
            f"max {max(walls):.3f} s; CPU median {statistics.median(cpus):.3f} s"
        )


if __name__ == "__main__":
    main()
