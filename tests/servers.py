"""Helpers for tests that need a real `medref serve` process (uvicorn, real HTTP), a small
knowledge base home built from a subset of the real files, and a `medref build` child."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

MEDREF = str(Path(sys.executable).with_name("medref"))


def small_mirror(cms_dir: Path, target: Path, *, iom: bool = False) -> Path:
    """Place of service, the NCD sample and the NCCI MUE and add-on tables (seconds to
    build), optionally the IOM sections: a real-file subset for build and server tests."""
    shutil.copytree(cms_dir / "pos", target / "pos")
    shutil.copytree(cms_dir / "ncd", target / "ncd")
    shutil.copytree(
        cms_dir / "ncci",
        target / "ncci",
        ignore=shutil.ignore_patterns("*ptp*", "*outpatient*", "*dme*"),
    )
    if iom:
        shutil.copytree(cms_dir / "manuals/iom", target / "manuals/iom")
    return target


def medref_env(home: Path, mirror: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDREF_")}
    env.update(
        MEDREF_HOME=str(home),
        MEDREF_SOURCES=str(mirror),
        MEDREF_EMBEDDINGS="false",
        **extra,
    )
    return env


def run_build(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MEDREF, "build", "--no-progress", *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=600,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen[bytes]
    """`medref serve` itself: with one worker, the uvicorn server process."""


@contextmanager
def serving(env: Mapping[str, str], *, workers: int = 1) -> Iterator[Server]:
    """`medref serve` on a free port until the block ends, once every worker has loaded
    its indexes."""
    port = free_port()
    command = [MEDREF, "serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(
        command,
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_warm(url, process, workers)
        yield Server(url, process)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def wait_warm(url: str, process: subprocess.Popen[bytes], workers: int) -> None:
    """Until `workers` distinct worker processes have answered health saying `warmed`."""
    deadline = time.monotonic() + 300
    warm: set[int] = set()
    while len(warm) < workers:
        if process.poll() is not None:
            error = process.stderr.read().decode() if process.stderr else ""
            raise AssertionError(f"medref serve exited with {process.returncode}: {error}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{url}: {len(warm)} of {workers} workers warm after 300 s")
        try:
            body = httpx.get(f"{url}/api/health", timeout=10).json()
            if body.get("warmed"):
                warm.add(body["worker"])
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.1)


def wait_for_build(url: str, build_id: str, *, workers: int = 1, timeout: float = 120) -> None:
    """Until `workers` distinct worker processes have answered health naming `build_id`."""
    deadline = time.monotonic() + timeout
    moved: set[int] = set()
    seen = ""
    while len(moved) < workers:
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} still serves {seen}, not {build_id}, after {timeout} s")
        body = httpx.get(f"{url}/api/health", timeout=10).json()
        seen = body["build"]
        if seen == build_id:
            moved.add(body["worker"])
        time.sleep(0.05)


def current_build(home: Path) -> str:
    return (home / "current").resolve().name
