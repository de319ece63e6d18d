"""The Level I (CPT) modifiers as records `MOD:25`, `MOD:59`, ... in medref's own words.

The HCPCS file carries the Level II (letter) modifiers; the two-digit Level I modifiers are
the AMA's and come with no public file. So that "modifier 25" has a citable record, this
source turns medref's own table (codes/modifiers.py: a short summary written by us, never
the AMA descriptor, and the NCCI and payment flags) into records. It is not downloaded:
its release is the medref version that wrote it (`medref-0.1.0`), the name users see in
citations; a hash of the table goes into the build fingerprint instead, so editing the
table still makes a rebuild parse it again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from medref import __version__
from medref.codes.modifiers import MODIFIERS, Modifier
from medref.records import Record
from medref.sources.base import DownloadSpec, Release

FLAG_SENTENCES = {
    "ncci_associated": "It is an NCCI-associated modifier: on the right line it may bypass a "
    "procedure-to-procedure edit whose modifier indicator is 1, when the services are "
    "really distinct (IOM 100-04 chapter 23 section 20.9.1).",
    "anatomic": "It names an anatomic site, so it shows that two services were on different sites.",
    "global_surgery": "It is a global surgery modifier: it tells the payer how a service "
    "relates to a surgery's global period (IOM 100-04 chapter 12 section 40).",
    "payment_modifier": "It changes how the physician fee schedule prices the line.",
}


def _level_one() -> list[Modifier]:
    return [item for item in MODIFIERS.values() if item.level == "cpt"]


RELEASE = f"medref-{__version__}"
"""The edition of our notes: the medref version that ships them."""


def _table_hash() -> str:
    digest = hashlib.sha256()
    for item in _level_one():
        digest.update(repr(item).encode())
    return digest.hexdigest()[:16]


def modifier_record(item: Modifier, release: str) -> Record:
    flags = item.flags()
    text = " ".join(
        [
            f"Modifier {item.code} (a CPT Level I modifier; summary in medref's own words, "
            f"not the AMA descriptor): {item.summary}.",
            *(FLAG_SENTENCES[flag] for flag in flags),
        ]
    )
    return Record(
        ref=item.ref,
        source="modifiers",
        release=release,
        kind="modifier",
        title=f"Modifier {item.code}: {item.summary}",
        text=text,
        code=item.code,
        data={"level": "cpt", "summary": item.summary, "flags": flags},
    )


@dataclass(frozen=True, slots=True)
class LevelOneModifiers:
    name: str = "modifiers"
    folder: str = "."
    parser_version: str = field(default_factory=lambda: f"2+{_table_hash()}")
    """The table's content is this source's input: it is part of the fingerprint."""
    table: Literal["records", "ptp"] = "records"

    def discover(self, root: Path) -> list[Release]:
        """One release, from the package itself; `root` (a mirror) has nothing for it."""
        return [Release(self.name, RELEASE, ())]

    def parse(self, release: Release) -> Iterator[Record]:
        for item in _level_one():
            yield modifier_record(item, release.release)

    def downloads(self) -> list[DownloadSpec]:
        return []


MODIFIER_NOTES = LevelOneModifiers()
SOURCES = [MODIFIER_NOTES]
