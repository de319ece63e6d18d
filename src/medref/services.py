"""The service functions behind the REST API, the web app and the MCP tools.

Each skin parses its own transport (query strings, JSON bodies, tool arguments) and calls
one function here; each function calls the feature packages (retrieval, answer, codes,
claims, em, vault) and returns JSON-ready values. Nothing here decides a search, an answer,
a code card or a claim verdict: those live in their packages.

`Resources` holds what is expensive to load (the knowledge base, the searcher, the claim
edit tables, the vault), loaded once per process on first use, from any thread.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

from medref import __version__
from medref.answer import ask as answer_question
from medref.answer import stream as answer_stream
from medref.answer.types import AnswerPart
from medref.claims import Claim, Tally, check_claims, edit_tables, summarize
from medref.claims.model import Setting
from medref.claims.read import read_csv, read_json
from medref.claims.tables import (
    AddOn,
    CodeDates,
    EditTables,
    IcdCodes,
    Lookup,
    MemoryLoaders,
    MueLimit,
    PfsIndicators,
    PlaceOfService,
    PtpIndex,
)
from medref.codes.descriptors import load_descriptors
from medref.codes.diff import diff
from medref.codes.explain import explain
from medref.em import mdm_level
from medref.errors import InputError, InputTooLargeError, MedrefError, NotFoundError
from medref.kb import KnowledgeBase, ReleaseInfo
from medref.records import Record
from medref.retrieval.search import Hit, Searcher
from medref.settings import Settings
from medref.vault import VaultPage, backlinks, load_vault

T = TypeVar("T")

log = logging.getLogger(__name__)

MAX_CLAIM_LINES = 50_000
"""Claim lines one API or tool call may check; larger files go through `medref check`."""
PATIENT_FAMILIES = frozenset({"office", "home"})
"""E/M families split by patient type: family `office` + patient `new` -> `office-new`."""


class Lazy(Generic[T]):
    """A value built on first use, once, even when several threads ask at the same time."""

    def __init__(self, load: Callable[[], T]) -> None:
        self._load = load
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._load()
                value = self._value
        return value


class SharedLoaders:
    """The claim tables' `Loaders`, memoised for the process: every check builds its own
    `EditTables` (so its summary names only the releases it read) over tables read once."""

    def __init__(self, kb: KnowledgeBase) -> None:
        # a connection of its own (loads run one at a time, under the lock, from any thread)
        self._read = MemoryLoaders(KnowledgeBase(kb.path).conn)
        self._cache: dict[tuple[str, ...], object] = {}
        self._lock = threading.Lock()

    def _once(self, key: tuple[str, ...], load: Callable[[], T]) -> T:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = load()
            found: T = self._cache[key]  # type: ignore[assignment]  # stored by this key's load
            return found

    def ptp(self, setting: Setting, info: ReleaseInfo) -> PtpIndex:
        return self._once(("ptp", setting, info.release), lambda: self._read.ptp(setting, info))

    def mue(self, info: ReleaseInfo) -> Lookup[str, MueLimit]:
        return self._once(("mue", info.source, info.release), lambda: self._read.mue(info))

    def aoc(self, info: ReleaseInfo) -> Lookup[str, AddOn]:
        return self._once(("aoc", info.source, info.release), lambda: self._read.aoc(info))

    def pfs(self, info: ReleaseInfo) -> Lookup[str, PfsIndicators]:
        return self._once(("pfs", info.source, info.release), lambda: self._read.pfs(info))

    def code_dates(self, info: ReleaseInfo) -> Lookup[str, CodeDates]:
        key = ("dates", info.source, info.release)
        return self._once(key, lambda: self._read.code_dates(info))

    def icd(self, info: ReleaseInfo) -> IcdCodes:
        return self._once(("icd", info.source, info.release), lambda: self._read.icd(info))

    def pos(self, info: ReleaseInfo) -> Lookup[str, PlaceOfService]:
        return self._once(("pos", info.source, info.release), lambda: self._read.pos(info))


@dataclass(frozen=True, slots=True)
class Vault:
    pages: dict[str, VaultPage]
    backlinks: dict[str, list[str]]


class Generation:
    """One build's loaded state: its knowledge base, searcher and claim table loaders."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._searcher = Lazy(lambda: Searcher(kb))
        self._loaders = Lazy(lambda: SharedLoaders(kb))

    @property
    def searcher(self) -> Searcher:
        return self._searcher.get()

    @property
    def loaders(self) -> SharedLoaders:
        return self._loaders.get()

    def warm(self, settings: Settings) -> None:
        """Load the indexes and every claim table now, so no request pays for them."""
        answer_question(self.kb, self.searcher, "What is modifier 25?", settings, False, 1)
        tables = edit_tables(self.kb, self.loaders)
        for table in tables.all():
            for info in table.releases:
                table.release(info)


