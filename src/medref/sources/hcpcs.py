"""HCPCS Level II procedures and modifiers from the quarterly CMS Alpha-Numeric HCPCS File.

Mirror layout: `hcpcs/<YYYY-MM>/` holding `HCPC*_ANWEB*.txt` (preferred) or the xlsx of the
same release, and `proc_notes_*.txt`. Two sources read it: `hcpcs` (procedure codes, RIC 3/4)
and `hcpcs-modifiers` (Level II modifiers, RIC 7/8).

Licensed descriptors never leave this module: D-codes carry the ADA's CDT descriptors and any
CPT row (a code starting with a digit) the AMA's, so those keep their code and CMS's
administrative fields but no description.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from medref import refs
from medref.codes.hcpcs_indicators import (
    ACTION,
    ASC_GROUP,
    BETOS,
    COVERAGE,
    LAB_CERT,
    MOG_POLICY,
    MULTIPLE_PRICING,
    PRICING,
    TYPE_OF_SERVICE,
    in_words,
)
from medref.codes.hcpcs_ranges import DESCRIPTOR_RESTRICTED
from medref.codes.patterns import LEVEL_II_CODE
from medref.errors import SourceFormatError
from medref.records import Record
from medref.sources.base import DownloadSpec, Release
from medref.sources.hcpcs_fixed import read_fixed_width
from medref.sources.hcpcs_layout import FieldValue, HcpcsEntry, field_values
from medref.sources.hcpcs_notes import read_notes
from medref.sources.hcpcs_xlsx import read_xlsx

CDT_TITLE = "CDT dental code (descriptor licensed by the ADA; not shipped)"
CPT_TITLE = "CPT code (descriptor licensed by the AMA; not shipped)"
CPT_MODIFIER_TITLE = "CPT modifier (descriptor licensed by the AMA; not shipped)"
RELEASE_FOLDER = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
CURRENT_ZIP = "https://www.cms.gov/files/zip/january-2026-alpha-numeric-hcpcs-file.zip"
CURRENT_RELEASE = "2026-01"


@dataclass(slots=True)
class HcpcsSource:
    """One name of `medref sources` over the HCPCS file: its procedures or its modifiers."""

    name: str
    modifiers: bool
    folder: str = "hcpcs"
    parser_version: str = "1"
    table: Literal["records", "ptp"] = "records"

    def discover(self, root: Path) -> list[Release]:
        return discover_releases(root / self.folder, self.name)

    def parse(self, release: Release) -> Iterator[Record]:
        notes: dict[str, str] = {}
        for path in release.files:
            if path.name.startswith("proc_notes"):
                notes.update(read_notes(path))
        seen: set[str] = set()
        for entry in read_entries(_data_file_of(release)):
            if entry.modifier != self.modifiers:
                continue
            if entry.code in seen:
                raise SourceFormatError(
                    entry.path, f"{entry.code} appears twice in one release", line=entry.line
                )
            seen.add(entry.code)
            yield to_record(entry, notes, self.name, release.release)

    def downloads(self) -> list[DownloadSpec]:
        return [
            DownloadSpec(
                url=CURRENT_ZIP,
                release=CURRENT_RELEASE,
                filename=CURRENT_ZIP.rsplit("/", 1)[1],
                unzip=True,
                members=("*.txt", "*.xlsx"),
            )
        ]


HCPCS_PROCEDURES = HcpcsSource(name="hcpcs", modifiers=False)
HCPCS_MODIFIERS = HcpcsSource(name="hcpcs-modifiers", modifiers=True)
SOURCES = [HCPCS_PROCEDURES, HCPCS_MODIFIERS]


def read_entries(path: Path) -> Iterator[HcpcsEntry]:
    """The text file when given one, else the xlsx of the same release."""
    return read_xlsx(path) if path.suffix.lower() == ".xlsx" else read_fixed_width(path)


def discover_releases(folder: Path, source: str) -> list[Release]:
    """`YYYY-MM` folders holding a HCPCS data file; each governs until the next one starts."""
    found: list[tuple[date, str, tuple[Path, ...]]] = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        match = RELEASE_FOLDER.match(path.name)
        data = _data_file_in(path) if match and path.is_dir() else None
        if match is None or data is None:
            continue
        notes = sorted(path.glob("proc_notes_*.txt"))
        found.append((date(int(match[1]), int(match[2]), 1), path.name, (data, *notes)))
    releases: list[Release] = []
    for index, (effective, name, files) in enumerate(found):
        following = found[index + 1][0] if index + 1 < len(found) else None
        until = following - timedelta(days=1) if following else None
        releases.append(Release(source, name, files, effective=effective, until=until))
    return releases


def _data_file_in(folder: Path) -> Path | None:
    """The release's text file, else its record xlsx (not the transaction report)."""
    for pattern in ("HCPC*ANWEB*.txt", "HCPC*ANWEB*.xlsx"):
        candidates = [
            path for path in sorted(folder.glob(pattern)) if "transaction" not in path.name.lower()
        ]
        if len(candidates) > 1:
            names = ", ".join(path.name for path in candidates)
            raise SourceFormatError(
                folder,
                f"several HCPCS data files ({names})",
                hint="keep one release's files per folder",
            )
        if candidates:
            return candidates[0]
    return None


