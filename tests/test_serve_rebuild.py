"""A real `medref serve` (uvicorn, two worker processes, real HTTP) under steady requests
while the knowledge base is rebuilt twice with MEDREF_KEEP_BUILDS=1: no request fails, the
server moves to each new build without a restart, a build in use is never deleted, and one
no longer in use is. SIGHUP moves a server that does not look by itself."""

from __future__ import annotations

import shutil
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from servers import (
    current_build,
    medref_env,
    run_build,
    serving,
    small_mirror,
    wait_for_build,
)

pytestmark = pytest.mark.slow

CLAIM = [
    {
        "claim_id": "R1",
        "diagnoses": [],
        "lines": [
            {
                "line": 1,
                "date_of_service": "2024-08-15",
                "code": "J1100",
                "units": 500,
                "place_of_service": "11",
            }
        ],
    }
]


class SteadyLoad:
    """Clients sending a mix of requests until stopped; every reply is kept by status."""

    def __init__(self, url: str, clients: int = 3) -> None:
        self.url = url
        self.stop = threading.Event()
        self.statuses: list[int] = []
        self.failures: list[str] = []
        self.threads = [threading.Thread(target=self._run, args=(n,)) for n in range(clients)]

    def __enter__(self) -> SteadyLoad:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)

    def _run(self, n: int) -> None:
        calls = [
            lambda c: c.get("/api/health"),
            lambda c: c.get("/api/search", params={"q": "place of service office", "k": 5}),
            lambda c: c.get("/api/record", params={"ref": "POS:11"}),
            lambda c: c.get("/api/code/J1100"),
            lambda c: c.post("/api/check", json=CLAIM),
            lambda c: c.get("/api/sources"),
        ]
        with httpx.Client(base_url=self.url, timeout=60) as client:
            i = n
            while not self.stop.is_set():
                try:
                    reply = calls[i % len(calls)](client)
                    self.statuses.append(reply.status_code)
                    if reply.status_code >= 500:
                        self.failures.append(f"{reply.request.url}: {reply.text[:200]}")
                except httpx.HTTPError as exc:
                    self.failures.append(f"{type(exc).__name__}: {exc}")
                i += 1


def test_rebuilds_under_a_running_server_lose_no_request(cms_dir: Path, tmp_path: Path) -> None:
    mirror = small_mirror(cms_dir, tmp_path / "mirror")
    home = tmp_path / "home"
    env = medref_env(home, mirror, MEDREF_KEEP_BUILDS="1", MEDREF_FOLLOW_SECONDS="0.5")
    assert run_build(env).returncode == 0
    first = current_build(home)
    with serving(env, workers=2) as server, SteadyLoad(server.url) as load:
        url = server.url
        shutil.copytree(cms_dir / "manuals/iom", mirror / "manuals/iom")  # a new source
        second_build = run_build(env)
        assert second_build.returncode == 0, second_build.stderr
        second = current_build(home)
        assert (home / "builds" / first).is_dir()  # the server still read it: kept
        wait_for_build(url, second, workers=2)
        iom = httpx.get(f"{url}/api/record", params={"ref": "IOM:100-04/12/40.8"})
        assert iom.status_code == 200 and iom.json()["source"] == "iom"

        third_build = run_build(env, "--force")
        assert third_build.returncode == 0, third_build.stderr
        third = current_build(home)
        wait_for_build(url, third, workers=2)
        time.sleep(1)
    assert load.failures == []
    assert len(load.statuses) > 100 and set(load.statuses) == {200}
    assert not (home / "builds" / first).exists()  # no longer read: the third build deleted it
    assert (home / "builds" / third).is_dir()


def test_sighup_moves_a_server_that_does_not_look_by_itself(cms_dir: Path, tmp_path: Path) -> None:
    mirror = small_mirror(cms_dir, tmp_path / "mirror")
    home = tmp_path / "home"
    env = medref_env(home, mirror, MEDREF_FOLLOW_SECONDS="0")
    assert run_build(env).returncode == 0
    first = current_build(home)
    with serving(env, workers=1) as server:
        assert run_build(env, "--force").returncode == 0
        second = current_build(home)
        time.sleep(1.5)
        assert httpx.get(f"{server.url}/api/health").json()["build"] == first
        server.process.send_signal(signal.SIGHUP)
        wait_for_build(server.url, second, timeout=60)
