"""What requests share, loaded lazily and once per process: the knowledge base, the searcher,
the claim edit tables, the vault and the licensed CPT descriptors. Feature packages are
imported when first used, so `medref code` never loads the searcher's numeric libraries."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from medref.errors import InputError, InputTooLargeError
from medref.kb import KnowledgeBase
from medref.settings import Settings
from medref.vault import VaultPage, backlinks, load_vault

if TYPE_CHECKING:
    from medref.claims.tables import EditTables
    from medref.pricing import PricingTables
    from medref.retrieval.search import Searcher
    from medref.services.claims import SharedLoaders

T = TypeVar("T")

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


class Resources:
    """What every request shares, loaded lazily and once: pass one per process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._kb = Lazy(lambda: KnowledgeBase.open(settings))
        self._searcher = Lazy(self._load_searcher)
        self._loaders = Lazy(self._load_loaders)
        self._vault = Lazy(self._load_vault)
        self._descriptors = Lazy(self._load_descriptors)
        self._pricing = Lazy(self._load_pricing)
        self.max_claim_lines = MAX_CLAIM_LINES
        self.warmed = threading.Event()
        """Set once `warm` has loaded everything."""

    @property
    def kb(self) -> KnowledgeBase:
        return self._kb.get()

    @property
    def searcher(self) -> Searcher:
        return self._searcher.get()

    def claim_tables(self) -> EditTables:
        """Fresh per check (cheap), over tables read once per process."""
        from medref.claims import edit_tables

        return edit_tables(self.kb, self._loaders.get())

    @property
    def pricing(self) -> PricingTables:
        """PFS rows and GPCIs as exact decimals, read once per release."""
        return self._pricing.get()

    @property
    def vault(self) -> Vault:
        return self._vault.get()

    @property
    def descriptors(self) -> Mapping[str, str] | None:
        return self._descriptors.get() or None

    def warm(self) -> None:
        """Load everything now (at server start) so no request pays for it."""
        from medref.answer import ask

        ask(self.kb, self.searcher, "What is modifier 25?", self.settings, False, 1)
        tables = self.claim_tables()
        for table in tables.all():
            for info in table.releases:
                table.release(info)
        _ = self.vault
        self.warmed.set()

    def _load_searcher(self) -> Searcher:
        from medref.retrieval.search import Searcher

        return Searcher(self.kb, dense=self.settings.embeddings)

    def _load_loaders(self) -> SharedLoaders:
        from medref.services.claims import SharedLoaders

        return SharedLoaders(self.kb)

    def _load_pricing(self) -> PricingTables:
        from medref.pricing import PricingTables

        return PricingTables(self.kb)

    def _load_vault(self) -> Vault:
        pages = load_vault(self.settings.vault)
        return Vault({page.slug: page for page in pages}, backlinks(pages))

    def _load_descriptors(self) -> dict[str, str]:
        from medref.codes.descriptors import load_descriptors

        path = self.settings.cpt_descriptors
        return load_descriptors(path) if path is not None else {}


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
