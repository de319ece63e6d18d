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


__all__ = ["DownloadSpec", "Release", "Source", "all_sources", "get_source"]
