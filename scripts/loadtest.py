"""Load test of the REST API: a bounded, mixed search/ask/code workload against `medref
serve` on 127.0.0.1, reporting throughput and p50/p95 latency per endpoint.

It starts the server itself on a free local port (or uses --url of one already running on
this machine), waits until every worker has loaded its indexes, runs --concurrency
closed-loop clients for --duration seconds, and prints a Markdown table. Queries come from
the development question set; codes from a fixed list of HCPCS, CPT, ICD-10-CM codes and
modifiers. Comma lists of --workers and --concurrency run every combination in one run (a
server per worker count), for figures that compare like with like. --memory-every samples
the resident memory of the server's processes during the run (a soak's memory curve).

Examples:
    MEDREF_HOME=.pytest_kb .venv/bin/python scripts/loadtest.py --duration 60 --concurrency 16
    MEDREF_HOME=.pytest_kb .venv/bin/python scripts/loadtest.py --duration 60 \
        --workers 1,2 --concurrency 16,32
    MEDREF_HOME=.pytest_kb .venv/bin/python scripts/loadtest.py --duration 600 \
        --concurrency 16 --workers 2 --memory-every 30
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

from medref.proctree import process_tree

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


async def run(
    url: str,
    texts: list[str],
    duration: float,
    concurrency: int,
    memory: tuple[int, float, list[tuple[float, float]]] | None = None,
) -> tuple[Stats, float]:
    """`memory` = (server pid, seconds between samples, the list samples go to)."""
    stats = Stats()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30.0) as http:
        for _kind, path in itertools.islice(requests(texts, 0), 30):  # warm-up, not timed
            await http.get(path)
        streams = [requests(texts, seed) for seed in range(1, concurrency + 1)]
        started = time.perf_counter()
        until = started + duration
        tasks = [client(http, stream, stats, until) for stream in streams]
        if memory is not None:
            pid, every, samples = memory
            tasks.append(sample_memory(pid, every, until, started, samples))
        await asyncio.gather(*tasks)
        return stats, time.perf_counter() - started


def wait_ready(
    url: str, process: subprocess.Popen[bytes] | None, workers: int, timeout: float = 600
) -> None:
    """Until `workers` distinct worker processes say `warmed` (indexes and claim tables are
    loaded in the background at start) and a search answers."""
    deadline = time.monotonic() + timeout
    warm: set[int] = set()
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            sys.exit(f"medref serve exited with code {process.returncode}")
        try:
            health = httpx.get(f"{url}/api/health", timeout=60).json()
            if health.get("warmed"):
                warm.add(health.get("worker", 0))
            search = httpx.get(f"{url}/api/search?q=G0439&k=1", timeout=60)
            if len(warm) >= workers and search.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    sys.exit(f"{url} did not become ready in {timeout:.0f} s")


def rss_mb(root: int) -> dict[int, float]:
    """Resident memory (MB) of `root` and its descendants, from /proc (Linux)."""
    return {pid: stat.resident_kb / 1024 for pid, stat in process_tree(root).items()}


async def sample_memory(
    root: int, every: float, until: float, started: float, samples: list[tuple[float, float]]
) -> None:
    while time.perf_counter() < until:
        samples.append((time.perf_counter() - started, sum(rss_mb(root).values())))
        await asyncio.sleep(min(every, max(0.0, until - time.perf_counter())))
    samples.append((time.perf_counter() - started, sum(rss_mb(root).values())))


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


def memory_table(samples: list[tuple[float, float]]) -> str:
    lines = ["| seconds | server RSS MB (all processes) |", "|---:|---:|"]
    lines += [f"| {at:.0f} | {mb:,.0f} |" for at, mb in samples]
    return "\n".join(lines)


def start_server(workers: int) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    medref = str(Path(sys.executable).with_name("medref"))
    command = [medref, "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers)]
    process = subprocess.Popen(command, env=os.environ.copy(), stdout=subprocess.DEVNULL)
    return f"http://127.0.0.1:{port}", process


def numbers(text: str, low: int, high: int) -> list[int]:
    return [max(low, min(int(value), high)) for value in text.split(",") if value.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds (max 900)")
    parser.add_argument("--concurrency", default="16", help="connections, e.g. 16 or 16,32")
    parser.add_argument("--workers", default="1", help="server worker processes, e.g. 1 or 1,2")
    parser.add_argument("--url", help="a server already running on 127.0.0.1")
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--memory-every", type=float, help="sample server memory every N s")
    args = parser.parse_args()
    duration = min(args.duration, 900.0)
    if args.url and urlparse(args.url).hostname not in ("127.0.0.1", "localhost"):
        sys.exit("--url must be a server on this machine (127.0.0.1)")
    texts = questions(args.questions)
    failed = False
    for workers in numbers(args.workers, 1, 8):
        process = None
        url = args.url
        if url is None:
            url, process = start_server(workers)
        try:
            wait_ready(url, process, 1 if args.url else workers)
            for concurrency in numbers(args.concurrency, 1, 64):
                samples: list[tuple[float, float]] = []
                memory = None
                if process is not None and args.memory_every:
                    memory = (process.pid, args.memory_every, samples)
                stats, elapsed = asyncio.run(run(url, texts, duration, concurrency, memory))
                print(f"### {workers} worker(s), {concurrency} clients\n")
                print(report(stats, elapsed, concurrency) + "\n")
                if samples:
                    print(memory_table(samples) + "\n")
                failed = failed or any(stats.errors.values())
        finally:
            if process is not None:
                process.terminate()
                process.wait(timeout=60)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
