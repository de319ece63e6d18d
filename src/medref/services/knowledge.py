"""The knowledge base itself: build it, say what it holds, show one record or vault page."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any

from medref import __version__
from medref.errors import NotFoundError
from medref.kb.build import BuildReport, BuildStep
from medref.kb.build import build as build_releases
from medref.records import Record
from medref.services.resources import Resources, check_release
from medref.settings import Settings


def build_steps() -> list[BuildStep]:
    """The indexes every build makes after writing its records: search, then code mentions."""
    from medref.lookup.mentions import STEP as MENTIONS
    from medref.retrieval.index import STEP as SEARCH_INDEX

    return [SEARCH_INDEX, MENTIONS]


def build(
    settings: Settings,
    *,
    only: Iterable[str] | None = None,
    progress: bool = True,
    force: bool = False,
    accept_changes: bool = False,
    log: Callable[[str], None] = print,
) -> BuildReport:
    """Build the knowledge base from the sources and index it (see medref.kb.build)."""
    return build_releases(
        settings,
        steps=build_steps(),
        only=only,
        progress=progress,
        force=force,
        accept_changes=accept_changes,
        log=log,
    )


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
            "effective": iso(info.effective),
            "until": iso(info.until),
            "built_at": info.built_at,
        }
        for info in res.kb.releases()
    ]


def record(
    res: Resources, ref: str, release: str | None = None, on: date | None = None
) -> dict[str, Any]:
    """One citable record with its full text (what a citation's quote is taken from)."""
    check_release(res.kb, release, None)
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
        "effective": iso(found.effective),
        "terminated": iso(found.terminated),
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


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
