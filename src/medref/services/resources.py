"""What requests share, loaded lazily and once per process (once per build: a server moves to
a new build without a restart): the knowledge base, the searcher, the claim edit tables, the
vault and the licensed CPT descriptors. Feature packages are
imported when first used, so `medref code` never loads the searcher's numeric libraries."""

from __future__ import annotations

import copy
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from medref.errors import InputError, InputTooLargeError, MedrefError
from medref.kb import KnowledgeBase
from medref.settings import Settings
from medref.vault import VaultPage, backlinks, load_vault

if TYPE_CHECKING:
    from medref.claims.tables import EditTables
    from medref.pricing import PricingTables
    from medref.retrieval.search import Searcher
    from medref.services.claims import SharedLoaders

T = TypeVar("T")

log = logging.getLogger(__name__)

MAX_CLAIM_LINES = 50_000
"""Claim lines one API or tool call may check; larger files go through `medref check`."""


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


@dataclass(frozen=True, slots=True)
class Vault:
    pages: dict[str, VaultPage]
    backlinks: dict[str, list[str]]


class Generation:
    """One build's loaded state: its knowledge base, searcher and claim table loaders."""

    def __init__(self, kb: KnowledgeBase, settings: Settings) -> None:
        self.kb = kb
        self._searcher = Lazy(lambda: _load_searcher(kb, settings))
        self._loaders = Lazy(lambda: _load_loaders(kb))
        self._pricing = Lazy(lambda: _load_pricing(kb))

    @property
    def searcher(self) -> Searcher:
        return self._searcher.get()

    @property
    def loaders(self) -> SharedLoaders:
        return self._loaders.get()

    @property
    def pricing(self) -> PricingTables:
        return self._pricing.get()

    def warm(self, settings: Settings) -> None:
        """Load the indexes and every claim table now, so no request pays for them."""
        from medref.answer import ask
        from medref.claims import edit_tables

        ask(self.kb, self.searcher, "What is modifier 25?", settings, False, 1)
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
                    self._generation = Generation(KnowledgeBase.open(self.settings), self.settings)
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
        from medref.claims import edit_tables

        generation = self.generation
        return edit_tables(generation.kb, generation.loaders)

    @property
    def pricing(self) -> PricingTables:
        """PFS rows and GPCIs as exact decimals, read once per build and release."""
        return self.generation.pricing

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
            generation = Generation(KnowledgeBase(target), self.settings)
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
        from medref.codes.descriptors import load_descriptors

        path = self.settings.cpt_descriptors
        return load_descriptors(path) if path is not None else {}


def _load_searcher(kb: KnowledgeBase, settings: Settings) -> Searcher:
    from medref.retrieval.search import Searcher

    return Searcher(kb, dense=settings.embeddings)


def _load_loaders(kb: KnowledgeBase) -> SharedLoaders:
    from medref.services.claims import SharedLoaders

    return SharedLoaders(kb)


def _load_pricing(kb: KnowledgeBase) -> PricingTables:
    from medref.pricing import PricingTables

    return PricingTables(kb)


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


def check_release(kb: KnowledgeBase, release: str | None, sources: Sequence[str] | None) -> None:
    """A release no loaded source (of `sources`, when given) has is a mistake, not an empty
    result: an `InputError` listing the loaded ones."""
    if release is None:
        return
    loaded = sorted(
        {info.release for info in kb.releases() if not sources or info.source in sources}
    )
    if release not in loaded:
        of = f" of {', '.join(sources)}" if sources else ""
        raise InputError(f"unknown release {release!r}{of}; loaded: {', '.join(loaded)}")