class Resources:
    """What every request shares, loaded lazily and once per build: pass one per process.

    It follows the `current` link: after a build swaps a new knowledge base in, the next
    look (on a request or by `watch`, at most every `settings.follow_seconds`; or
    `follow(now=True)` on SIGHUP) moves to it. With `background` (a server), the new build is loaded and warmed first
    while the old one goes on serving; the old one is let go when the last request using
    it ends, and a later build may then delete it. A request sees one build from start to
    end: skins call `pinned()` once per request or tool call."""

    def __init__(self, settings: Settings, *, background: bool = False) -> None:
        self.settings = settings
        self.background = background
        self._generation: Generation | None = None
        self._pinned: Generation | None = None
        self._lock = threading.Lock()
        self._looked_at = 0.0
        self._loading: Path | None = None
        self._failed: Path | None = None
        """A build that did not load: not tried again until `current` moves or on SIGHUP."""
        self._vault = Lazy(self._load_vault)
        self._descriptors = Lazy(self._load_descriptors)
        self.max_claim_lines = MAX_CLAIM_LINES
        self.warmed = threading.Event()
        """Set once `warm` has loaded everything."""

    @property
    def generation(self) -> Generation:
        if self._pinned is not None:
            return self._pinned
        found = self._generation
        if found is None:
            with self._lock:
                if self._generation is None:
                    self._generation = Generation(KnowledgeBase.open(self.settings))
                found = self._generation
        return found

    @property
    def kb(self) -> KnowledgeBase:
        return self.generation.kb

    @property
    def searcher(self) -> Searcher:
        return self.generation.searcher

    def claim_tables(self) -> EditTables:
        """Fresh per check (cheap), over tables read once per build."""
        generation = self.generation
        return edit_tables(generation.kb, generation.loaders)

    @property
    def vault(self) -> Vault:
        return self._vault.get()

    @property
    def descriptors(self) -> Mapping[str, str] | None:
        return self._descriptors.get() or None

    def pinned(self) -> Resources:
        """This process's resources bound to the build in use now, for one request."""
        self.follow()
        view = copy.copy(self)
        view._pinned = self.generation
        return view

    def follow(self, *, now: bool = False) -> None:
        """Move to the build `current` points at, when it is another than the one loaded."""
        clock = time.monotonic()
        loaded = self._generation
        if self._pinned is not None or loaded is None:
            return
        every = self.settings.follow_seconds
        if not now and (every <= 0 or clock - self._looked_at < every):
            return
        self._looked_at = clock
        target = self.settings.current.resolve()
        if target == loaded.kb.path or not (target / "manifest.json").exists():
            return
        with self._lock:
            if self._loading is not None or (target == self._failed and not now):
                return
            self._loading = target
        if self.background:
            threading.Thread(
                target=self._move_to, args=(target,), name="medref-follow", daemon=True
            ).start()
        else:
            self._move_to(target)

    def watch(self, stop: threading.Event) -> None:
        """Follow `current` until `stop` is set (a server's thread), so that an idle server
        moves to a new build too and lets the old one go."""
        every = self.settings.follow_seconds
        while every > 0 and not stop.wait(every):
            self.follow()

    def _move_to(self, target: Path) -> None:
        try:
            generation = Generation(KnowledgeBase(target))
            if self.background:
                generation.warm(self.settings)
        except (MedrefError, OSError, sqlite3.Error) as exc:
            log.warning("build %s not loaded; still serving the previous one: %s", target, exc)
            with self._lock:
                self._failed, self._loading = target, None
            return
        with self._lock:
            self._generation, self._loading, self._failed = generation, None, None

    def warm(self) -> None:
        """Load everything now (at server start) so no request pays for it."""
        self.generation.warm(self.settings)
        _ = self.vault
        self.warmed.set()

    def _load_vault(self) -> Vault:
        pages = load_vault(self.settings.vault)
        return Vault({page.slug: page for page in pages}, backlinks(pages))

    def _load_descriptors(self) -> dict[str, str]:
        path = self.settings.cpt_descriptors
        return load_descriptors(path) if path is not None else {}


# -- limits -------------------------------------------------------------------------------


