"""Builds under faults, on a subset of the real files: kill -9 at several points, two builds
at once, `--source` updates, leftovers, the disk sync before the swap, and sources that
vanish or shrink against the build in force."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from medref.errors import BuildLockedError, SourceChangeError
from medref.kb import KnowledgeBase
from medref.kb.locks import exclusive_build
from medref.services.knowledge import build
from medref.settings import Settings
from medref.sources import modifiers
from servers import MEDREF, current_build, medref_env, run_build, small_mirror


def _settings(tmp_path: Path, mirror: Path, **extra: object) -> Settings:
    return Settings(
        home=tmp_path / "home", sources=mirror, embeddings=False, vault=tmp_path / "no-vault"
    ).model_copy(update=extra)


def _quiet(_: str) -> None:
    pass


def _releases(settings: Settings) -> dict[str, int]:
    kb = KnowledgeBase.open(settings)
    return {f"{info.source}@{info.release}": info.records for info in kb.releases()}


def _assert_whole(home: Path, build_id: str) -> None:
    """`current` names `build_id`, and that build opens and answers."""
    assert current_build(home) == build_id
    settings = Settings(home=home, embeddings=False)
    kb = KnowledgeBase.open(settings)
    assert kb.get("POS:11") is not None and kb.probe() > 0


def _killed_at(env: dict[str, str], trigger: str | float) -> None:
    """A forced build, killed with SIGKILL when it prints a line holding `trigger`, or
    `trigger` seconds after it starts."""
    process = subprocess.Popen(
        [MEDREF, "build", "--no-progress", "--force"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if isinstance(trigger, float):
        time.sleep(trigger)
    else:
        assert process.stdout is not None
        for line in process.stdout:
            if trigger in line:
                break
        else:
            raise AssertionError(f"the build never printed {trigger!r}")
    process.send_signal(signal.SIGKILL)
    process.wait(30)


def test_kill_9_at_any_point_leaves_a_whole_knowledge_base(cms_dir: Path, tmp_path: Path) -> None:
    mirror = small_mirror(cms_dir, tmp_path / "mirror")
    home = tmp_path / "home"
    env = medref_env(home, mirror, MEDREF_VAULT=str(tmp_path / "no-vault"))
    started = time.monotonic()
    assert run_build(env).returncode == 0
    took = time.monotonic() - started
    good = current_build(home)
    for trigger in ("ncci-mue-practitioner", "ncd ", 0.5 * took, 0.8 * took, 0.95 * took):
        _killed_at(env, trigger)
        now = current_build(home)  # the old build, or the new one if the swap was reached
        _assert_whole(home, now)
        good = now
    after = run_build(env, "--force")  # not blocked: the kernel freed the dead build's lock
    assert after.returncode == 0, after.stdout + after.stderr
    assert current_build(home) != good
    builds = home / "builds"
    assert not [p for p in builds.iterdir() if p.name.endswith(".tmp")]
    assert not list(home.glob(".current-*"))
    assert len([p for p in builds.iterdir() if p.is_dir()]) <= 2  # MEDREF_KEEP_BUILDS


def test_a_second_build_at_the_same_time_stops_at_once(cms_dir: Path, tmp_path: Path) -> None:
    mirror = small_mirror(cms_dir, tmp_path / "mirror")
    home = tmp_path / "home"
    env = medref_env(home, mirror)
    assert run_build(env).returncode == 0
    earlier = current_build(home)
    first = subprocess.Popen(
        [MEDREF, "build", "--no-progress", "--force"], env=env, stdout=subprocess.PIPE, text=True
    )
    lock = home / "build.lock"
    deadline = time.monotonic() + 60
    while f"pid {first.pid}" not in (lock.read_text() if lock.exists() else ""):
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.02)
    second = run_build(env, "--force")
    assert first.wait(300) == 0
    assert second.returncode == 2
    assert "another build is running" in second.stderr and f"pid {first.pid}" in second.stderr
    assert "Traceback" not in second.stderr
    newest = current_build(home)
    assert newest != earlier and (home / "builds" / earlier).is_dir()  # both builds kept
    _assert_whole(home, newest)


def test_the_build_lock_names_the_holder(tmp_path: Path) -> None:
    with (
        exclusive_build(tmp_path),
        pytest.raises(BuildLockedError) as failure,
        exclusive_build(tmp_path),
    ):
        pass
    assert f"pid {os.getpid()}" in str(failure.value)
    with exclusive_build(tmp_path):  # released
        pass


def test_source_option_updates_those_sources_and_keeps_every_other_release(
    cms_dir: Path, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, small_mirror(cms_dir, tmp_path / "mirror"))
    build(settings, progress=False, log=_quiet)
    before = _releases(settings)
    assert len(before) == 5
    pos = settings.source_root / "pos/place_of_service_codes.csv"
    pos.write_text(pos.read_text().replace("Office", "Office (edited)", 1))
    report = build(settings, only=["pos"], progress=False, log=_quiet)
    assert report.parsed == ["pos@current"]
    assert _releases(settings) == before
    assert "(edited)" in str(KnowledgeBase.open(settings).get("POS:11"))
    with pytest.raises(Exception, match="unknown source nope"):
        build(settings, only=["nope"], progress=False, log=_quiet)


def test_every_build_removes_leftovers_even_when_nothing_changed(
    cms_dir: Path, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, small_mirror(cms_dir, tmp_path / "mirror"))
    first = build(settings, progress=False, log=_quiet)
    dead = settings.builds / f"20200101T000000-{os.getpid()}.tmp"  # even a live pid's
    dead.mkdir()
    (dead / "kb.sqlite").write_bytes(b"x" * 1000)
    stray = settings.home / ".current-424242"
    stray.symlink_to(first.path)
    again = build(settings, progress=False, log=_quiet)
    assert not again.changed
    assert not dead.exists() and not stray.is_symlink()


def test_the_new_build_is_on_disk_before_the_swap(
    cms_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path, small_mirror(cms_dir, tmp_path / "mirror"))
    synced: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        synced.append(f"swap {dst}")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    report = build(settings, progress=False, log=_quiet)
    swap = synced.index(f"swap {settings.current}")
    before = set(synced[:swap])
    files = [p for p in report.path.rglob("*") if p.is_file()]
    assert files and all(
        str(p).replace(report.path.name, report.path.name + ".tmp") in before for p in files
    )
    assert str(settings.builds) in before  # the rename into place
    assert str(settings.home) in synced[swap:]  # the swap itself


def test_a_vanished_source_stops_the_build_unless_accepted(cms_dir: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path, small_mirror(cms_dir, tmp_path / "mirror"))
    good = build(settings, progress=False, log=_quiet)
    (settings.source_root / "ncd/ncd_sample.jsonl").unlink()
    with pytest.raises(SourceChangeError) as failure:
        build(settings, progress=False, log=_quiet)
    message = str(failure.value)
    assert "source ncd 2025-07 (12 records in force)" in message and "--accept-changes" in message
    assert KnowledgeBase.open(settings).path == good.path
    accepted: list[str] = []
    build(settings, progress=False, accept_changes=True, log=accepted.append)
    assert "ncd@2025-07" not in _releases(settings)
    assert any(line.startswith("accepted: source ncd") for line in accepted)


def test_a_release_that_lost_records_stops_the_build_unless_accepted(
    cms_dir: Path, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, small_mirror(cms_dir, tmp_path / "mirror"))
    good = build(settings, progress=False, log=_quiet)
    mue = next(settings.source_root.glob("ncci/2024-07/ncci_mue_practitioner_*.csv"))
    lines = mue.read_text().splitlines(keepends=True)
    mue.write_text("".join(lines[: len(lines) // 2]))
    with pytest.raises(SourceChangeError) as failure:
        build(settings, progress=False, log=_quiet)
    message = str(failure.value)
    assert mue.name in message and "7,338 records" in message and "14,677" in message
    assert KnowledgeBase.open(settings).path == good.path
    assert not [p for p in settings.builds.iterdir() if p.name.endswith(".tmp")]
    build(settings, progress=False, accept_changes=True, log=_quiet)
    assert _releases(settings)["ncci-mue-practitioner@2024-07"] == 7338


def test_a_new_edition_of_our_own_writing_replaces_the_old_without_asking(
    cms_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The modifier notes and the vault hold one edition at a time (medref-0.1.0; a vault
    folder of one's own is named by the date of its newest page): a new one is no loss."""
    vault = tmp_path / "my-vault"
    vault.mkdir()
    page = vault / "index.md"
    page.write_text('---\ndescription: "Our notes."\n---\n\n# Index\n\nNotes.\n')
    os.utime(page, (1_700_000_000, 1_700_000_000))
    settings = _settings(tmp_path, small_mirror(cms_dir, tmp_path / "mirror"), vault=vault)
    build(settings, progress=False, log=_quiet)
    assert {"vault@2023-11-14", f"modifiers@{modifiers.RELEASE}"} <= set(_releases(settings))
    page.write_text(page.read_text() + "More notes.\n")
    shipped = modifiers.RELEASE
    monkeypatch.setattr(modifiers, "RELEASE", "medref-99.0")
    said: list[str] = []
    build(settings, progress=False, log=said.append)
    now = _releases(settings)
    assert "modifiers@medref-99.0" in now and "vault@2023-11-14" not in now
    assert any(r.startswith("vault@") for r in now)
    assert f"modifiers {shipped} is replaced by a new edition" in said
    assert "vault 2023-11-14 is replaced by a new edition" in said
    # a source of that kind that vanishes altogether still stops the build
    page.unlink()
    with pytest.raises(SourceChangeError, match="source vault"):
        build(settings, progress=False, log=_quiet)