def _data_file_of(release: Release) -> Path:
    for path in release.files:
        if path.name.upper().startswith("HCPC"):
            return path
    raise SourceFormatError(
        Path(release.source) / release.release,
        "the release lists no HCPC*_ANWEB* data file",
        hint="rediscover the releases of the mirror",
    )


def licence_holder(entry: HcpcsEntry) -> str | None:
    """Who owns the descriptor when it is not public: ADA for CDT, AMA for CPT (digit first)."""
    if entry.code[0].isdigit():
        return "AMA"
    restricted = entry.code[0] in DESCRIPTOR_RESTRICTED
    if not entry.modifier and restricted and LEVEL_II_CODE.fullmatch(entry.code):
        return "ADA"
    return None


def to_record(entry: HcpcsEntry, notes: dict[str, str], source: str, release: str) -> Record:
    values = field_values(entry)
    holder = licence_holder(entry)
    if holder is not None:
        values.update(long_description=None, short_description=None)
        values["descriptor_licensed_by"] = holder
    procnote = values["procnote"]
    values["procnote_text"] = notes.get(procnote) if isinstance(procnote, str) else None
    prefix, kind = ("MOD", "modifier") if entry.modifier else ("HCPCS", "code")
    if holder == "AMA" and not entry.modifier:
        prefix = "CPT"
    return Record(
        ref=refs.make(prefix, entry.code),
        source=source,
        release=release,
        kind=kind,
        title=_title(entry, values, holder),
        text="\n".join(_describe(entry, values, holder)),
        code=entry.code,
        effective=_as_date(values["add_date"]) or _as_date(values["effective_date"]),
        terminated=_as_date(values["termination_date"]),
        data=values,
    )


def _title(entry: HcpcsEntry, values: dict[str, FieldValue], holder: str | None) -> str:
    if holder == "ADA":
        return CDT_TITLE
    if holder == "AMA":
        return CPT_MODIFIER_TITLE if entry.modifier else CPT_TITLE
    return str(values["short_description"] or values["long_description"])


def _describe(entry: HcpcsEntry, values: dict[str, FieldValue], holder: str | None) -> list[str]:
    """The record's text: the long description, then every set field in words."""
    label = "Modifier" if entry.modifier else "HCPCS"
    lines = [f"{label} {entry.code}: {values['long_description'] or _title(entry, values, holder)}"]
    if values["short_description"]:
        lines.append(f"Short description: {values['short_description']}")
    lines += _indicator_lines(values)
    lines += _reference_lines(values)
    lines += _date_lines(values)
    return lines


def _indicator_lines(values: dict[str, FieldValue]) -> list[str]:
    labelled: list[tuple[str, str, dict[str, str]]] = [
        ("Coverage", "coverage", COVERAGE),
        ("Pricing indicator", "pricing_indicators", PRICING),
        ("Multiple pricing", "multiple_pricing", MULTIPLE_PRICING),
        ("BETOS", "betos", BETOS),
        ("Type of service", "tos", TYPE_OF_SERVICE),
        ("Lab certification", "lab_cert", LAB_CERT),
        ("ASC payment group", "asc_group", ASC_GROUP),
        ("MOG payment policy", "mog_policy", MOG_POLICY),
    ]
    lines = []
    for label, name, table in labelled:
        found = _as_list(values[name])
        if found:
            lines.append(f"{label}: " + "; ".join(in_words(table, value) for value in found))
    if values["mog_group"]:
        lines.append(f"MOG payment group: {values['mog_group']}")
    units = values["anes_units"]
    if isinstance(units, int) and units > 0:
        lines.append(f"Anesthesia base units: {units}")
    return lines


def _reference_lines(values: dict[str, FieldValue]) -> list[str]:
    labelled = [
        ("Statute", "statute"),
        ("Coverage Issues Manual section", "cim"),
        ("Medicare Carriers Manual section", "mcm"),
        ("Cross-reference", "xrefs"),
    ]
    lines = [
        f"{label}: {', '.join(_as_list(values[name]))}"
        for label, name in labelled
        if _as_list(values[name])
    ]
    if values["procnote"]:
        note = values["procnote_text"] or "(not in the processing notes file)"
        lines.append(f"Processing note {values['procnote']}: {note}")
    return lines


def _date_lines(values: dict[str, FieldValue]) -> list[str]:
    lines = []
    if values["add_date"]:
        lines.append(f"Added: {values['add_date']}")
    if values["action_code"]:
        action = in_words(ACTION, str(values["action_code"]))
        since = f", effective {values['effective_date']}" if values["effective_date"] else ""
        lines.append(f"Action: {action}{since}")
    if values["asc_date"]:
        lines.append(f"ASC payment group effective: {values['asc_date']}")
    if values["mog_date"]:
        lines.append(f"MOG effective: {values['mog_date']}")
    if values["termination_date"]:
        lines.append(f"Terminated: last date of use {values['termination_date']}")
    return lines


def _as_list(value: FieldValue) -> list[str]:
    if value is None:
        return []
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


def _as_date(value: FieldValue) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None
