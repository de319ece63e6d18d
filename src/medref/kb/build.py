"""Build the knowledge base: parse every source release into a new SQLite database beside
the current one, index it, then swap the `current` link in one atomic step.

A failed or interrupted build deletes its own folder and leaves `current` untouched.
Releases whose input fingerprint is unchanged are copied from the previous build instead of
parsed again; when nothing changed at all, nothing is done.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from tqdm import tqdm

from medref import __version__
from medref.errors import SourceError
from medref.kb import schema
from medref.kb.chunking import chunk_record
from medref.records import PtpEdit, Record
from medref.settings import Settings
from medref.sources import Release, Source, all_sources
from medref.sources.base import Source as SourceProtocol
from medref.sources.ncci import PTP_SETTINGS

BATCH = 5_000


class BuildStep(Protocol):
    """A step run on the new build after its records and chunks are written (indexes).
    The caller passes them (medref.services.knowledge.build): indexing lives above this layer."""

    name: str
    version: str

    def run(
        self,
        conn: sqlite3.Connection,
        build_dir: Path,
        previous: Path | None,
        settings: Settings,
        progress: bool,
    ) -> dict[str, Any]: ...


@dataclass
class PlannedRelease:
    source: Source
    release: Release
    fingerprint: str


@dataclass
class BuildReport:
    path: Path
    changed: bool
    seconds: float
    parsed: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def source_root(source: SourceProtocol, settings: Settings) -> Path:
    """Mirror root of a source. The vault lives with the project, not in the CMS mirror."""
    return settings.vault if source.name == "vault" else settings.source_root


def plan(settings: Settings, only: Iterable[str] | None = None) -> list[PlannedRelease]:
    wanted = set(only) if only else None
    planned: list[PlannedRelease] = []
    for source in all_sources():
        if wanted is not None and source.name not in wanted:
            continue
        for release in source.discover(source_root(source, settings)):
            planned.append(
                PlannedRelease(source, release, release.fingerprint(source.parser_version))
            )
    if not planned:
        raise SourceError(
            f"no source files found under {settings.source_root}: set MEDREF_SOURCES to a mirror "
            "folder laid out like ../shared/cms, or run `medref download` first"
        )
    return planned


def build_settings_key(settings: Settings, steps: Sequence[BuildStep]) -> dict[str, Any]:
    """The settings and versions that shape a build: a change forces a rebuild."""
    return {
        "schema": schema.SCHEMA_VERSION,
        "medref": __version__,
        "embeddings": settings.embeddings,
        "steps": {step.name: step.version for step in steps},
    }


def _current_manifest(settings: Settings) -> tuple[Path | None, dict[str, Any] | None]:
    current = settings.current
    if not current.exists():
        return None, None
    path = current.resolve()
    try:
        return path, json.loads((path / "manifest.json").read_text())
    except (OSError, ValueError):
        return None, None


def _old_fingerprints(manifest: dict[str, Any] | None) -> dict[tuple[str, str], str]:
    if manifest is None:
        return {}
    return {
        (entry["source"], entry["release"]): entry["fingerprint"]
        for entry in manifest.get("releases", [])
    }


def build(
    settings: Settings,
    *,
    steps: Sequence[BuildStep],
    only: Iterable[str] | None = None,
    progress: bool = True,
    force: bool = False,
    log: Callable[[str], None] = print,
) -> BuildReport:
    started = time.perf_counter()
    planned = plan(settings, only)
    previous, manifest = _current_manifest(settings)
    old = _old_fingerprints(manifest)
    key = build_settings_key(settings, steps)
    new = {(p.source.name, p.release.release): p.fingerprint for p in planned}
    if not force and manifest is not None and previous is not None:
        same_settings = manifest.get("settings") == key
        if same_settings and new == old:
            return BuildReport(previous, False, time.perf_counter() - started)
    reusable = {k for k, v in new.items() if old.get(k) == v} if previous and not force else set()
    if manifest is not None and manifest.get("settings", {}).get("schema") != schema.SCHEMA_VERSION:
        reusable = set()

    settings.builds.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    final = settings.builds / f"{stamp}-{os.getpid()}"
    work = final.with_name(final.name + ".tmp")
    work.mkdir()
    report = BuildReport(final, True, 0.0)
    try:
        conn = sqlite3.connect(f"file:{work / 'kb.sqlite'}", uri=True)
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        schema.create(conn)
        if reusable and previous is not None:
            _copy_releases(conn, previous / "kb.sqlite", reusable, log)
            report.reused = sorted(f"{s}@{r}" for s, r in reusable)
        ptp_items = [p for p in planned if p.source.table == "ptp"]
        ptp_reused = _prepare_ptp(conn, work, previous, ptp_items, reusable, log)
        rationales = _rationale_ids(conn)
        for item in planned:
            key_pair = (item.source.name, item.release.release)
            if key_pair in reusable:
                continue
            counts = _write_release(conn, item, rationales, progress)
            report.parsed.append(f"{item.source.name}@{item.release.release}")
            log(
                f"{item.source.name} {item.release.release}: {counts['records']:,} records, "
                f"{counts['chunks']:,} chunks"
            )
        conn.commit()
        schema.create_indexes(conn)
        if ptp_items and not ptp_reused:
            conn.executescript(schema.PTP_INDEXES.replace("INDEX ", "INDEX edits."))
        conn.commit()
        step_reports = {
            step.name: step.run(conn, work, previous, settings, progress) for step in steps
        }
        conn.commit()
        report.counts = _counts(conn)
        conn.execute("ANALYZE main")
        conn.close()
        _write_manifest(work, settings, key, step_reports)
        work.rename(final)
        _swap_current(settings, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _prune(settings)
    report.seconds = time.perf_counter() - started
    return report


def _rows(item: PlannedRelease) -> Iterator[Record | PtpEdit]:
    try:
        yield from item.source.parse(item.release)
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{item.release.files[0] if item.release.files else item.source.name}: "
            f"not readable as text ({exc.reason} at byte {exc.start}). What to do: check the "
            "file is the official release and was not re-encoded, then download it again."
        ) from exc


def _write_release(
    conn: sqlite3.Connection, item: PlannedRelease, rationales: dict[str, int], progress: bool
) -> dict[str, int]:
    name, release = item.source.name, item.release.release
    records = chunks = 0
    record_batch: list[tuple[Any, ...]] = []
    chunk_batch: list[tuple[Any, ...]] = []
    ptp_batch: list[tuple[Any, ...]] = []
    next_id = (conn.execute("SELECT COALESCE(MAX(id), 0) FROM records").fetchone()[0]) + 1
    bar = tqdm(
        desc=f"{name} {release}", unit=" rows", disable=not progress, leave=False, mininterval=0.5
    )
    setting = PTP_SETTINGS.get(name, "")

    def flush() -> None:
        if record_batch:
            conn.executemany("INSERT INTO records VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", record_batch)
            record_batch.clear()
        if chunk_batch:
            conn.executemany(
                "INSERT INTO chunks (record_id, ref, source, release, ord, title, text, hash) "
                "VALUES (?,?,?,?,?,?,?,?)",
                chunk_batch,
            )
            chunk_batch.clear()
        if ptp_batch:
            conn.executemany("INSERT INTO edits.ptp_rows VALUES (?,?,?,?,?,?,?,?,?)", ptp_batch)
            ptp_batch.clear()

    for row in _rows(item):
        if isinstance(row, PtpEdit):
            rationale = rationales.get(row.rationale)
            if rationale is None:
                rationale = rationales[row.rationale] = len(rationales) + 1
                conn.execute(
                    "INSERT INTO edits.ptp_rationales VALUES (?, ?)", (rationale, row.rationale)
                )
            ptp_batch.append(
                (
                    row.column1,
                    row.column2,
                    setting,
                    release,
                    row.line,
                    row.effective.isoformat() if row.effective else None,
                    row.deleted.isoformat() if row.deleted else None,
                    row.modifier_indicator,
                    rationale,
                )
            )
        else:
            record_id = next_id
            next_id += 1
            record_batch.append(
                (
                    record_id,
                    row.ref,
                    row.source,
                    row.release,
                    row.kind,
                    row.code,
                    row.title,
                    row.text,
                    row.effective.isoformat() if row.effective else None,
                    row.terminated.isoformat() if row.terminated else None,
                    row.parent,
                    json.dumps(row.data, default=str, ensure_ascii=False),
                    row.content_hash(),
                )
            )
            for piece in chunk_record(row.title, row.text):
                chunk_batch.append(
                    (
                        record_id,
                        row.ref,
                        row.source,
                        row.release,
                        piece.ord,
                        piece.title,
                        piece.text,
                        piece.hash,
                    )
                )
                chunks += 1
        records += 1
        if records % BATCH == 0:
            flush()
            bar.update(BATCH)
    flush()
    bar.update(records % BATCH)
    bar.close()
    rel = item.release
    conn.execute(
        "INSERT INTO releases VALUES (?,?,?,?,?,?,?,?,?)",
        (
            name,
            release,
            rel.effective.isoformat() if rel.effective else None,
            rel.until.isoformat() if rel.until else None,
            item.fingerprint,
            json.dumps([str(p) for p in rel.files]),
            records,
            chunks,
            datetime.now(UTC).isoformat(timespec="seconds"),
        ),
    )
    return {"records": records, "chunks": chunks}


def _copy_releases(
    conn: sqlite3.Connection, old_db: Path, keep: set[tuple[str, str]], log: Callable[[str], None]
) -> None:
    """Copy unchanged releases from the previous build, ids and all (one old database, so
    the ids cannot collide); new releases are appended after them."""
    conn.execute("ATTACH DATABASE ? AS old", (f"file:{old_db}?mode=ro",))
    conn.execute("CREATE TEMP TABLE keep (source TEXT, release TEXT)")
    conn.executemany("INSERT INTO keep VALUES (?, ?)", sorted(keep))
    pairs = "(source, release) IN (SELECT source, release FROM keep)"
    conn.execute(f"INSERT INTO releases SELECT * FROM old.releases WHERE {pairs}")
    conn.execute(f"INSERT INTO records SELECT * FROM old.records WHERE {pairs}")
    conn.execute(f"INSERT INTO chunks SELECT * FROM old.chunks WHERE {pairs}")
    conn.commit()
    conn.execute("DETACH DATABASE old")
    log(f"reused {len(keep)} unchanged releases from the previous build")


def _prepare_ptp(
    conn: sqlite3.Connection,
    work: Path,
    previous: Path | None,
    items: list[PlannedRelease],
    reusable: set[tuple[str, str]],
    log: Callable[[str], None],
) -> bool:
    """Attach the build's `ptp.sqlite` as `edits`. When every PTP release is unchanged the
    previous file is hard-linked (read-only from here on) and True is returned; otherwise a
    new file gets the unchanged releases copied and the changed ones are parsed into it."""
    target = work / "ptp.sqlite"
    old = previous / "ptp.sqlite" if previous is not None else None
    keys = {(item.source.name, item.release.release) for item in items}
    if old is not None and old.exists() and keys and keys <= reusable:
        try:
            os.link(old, target)
        except OSError:
            shutil.copy2(old, target)
        conn.execute("ATTACH DATABASE ? AS edits", (f"file:{target}?mode=ro",))
        log("reused the PTP edit tables of the previous build")
        return True
    conn.execute("ATTACH DATABASE ? AS edits", (f"file:{target}",))
    conn.execute("PRAGMA edits.journal_mode = OFF")
    conn.execute("PRAGMA edits.synchronous = OFF")
    conn.executescript(
        schema.PTP_DDL.replace("CREATE TABLE ", "CREATE TABLE edits.").replace(
            "CREATE VIEW ", "CREATE VIEW edits."
        )
    )
    kept = sorted(PTP_SETTINGS[s] + "@" + r for s, r in keys & reusable)
    if kept and old is not None and old.exists():
        conn.execute("ATTACH DATABASE ? AS oldptp", (f"file:{old}?mode=ro",))
        conn.execute("INSERT INTO edits.ptp_rationales SELECT * FROM oldptp.ptp_rationales")
        for entry in kept:
            setting, _, release = entry.partition("@")
            conn.execute(
                "INSERT INTO edits.ptp_rows SELECT * FROM oldptp.ptp_rows "
                "WHERE setting = ? AND release = ?",
                (setting, release),
            )
        conn.commit()
        conn.execute("DETACH DATABASE oldptp")
    return False


def _rationale_ids(conn: sqlite3.Connection) -> dict[str, int]:
    return {text: rid for rid, text in conn.execute("SELECT id, text FROM edits.ptp_rationales")}


def _counts(conn: sqlite3.Connection) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for source, release, records, chunks in conn.execute(
        "SELECT source, release, records, chunks FROM releases ORDER BY source, release"
    ):
        counts[f"{source}@{release}"] = {"records": records, "chunks": chunks}
    return counts


def _write_manifest(
    work: Path, settings: Settings, key: dict[str, Any], steps: dict[str, Any]
) -> None:
    conn = sqlite3.connect(work / "kb.sqlite")
    releases = [
        {
            "source": r[0],
            "release": r[1],
            "effective": r[2],
            "until": r[3],
            "fingerprint": r[4],
            "files": json.loads(r[5]),
            "records": r[6],
            "chunks": r[7],
            "built_at": r[8],
        }
        for r in conn.execute("SELECT * FROM releases ORDER BY source, release")
    ]
    conn.close()
    manifest = {
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "medref_version": __version__,
        "source_root": str(settings.source_root),
        "settings": key,
        "releases": releases,
        "steps": steps,
    }
    (work / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def _swap_current(settings: Settings, target: Path) -> None:
    """Point `current` at the new build with one rename: readers see old or new, never half."""
    link = settings.current
    tmp = link.with_name(f".current-{os.getpid()}")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(target.relative_to(settings.home), target_is_directory=True)
    os.replace(tmp, link)


def _prune(settings: Settings) -> None:
    """Keep the newest `keep_builds` builds, and delete the folders of builds whose process
    died without cleaning up (killed outright: no exception handler ran)."""
    current = settings.current.resolve()
    builds = sorted(p for p in settings.builds.iterdir() if p.is_dir())
    finished = [p for p in builds if not p.name.endswith(".tmp")]
    for old in finished[: max(0, len(finished) - settings.keep_builds)]:
        if old != current:
            shutil.rmtree(old, ignore_errors=True)
    for unfinished in builds:
        if unfinished.name.endswith(".tmp") and not _alive(_builder_pid(unfinished)):
            shutil.rmtree(unfinished, ignore_errors=True)


def _builder_pid(folder: Path) -> int:
    """The pid in a build folder's name (`<stamp>-<pid>.tmp`); 0 when it has none."""
    tail = folder.name.removesuffix(".tmp").rpartition("-")[2]
    return int(tail) if tail.isdigit() else 0


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