def limit_text(text: str, limit: int, what: str) -> str:
    """`text` stripped, refused when empty or longer than `limit` characters."""
    text = text.strip()
    if not text:
        raise InputError(f"the {what} is empty")
    if len(text) > limit:
        raise InputTooLargeError(
            f"the {what} is {len(text):,} characters; the limit is {limit:,} "
            "(MEDREF_MAX_QUERY_CHARS)"
        )
    return text


# -- knowledge base ------------------------------------------------------------------------


def health(res: Resources) -> dict[str, Any]:
    """Reads the database in use, and names its build and age (never a path) and the
    worker process that answered (`medref serve --workers N`)."""
    kb = res.kb
    releases = kb.probe()
    built_at = kb.manifest.get("built_at")
    age = datetime.now(UTC) - datetime.fromisoformat(built_at) if built_at else None
    return {
        "status": "ok",
        "version": __version__,
        "build": kb.build_id,
        "built_at": built_at,
        "age_seconds": int(age.total_seconds()) if age is not None else None,
        "releases": releases,
        "warmed": res.warmed.is_set(),
        "worker": os.getpid(),
    }


def sources(res: Resources) -> list[dict[str, Any]]:
    return [
        {
            "source": info.source,
            "release": info.release,
            "records": info.records,
            "chunks": info.chunks,
            "effective": _iso(info.effective),
            "until": _iso(info.until),
            "built_at": info.built_at,
        }
        for info in res.kb.releases()
    ]


def record(
    res: Resources, ref: str, release: str | None = None, on: date | None = None
) -> dict[str, Any]:
    """One citable record with its full text (what a citation's quote is taken from)."""
    _check_release(res.kb, release, None)
    found = res.kb.get(ref.strip(), release=release, on=on)
    if found is None:
        raise NotFoundError(
            f"no record {ref!r} in the knowledge base"
            + (f" (release {release})" if release else "")
        )
    return record_dict(found)


def record_dict(found: Record) -> dict[str, Any]:
    return {
        "ref": found.ref,
        "source": found.source,
        "release": found.release,
        "kind": found.kind,
        "title": found.title,
        "text": found.text,
        "code": found.code,
        "effective": _iso(found.effective),
        "terminated": _iso(found.terminated),
        "parent": found.parent,
        "data": found.data,
    }


def vault_page(res: Resources, slug: str) -> dict[str, Any]:
    vault = res.vault
    page = vault.pages.get(slug)
    if page is None:
        raise NotFoundError(f"no vault page {slug!r}; the index page is 'index'")
    backlinked = vault.backlinks.get(slug, [])
    return {
        "slug": page.slug,
        "title": page.title,
        "description": page.description,
        "aliases": page.aliases,
        "body": page.body,
        "links": page.links,
        "backlinks": backlinked,
        "titles": {
            other: vault.pages[other].title
            for other in (*page.links, *backlinked)
            if other in vault.pages
        },
    }


# -- search --------------------------------------------------------------------------------


def search(
    res: Resources,
    query: str,
    k: int = 10,
    source_names: Sequence[str] | None = None,
    release: str | None = None,
    date_of_service: date | None = None,
    *,
    with_text: bool = False,
) -> list[dict[str, Any]]:
    query = limit_text(query, res.settings.max_query_chars, "query")
    _check_sources(res.kb, source_names)
    _check_release(res.kb, release, source_names)
    hits = res.searcher.search(
        query, k=k, sources=source_names or None, release=release, date_of_service=date_of_service
    )
    return [hit_dict(hit, with_text) for hit in hits]


