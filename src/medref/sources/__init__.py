"""The source registry: every CMS/CDC source medref reads, one module each."""

from __future__ import annotations

import importlib

from medref.sources.base import DownloadSpec, Release, Source

MODULES = (
    "hcpcs",
    "icd10cm",
    "ncci",
    "pfs",
    "pfs_gpci",
    "pfs_localities",
    "pos",
    "iom",
    "ncd",
    "statute",
    "modifiers",
    "vault",
)
ONE_EDITION = frozenset({"modifiers", "vault"})
"""Sources of medref's (or the user's) own writing that hold one edition at a time: a new
edition (medref-0.1.0 after medref-0.0.9, a vault folder edited on a later day) replaces the
old one by design, so a build drops the old edition without asking, as it would not drop a
CMS release whose files went missing."""


def all_sources() -> list[Source]:
    found: list[Source] = []
    for module_name in MODULES:
        module = importlib.import_module(f"medref.sources.{module_name}")
        found.extend(module.SOURCES)
    return found


def get_source(name: str) -> Source:
    for source in all_sources():
        if source.name == name:
            return source
    raise KeyError(name)


__all__ = ["ONE_EDITION", "DownloadSpec", "Release", "Source", "all_sources", "get_source"]
