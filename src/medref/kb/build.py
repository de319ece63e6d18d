"""Build the knowledge base: parse every source release into a new SQLite database beside
the current one, index it, then swap the `current` link in one atomic step.

A failed or interrupted build deletes its own folder and leaves `current` untouched; one
killed outright leaves a `.tmp` folder that the next build deletes. One build runs at a time
per home (a lock), the new database is journaled and synced to disk before the swap, and a
build still open in a reader (a running server) is not deleted.
Releases whose input fingerprint is unchanged are copied from the previous build instead of
parsed again; when nothing changed at all, nothing is done. Against the build in force, a
release or source that vanished, or a release that lost more than a set share of its
records, stops the build unless the user accepts the changes.
"""

from __future__ import annotations

import json
import os
import re
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
from medref.errors import SourceChangeError, SourceError, SourceFormatError
from medref.kb import schema
from medref.kb.chunking import chunk_record
from medref.kb.locks import create_readers_lock, exclusive_build, unused
from medref.records import PtpEdit, Record
from medref.settings import Settings
from medref.sources import ONE_EDITION, Release, Source, all_sources
from medref.sources.base import Source as SourceProtocol
from medref.sources.manifest import verify_manifests
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
    sources = all_sources()
    wanted = set(only) if only else None
    unknown = sorted((wanted or set()) - {source.name for source in sources})
    if unknown:
        raise SourceError(
            f"unknown source {', '.join(unknown)}; the sources are: "
            f"{', '.join(source.name for source in sources)}"
        )
    planned: list[PlannedRelease] = []
    for source in sources:
        if wanted is not None and source.name not in wanted:
            continue
        root = source_root(source, settings)
        try:
            for release in source.discover(root):
                verify_manifests(release.files, root)
                fingerprint = release.fingerprint(source.parser_version)
                planned.append(PlannedRelease(source, release, fingerprint))
        except OSError as exc:
            raise _unreadable(exc, root / source.folder) from None
    if not planned and wanted is None:
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
        "embed_diagnoses": settings.embeddings and settings.embed_diagnoses,
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


def _old_releases(manifest: dict[str, Any] | None) -> dict[tuple[str, str], dict[str, Any]]:
    if manifest is None:
        return {}
    return {(entry["source"], entry["release"]): entry for entry in manifest.get("releases", [])}


def build(
    settings: Settings,
    *,
    steps: Sequence[BuildStep],
    only: Iterable[str] | None = None,
    progress: bool = True,
    force: bool = False,
    accept_changes: bool = False,
    log: Callable[[str], None] = print,
) -> BuildReport:
    """Build (or update) the knowledge base of `settings.home`, one build at a time.

    `only` parses just those sources and keeps every other release of the build in force.
    A source or release that vanished, or a release whose record count fell by more than
    `settings.max_record_drop`, stops the build unless `accept_changes`."""
    started = time.perf_counter()
    settings.builds.mkdir(parents=True, exist_ok=True)
    with exclusive_build(settings.home):
        _remove_leftovers(settings)
        report = _build(settings, steps, only, progress, force, accept_changes, log)
        _prune(settings)
    report.seconds = time.perf_counter() - started
    return report