def hit_dict(hit: Hit, with_text: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {
        "ref": hit.ref,
        "source": hit.source,
        "release": hit.release,
        "title": hit.title,
        "snippet": hit.snippet,
        "score": round(hit.score, 6),
        "via": hit.via,
    }
    if with_text:
        found["text"] = hit.text
    return found


def _check_sources(kb: KnowledgeBase, names: Sequence[str] | None) -> None:
    loaded = sorted({info.source for info in kb.releases()})
    unknown = [name for name in names or () if name not in loaded]
    if unknown:
        raise InputError(f"unknown source {', '.join(unknown)}; loaded: {', '.join(loaded)}")


def _check_release(kb: KnowledgeBase, release: str | None, names: Sequence[str] | None) -> None:
    """A release no loaded source (of `names`, when given) has is a mistake, not an empty
    result."""
    if release is None:
        return
    loaded = sorted({info.release for info in kb.releases() if not names or info.source in names})
    if release not in loaded:
        of = f" of {', '.join(names)}" if names else ""
        raise InputError(f"unknown release {release!r}{of}; loaded: {', '.join(loaded)}")


def ask(res: Resources, question: str, k: int = 10, use_llm: bool | None = None) -> dict[str, Any]:
    """The answer with citations quoting the sources exactly, or the fixed refusal."""
    question = limit_text(question, res.settings.max_query_chars, "question")
    found = answer_question(res.kb, res.searcher, question, res.settings, use_llm, k)
    return found.to_dict()


def ask_events(
    res: Resources, question: str, k: int = 10, use_llm: bool | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The answer as (event, data) pairs as it is produced: `text` pieces, `dropped`
    sentences, `notice`s, then `done` with the whole answer. The question is checked now,
    before the caller starts a response."""
    question = limit_text(question, res.settings.max_query_chars, "question")
    return _events(answer_stream(res.kb, res.searcher, question, res.settings, use_llm, k))


def _events(parts: Iterator[AnswerPart]) -> Iterator[tuple[str, dict[str, Any]]]:
    for part in parts:
        if part.answer is not None:
            yield "done", part.answer.to_dict()
        else:
            yield part.kind, {"text": part.text}


# -- codes and E/M -------------------------------------------------------------------------


def code_card(res: Resources, code: str, on: date | None = None) -> dict[str, Any]:
    code = limit_text(code, 64, "code")
    card: dict[str, Any] = explain(res.kb, code, on, descriptors=res.descriptors).to_dict()
    return card


def code_diff(res: Resources, source: str, release_a: str, release_b: str) -> dict[str, Any]:
    found: dict[str, Any] = diff(res.kb, source, release_a, release_b).to_dict()
    return found


def em_level(
    patient: str | None = None,
    problems: str | None = None,
    data: str | None = None,
    risk: str | None = None,
    minutes: int | None = None,
    year: int = 2025,
    family: str | None = None,
    medicare: bool = True,
    minimal: bool = False,
) -> dict[str, Any]:
    """The E/M code of a visit; `family` defaults to office, split by `patient`."""
    result = mdm_level(
        em_family(family or "office", patient),
        problems=problems,
        data=data,
        risk=risk,
        minutes=minutes,
        year=year,
        medicare=medicare,
        minimal=minimal,
    )
    return result.to_dict()


def em_family(family: str, patient: str | None) -> str:
    if family in PATIENT_FAMILIES:
        if patient is None:
            raise InputError(f"the {family} family needs patient new or established")
        return f"{family}-{patient}"
    return family


# -- claims --------------------------------------------------------------------------------


def check_csv(
    res: Resources,
    upload: IO[bytes],
    setting: Setting = "practitioner",
    only_problems: bool = False,
    name: str = "claims.csv",
) -> dict[str, Any]:
    """Findings and summary of a CSV claim file (the docs/claims.md columns)."""
    text = io.TextIOWrapper(upload, encoding="utf-8-sig", newline="")
    try:
        return check(res, read_csv(text, setting=setting, name=name), only_problems)
    except UnicodeDecodeError as exc:
        raise InputError(f"{name} is not UTF-8 text ({exc.reason}); save it as UTF-8 CSV") from None
    finally:
        text.detach()


def check_json(
    res: Resources, document: str, setting: Setting = "practitioner", only_problems: bool = False
) -> dict[str, Any]:
    """Findings and summary of a JSON list of claims (docs/claims.md)."""
    return check(
        res, read_json(io.StringIO(document), setting=setting, name="request body"), only_problems
    )


def check_claim_list(
    res: Resources,
    claims: list[Any],
    setting: Setting = "practitioner",
    only_problems: bool = False,
) -> dict[str, Any]:
    """The same for claims already parsed from JSON (the MCP tool's argument)."""
    return check_json(res, json.dumps(claims), setting, only_problems)


def check(res: Resources, claims: Iterable[Claim], only_problems: bool = False) -> dict[str, Any]:
    tables = res.claim_tables()
    tally = Tally()
    findings = [
        finding.as_dict()
        for finding in check_claims(
            capped(claims, res.max_claim_lines), tables, passes=not only_problems, tally=tally
        )
    ]
    return {"findings": findings, "summary": summarize(tables, tally).as_dict()}


def capped(claims: Iterable[Claim], limit: int) -> Iterator[Claim]:
    lines = 0
    for claim in claims:
        lines += max(1, len(claim.lines))
        if lines > limit:
            raise InputTooLargeError(
                f"over {limit:,} claim lines in one request; split the file, or check it "
                "with `medref check`, which streams any size"
            )
        yield claim


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
