"""Load test of the REST API: a bounded, mixed search/ask/code workload against `medref
serve` on 127.0.0.1, reporting throughput and p50/p95 latency per endpoint.

It starts the server itself on a free local port (or uses --url of one already running on
this machine), waits until the indexes are loaded, runs --concurrency closed-loop clients
for --duration seconds, and prints a Markdown table. Queries come from the development
question set; codes from a fixed list of HCPCS, CPT, ICD-10-CM codes and modifiers.

Example:
    MEDREF_HOME=.pytest_kb .venv/bin/python scripts/loadtest.py --duration 60 --concurrency 16
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlparse

import httpx

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = REPO.parent / "shared" / "eval" / "dev.jsonl"
CODES = (
    "G0439",
    "G2212",
    "J1100",
    "E11.9",
    "I10",
    "M17.11",
    "99213",
    "99214-25",
    "93000",
    "20610",
    "A4253",
    "E0143",
    "25",
    "59",
    "GA",
    "11",
    "Z00.00",
    "K0001",
    "99497",
)
WARM_CHECKS = 8
"""Consecutive health replies saying `warmed` (with several workers, each must be)."""
MIX = (("search", 6), ("ask", 2), ("code", 2))
"""Relative weights of the request kinds."""


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, seconds: float, ok: bool) -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        if not ok:
            self.errors[kind] = self.errors.get(kind, 0) + 1


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def questions(path: Path) -> list[str]:
    return [json.loads(line)["question"] for line in path.read_text().splitlines() if line]


def requests(texts: list[str], seed: int) -> Iterator[tuple[str, str]]:
    """An endless shuffled stream of (kind, path) following MIX."""
    rng = random.Random(seed)
    kinds = [kind for kind, weight in MIX for _ in range(weight)]
    while True:
        kind = rng.choice(kinds)
        if kind == "search":
            yield kind, f"/api/search?k=10&q={quote(rng.choice(texts))}"
        elif kind == "ask":
            yield kind, f"/api/ask/stream?q={quote(rng.choice(texts))}"
        else:
            yield kind, f"/api/code/{quote(rng.choice(CODES))}"


async def client(
    http: httpx.AsyncClient, work: Iterator[tuple[str, str]], stats: Stats, until: float
) -> None:
    while time.perf_counter() < until:
        kind, path = next(work)
        started = time.perf_counter()
        try:
            response = await http.get(path)
            ok = response.status_code == 200 and (kind != "ask" or "event: done" in response.text)
        except httpx.HTTPError:
            ok = False
        stats.add(kind, time.perf_counter() - started, ok)


async def run(url: str, texts: list[str], duration: float, concurrency: int) -> tuple[Stats, float]:
    stats = Stats()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30.0) as http:
        for _kind, path in itertools.islice(requests(texts, 0), 30):  # warm-up, not timed
            await http.get(path)
        streams = [requests(texts, seed) for seed in range(1, concurrency + 1)]
        started = time.perf_counter()
        until = started + duration
        await asyncio.gather(*(client(http, stream, stats, until) for stream in streams))
        return stats, time.perf_counter() - started


def wait_ready(url: str, process: subprocess.Popen[bytes] | None, timeout: float = 600) -> None:
    """Until the server has loaded its indexes and claim tables (in the background at start)
    and a search answers."""
    deadline = time.monotonic() + timeout
    warm_in_a_row = 0
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            sys.exit(f"medref serve exited with code {process.returncode}")
        try:
            health = httpx.get(f"{url}/api/health", timeout=60).json()
            search = httpx.get(f"{url}/api/search?q=G0439&k=1", timeout=60)
            warm_in_a_row = warm_in_a_row + 1 if health.get("warmed") else 0
            if warm_in_a_row >= WARM_CHECKS and search.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    sys.exit(f"{url} did not become ready in {timeout:.0f} s")


def report(stats: Stats, elapsed: float, concurrency: int) -> str:
    total = sum(len(v) for v in stats.latencies.values())
    errors = sum(stats.errors.values())
    lines = [
        f"{total:,} requests in {elapsed:.1f} s with {concurrency} concurrent connections: "
        f"{total / elapsed:.1f} requests/s, {errors} errors",
        "",
        "| endpoint | requests | req/s | p50 ms | p95 ms | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, _ in MIX:
        values = stats.latencies.get(kind, [])
        if not values:
            continue
        lines.append(
            f"| {kind} | {len(values):,} | {len(values) / elapsed:.1f} | "
            f"{percentile(values, 0.5) * 1000:.0f} | {percentile(values, 0.95) * 1000:.0f} | "
            f"{stats.errors.get(kind, 0)} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds (max 600)")
    parser.add_argument("--concurrency", type=int, default=16, help="connections (max 64)")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--url", help="a server already running on 127.0.0.1")
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    args = parser.parse_args()
    duration = min(args.duration, 600.0)
    concurrency = max(1, min(args.concurrency, 64))
    if args.url and urlparse(args.url).hostname not in ("127.0.0.1", "localhost"):
        sys.exit("--url must be a server on this machine (127.0.0.1)")
    texts = questions(args.questions)
    process = None
    url = args.url
    if url is None:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        medref = str(Path(sys.executable).with_name("medref"))
        command = [
            medref,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ]
        process = subprocess.Popen(command, env=os.environ.copy(), stdout=subprocess.DEVNULL)
    try:
        wait_ready(url, process)
        stats, elapsed = asyncio.run(run(url, texts, duration, concurrency))
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
    print(report(stats, elapsed, concurrency))
    if any(stats.errors.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