def _build(
    settings: Settings,
    steps: Sequence[BuildStep],
    only: Iterable[str] | None,
    progress: bool,
    force: bool,
    accept_changes: bool,
    log: Callable[[str], None],
) -> BuildReport:
    previous, manifest = _current_manifest(settings)
    if manifest is not None and manifest.get("settings", {}).get("schema") != schema.SCHEMA_VERSION:
        if only:
            log("the build in force has another schema version: every source is parsed again")
        previous, manifest, only = None, None, None
    planned = plan(settings, only)
    old = _old_releases(manifest)
    selected = {item.source.name for item in planned} | set(only or ())
    # releases of sources the user did not select are copied as they are
    kept = {key for key in old if only and key[0] not in selected}
    new = {(p.source.name, p.release.release): p.fingerprint for p in planned}
    new.update({key: old[key]["fingerprint"] for key in kept})
    guard = ChangeGuard(old, settings.max_record_drop, accept_changes, log)
    guard.check_vanished(set(new), {source.name for source in all_sources()})
    key = build_settings_key(settings, steps)
    if not force and manifest is not None and previous is not None:
        old_fingerprints = {k: entry["fingerprint"] for k, entry in old.items()}
        if manifest.get("settings") == key and new == old_fingerprints:
            return BuildReport(previous, False, 0.0)
    reusable = {k for k, v in new.items() if k in old and old[k]["fingerprint"] == v}
    reusable = (reusable if not force else kept) if previous is not None else set()

    final = new_build_folder(settings.builds)
    work = final.with_name(final.name + ".tmp")
    work.mkdir()
    create_readers_lock(work)
    report = BuildReport(final, True, 0.0)
    try:
        conn = sqlite3.connect(f"file:{work / 'kb.sqlite'}", uri=True)
        _journaled(conn, "main")
        schema.create(conn)
        if reusable and previous is not None:
            _copy_releases(conn, previous / "kb.sqlite", reusable, log)
            report.reused = sorted(f"{s}@{r}" for s, r in reusable)
        ptp_keys = {k for k in new if k[0] in PTP_SETTINGS}
        same_ptp = ptp_keys <= reusable and ptp_keys == {k for k in old if k[0] in PTP_SETTINGS}
        ptp_reused = _prepare_ptp(conn, work, previous, ptp_keys, reusable, same_ptp, log)
        rationales = _rationale_ids(conn)
        for item in planned:
            key_pair = (item.source.name, item.release.release)
            if key_pair in reusable:
                continue
            counts = _write_release(conn, item, rationales, progress)
            guard.check_count(item, counts["records"])
            report.parsed.append(f"{item.source.name}@{item.release.release}")
            log(
                f"{item.source.name} {item.release.release}: {counts['records']:,} records, "
                f"{counts['chunks']:,} chunks"
            )
        conn.commit()
        schema.create_indexes(conn)
        if ptp_keys and not ptp_reused:
            conn.executescript(schema.PTP_INDEXES.replace("INDEX ", "INDEX edits."))
        conn.commit()
        step_reports = {
            step.name: step.run(conn, work, previous, settings, progress) for step in steps
        }
        conn.commit()
        report.counts = _counts(conn)
        conn.execute("ANALYZE main")
        conn.commit()
        conn.close()
        _write_manifest(work, settings, key, step_reports)
        _sync_tree(work)
        work.rename(final)
        _sync_dir(settings.builds)
        _swap_current(settings, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return report


class ChangeGuard:
    """Compares a build with the build in force: a source or release that vanished, or a
    release whose record count fell by more than `max_drop`, stops the build (before the
    swap) unless the user accepted the changes, in which case they are only logged."""

    def __init__(
        self,
        old: dict[tuple[str, str], dict[str, Any]],
        max_drop: float,
        accept: bool,
        log: Callable[[str], None],
    ) -> None:
        self.old = old
        self.max_drop = max_drop
        self.accept = accept
        self.log = log

    def check_vanished(self, new: set[tuple[str, str]], known_sources: set[str]) -> None:
        """Releases in force that this build would drop (sources no longer in the code are
        dropped without asking: no file of theirs could be read anyway; a new edition of a
        one-edition source replaces the old one, see `ONE_EDITION`)."""
        sources_left = {source for source, _ in new}
        gone = []
        for key in sorted(self.old):
            if key in new or key[0] not in known_sources:
                continue
            if key[0] in ONE_EDITION and key[0] in sources_left:
                self.log(f"{key[0]} {key[1]} is replaced by a new edition")
            else:
                gone.append(key)
        if not gone:
            return
        lines = []
        for source, release in gone:
            entry = self.old[(source, release)]
            where = _folder_of(entry.get("files", []))
            what = "source" if source not in sources_left else "release"
            lines.append(
                f"{what} {source} {release} ({entry.get('records', 0):,} records in force) "
                f"has no files under {where}"
            )
        self._stop(lines, "restore the files, or pass --accept-changes to drop them")

    def check_count(self, item: PlannedRelease, records: int) -> None:
        """A release holding no records is never right; one that fell by more than the set
        share against the same release (or, for a new release, the newest one in force of
        its source) stops the build unless accepted."""
        files = item.release.files
        if records == 0:
            raise SourceFormatError(
                files[0] if files else item.source.name,
                f"{item.source.name} {item.release.release} holds no records",
            )
        baseline = self._baseline(item.source.name, item.release.release)
        if baseline is None:
            return
        release, before = baseline
        if records >= before * (1 - self.max_drop):
            return
        names = ", ".join(str(path) for path in files)
        self._stop(
            [
                f"{item.source.name} {item.release.release} ({names}) has {records:,} records; "
                f"release {release} in force has {before:,} (a fall of "
                f"{1 - records / before:.0%}, over the {self.max_drop:.0%} allowed by "
                "MEDREF_MAX_RECORD_DROP)"
            ],
            "check the files are the complete official release (download them again), or "
            "pass --accept-changes if the fall is real",
        )

    def _baseline(self, source: str, release: str) -> tuple[str, int] | None:
        same = self.old.get((source, release))
        if same is not None:
            return release, int(same.get("records", 0))
        entries = [entry for (name, _), entry in self.old.items() if name == source]
        if not entries:
            return None
        newest = max(entries, key=lambda e: (e.get("effective") or "", e["release"]))
        return newest["release"], int(newest.get("records", 0))

    def _stop(self, lines: list[str], what_to_do: str) -> None:
        if self.accept:
            for line in lines:
                self.log(f"accepted: {line}")
            return
        raise SourceChangeError(
            "the build would change the knowledge base in force: "
            + "; ".join(lines)
            + f". Nothing was changed. What to do: {what_to_do}."
        )


def _folder_of(files: list[str]) -> str:
    folders = sorted({str(Path(name).parent) for name in files})
    return ", ".join(folders) if folders else "the sources folder"


def new_build_folder(builds: Path) -> Path:
    """A build folder's name: the time and the process, then a number when one process
    builds twice within a second (a rebuild right after a build). Names sort in time order."""
    name = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
    final, number = builds / name, 0
    while final.exists() or final.with_name(final.name + ".tmp").exists():
        number += 1
        final = builds / f"{name}-{number}"
    return final


def _journaled(conn: sqlite3.Connection, schema_name: str) -> None:
    """A rollback journal and full syncs on commit: what is committed is on disk."""
    conn.execute(f"PRAGMA {schema_name}.journal_mode = DELETE")
    conn.execute(f"PRAGMA {schema_name}.synchronous = FULL")


def _sync_tree(folder: Path) -> None:
    """fsync every file and folder of a finished build, so that the swap never points at
    data still in the page cache (a power cut after the swap finds a whole build)."""
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        elif path.is_dir():
            _sync_dir(path)
    _sync_dir(folder)


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _rows(item: PlannedRelease) -> Iterator[Record | PtpEdit]:
    """The release's rows; whatever goes wrong reading it is a `SourceError` naming its
    files (the parsers name the line where they can), never a traceback."""
    files = ", ".join(str(path) for path in item.release.files) or item.source.name
    try:
        for row in item.source.parse(item.release):
            if isinstance(row, Record):
                _check_text(item, row)
            yield row
    except SourceError:
        raise
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{files}: not readable as text ({exc.reason} at byte {exc.start}). What to do: "
            "check the file is the official release and was not re-encoded, then download it "
            "again."
        ) from exc
    except OSError as exc:
        raise _unreadable(exc, item.release.files[0] if item.release.files else None) from exc
    except Exception as exc:  # a parser that met input it does not know: name the files
        raise SourceError(
            f"{files}: {item.source.name} {item.release.release} could not be read "
            f"({type(exc).__name__}: {exc}). What to do: check the files are the complete "
            "official release, download them again; if they are, report this message."
        ) from exc


UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
"""Control characters and the replacement character: garbage bytes or a wrong decoding,
never the text of an official source (none holds one)."""


def _check_text(item: PlannedRelease, record: Record) -> None:
    for field_name, value in (("title", record.title), ("text", record.text)):
        found = UNPRINTABLE.search(value)
        if found is not None:
            raise SourceFormatError(
                ", ".join(str(path) for path in item.release.files) or item.source.name,
                f"{record.ref}: its {field_name} holds U+{ord(found.group()):04X} at "
                f"character {found.start() + 1}, a control or replacement character: the "
                "file holds garbage bytes or was decoded with the wrong encoding",
            )


def _unreadable(exc: OSError, fallback: Path | None) -> SourceError:
    where = exc.filename or fallback or "a source file"
    return SourceFormatError(
        where,
        f"cannot be read ({exc.strerror or exc})",
        hint="check the file's permissions and the disk, or download it again",
    )


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
    keys: set[tuple[str, str]],
    reusable: set[tuple[str, str]],
    same: bool,
    log: Callable[[str], None],
) -> bool:
    """Attach the build's `ptp.sqlite` as `edits`. When the PTP releases are the same as
    the previous build's and unchanged (`same`), the previous file is hard-linked
    (read-only from here on) and True is returned; otherwise a new file gets the unchanged
    releases copied and the changed ones are parsed into it."""
    target = work / "ptp.sqlite"
    old = previous / "ptp.sqlite" if previous is not None else None
    if old is not None and old.exists() and keys and same:
        try:
            os.link(old, target)
        except OSError:
            shutil.copy2(old, target)
        conn.execute("ATTACH DATABASE ? AS edits", (f"file:{target}?mode=ro",))
        log("reused the PTP edit tables of the previous build")
        return True
    conn.execute("ATTACH DATABASE ? AS edits", (f"file:{target}",))
    _journaled(conn, "edits")
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
    _sync_dir(settings.home)


def _remove_leftovers(settings: Settings) -> None:
    """Delete what killed builds left: `.tmp` build folders and `.current-*` links. Run
    under the build lock, so no live build owns any of them."""
    for folder in settings.builds.iterdir():
        if folder.name.endswith(".tmp") and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
    for link in settings.home.glob(".current-*"):
        link.unlink(missing_ok=True)


def _prune(settings: Settings) -> None:
    """Keep the newest `keep_builds` builds and never the current one or one a reader still
    has open (a running server moves to the new build, then a later build deletes it)."""
    current = settings.current.resolve() if settings.current.exists() else None
    builds = sorted(p for p in settings.builds.iterdir() if p.is_dir() and p.suffix != ".tmp")
    for old in builds[: max(0, len(builds) - settings.keep_builds)]:
        if old == current:
            continue
        with unused(old) as free:
            if free:
                shutil.rmtree(old, ignore_errors=True)
