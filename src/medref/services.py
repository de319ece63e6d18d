"""The service functions behind the REST API, the web app and the MCP tools.

Each skin parses its own transport (query strings, JSON bodies, tool arguments) and calls
one function here; each function calls the feature packages (retrieval, answer, codes,
claims, em, vault) and returns JSON-ready values. Nothing here decides a search, an answer,
a code card or a claim verdict: those live in their packages.

`Resources` holds what is expensive to load (the knowledge base, the searcher, the claim
edit tables, the vault), loaded once per process on first use, from any thread.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
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
from medref.em import mdm_level
from medref.errors import InputError, InputTooLargeError, NotFoundError
from medref.kb import KnowledgeBase, ReleaseInfo
from medref.lookup.diff import diff
from medref.lookup.explain import explain
from medref.records import Record
from medref.retrieval.search import Hit, Searcher
from medref.settings import Settings
from medref.vault import VaultPage, backlinks, load_vault

T = TypeVar("T")

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

    def labs(self, info: ReleaseInfo) -> frozenset[str]:
        return self._once(("labs", info.source, info.release), lambda: self._read.labs(info))


@dataclass(frozen=True, slots=True)
class Vault:
    pages: dict[str, VaultPage]
    backlinks: dict[str, list[str]]


class Resources:
    """What every request shares, loaded lazily and once: pass one per process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._kb = Lazy(lambda: KnowledgeBase.open(settings))
        self._searcher = Lazy(lambda: Searcher(self.kb))
        self._loaders = Lazy(lambda: SharedLoaders(self.kb))
        self._vault = Lazy(self._load_vault)
        self._descriptors = Lazy(self._load_descriptors)
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
        return edit_tables(self.kb, self._loaders.get())

    @property
    def vault(self) -> Vault:
        return self._vault.get()

    @property
    def descriptors(self) -> Mapping[str, str] | None:
        return self._descriptors.get() or None

    def warm(self) -> None:
        """Load everything now (at server start) so no request pays for it."""
        answer_question(self.kb, self.searcher, "What is modifier 25?", self.settings, False, 1)
        tables = self.claim_tables()
        for table in tables.all():
            for info in table.releases:
                table.release(info)
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
    kb = res.kb
    return {
        "status": "ok",
        "version": __version__,
        "knowledge_base": str(kb.path),
        "built_at": kb.manifest.get("built_at"),
        "warmed": res.warmed.is_set(),
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
