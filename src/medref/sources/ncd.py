"""Coverage documents of the Medicare Coverage Database (MCD): National Coverage
Determinations (`NCD:240.4`), Local Coverage Determinations (`LCD:L33797`) and local
coverage articles (`ARTICLE:A52458`), one record each.

Inputs: the MCD bulk exports (`ncd.zip`, `current_lcd.zip`, `current_article.zip`, read by
`mcd_export`), and for NCDs also a JSONL sample taken from the CMS Coverage API
(`ncd_sample.jsonl`: `ncd_section`, `title`, `effective_date`, `item_service_description`, ...).

An export can hold several versions of a document (the `all_*` exports do); the record is
the newest: the latest effective date, then the highest version number.

Release: a release folder (`ncd/2026-09/`, as the downloader writes) names it. Files placed
directly in the source folder are named by their newest content: the newest `last_updated`
month of the JSONL rows, and for a zip its modification month (when it was fetched; the
export's own "data as of" date is only on the download page).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from medref.errors import SourceFormatError
from medref.records import PtpEdit, Record, parse_date
from medref.sources.base import DownloadSpec, Release, Source
from medref.sources.jsonl import json_objects
from medref.sources.mcd_export import export_date, has_table, html_to_text, read_table

EXPORTS = "https://downloads.cms.gov/medicare-coverage-database/downloads/exports/"
SAMPLE_HINT = "restore the file; each line must be one complete JSON object"


@dataclass(frozen=True, slots=True)
class ExportLayout:
    """Where one document family sits in its export, and which columns say what."""

    kind: str
    label: str
    """Title prefix: `NCD 240.4 ...`, `LCD L33797 ...`, `Article A52458 ...`."""
    prefix: str
    archive: str
    table: str
    id_column: str
    version_column: str
    ident_column: str
    """The column that makes the citation (`NCD_mnl_sect`, `lcd_id`)."""
    ident_prefix: str
    title_column: str
    text_columns: tuple[tuple[str, str], ...]
    """(column, label) of the narrative that makes the record text, in reading order."""
    effective_columns: tuple[str, ...]
    """The first non-blank of these is the effective date; likewise below."""
    terminated_columns: tuple[str, ...]

    def required(self) -> tuple[str, ...]:
        return (self.id_column, self.version_column, self.ident_column, self.title_column)


NCD_LAYOUT = ExportLayout(
    kind="ncd",
    label="NCD",
    prefix="NCD",
    archive="ncd.zip",
    table="ncd_trkg.csv",
    id_column="NCD_id",
    version_column="NCD_vrsn_num",
    ident_column="NCD_mnl_sect",
    ident_prefix="",
    title_column="NCD_mnl_sect_title",
    text_columns=(
        ("itm_srvc_desc", "Item/service description"),
        ("indctn_lmtn", "Indications and limitations"),
        ("benefit_category", "Benefit category"),
        ("xref_txt", "Cross reference"),
        ("othr_txt", "Other text"),
    ),
    effective_columns=("NCD_efctv_dt",),
    terminated_columns=("NCD_trmntn_dt",),
)
LCD_LAYOUT = ExportLayout(
    kind="lcd",
    label="LCD",
    prefix="LCD",
    archive="current_lcd.zip",
    table="lcd.csv",
    id_column="lcd_id",
    version_column="lcd_version",
    ident_column="lcd_id",
    ident_prefix="L",
    title_column="title",
    text_columns=(
        ("indication", "Coverage indications, limitations and medical necessity"),
        ("cms_cov_policy", "CMS national coverage policy"),
        ("coding_guidelines", "Coding guidelines"),
        ("doc_reqs", "Documentation requirements"),
        ("util_guide", "Utilization guidelines"),
        ("associated_info", "Associated information"),
        ("summary_of_evidence", "Summary of evidence"),
        ("analysis_of_evidence", "Analysis of evidence"),
    ),
    effective_columns=("rev_eff_date", "orig_det_eff_date"),
    terminated_columns=("date_retired", "ent_det_end_date"),
)
ARTICLE_LAYOUT = ExportLayout(
    kind="article",
    label="Article",
    prefix="ARTICLE",
    archive="current_article.zip",
    table="article.csv",
    id_column="article_id",
    version_column="article_version",
    ident_column="article_id",
    ident_prefix="A",
    title_column="title",
    text_columns=(
        ("description", "Article text"),
        ("cms_cov_policy", "CMS national coverage policy"),
        ("icd10_doc", "ICD-10 documentation"),
        ("add_icd10_info", "Additional ICD-10 information"),
        ("other_comments", "Other comments"),
    ),
    effective_columns=("article_eff_date",),
    terminated_columns=("date_retired", "article_end_date"),
)
SAMPLE_TEXT = (
    ("item_service_description", "Item/service description"),
    ("indications_limitations", "Indications and limitations"),
    ("benefit_category", "Benefit category"),
    ("cross_reference", "Cross reference"),
)
"""(field, label) of the Coverage API sample, matching the export's NCD labels."""
LONGSTANDING = "longstanding national coverage determination"
"""The Coverage API's `effective_date` of an NCD whose version date was never posted."""


class CoverageSource:
    parser_version = "1"
    table: Literal["records", "ptp"] = "records"

    def __init__(self, layout: ExportLayout, *, reads_sample: bool) -> None:
        self.layout = layout
        self.name = layout.kind
        self.folder = layout.kind
        self.reads_sample = reads_sample

    def discover(self, root: Path) -> list[Release]:
        base = root / self.folder
        if not base.is_dir():
            return []
        groups: dict[str, list[Path]] = {}
        flat = self._inputs(base)
        if flat:
            groups.setdefault(max(_content_month(path) for path in flat), []).extend(flat)
        for folder in sorted(p for p in base.iterdir() if p.is_dir()):
            files = self._inputs(folder)
            if files:
                groups.setdefault(folder.name, []).extend(files)
        return [Release(self.name, name, tuple(files)) for name, files in sorted(groups.items())]

    def parse(self, release: Release) -> Iterator[Record | PtpEdit]:
        seen: dict[str, Path] = {}
        for path in release.files:
            reader = _sample_records if path.suffix == ".jsonl" else self._export_records
            for record in reader(path, release.release):
                if record.ref in seen:
                    raise SourceFormatError(
                        path,
                        f"{record.ref} is also in {seen[record.ref].name}",
                        hint="keep one copy of each document in a release folder",
                    )
                seen[record.ref] = path
                yield record

    def downloads(self) -> list[DownloadSpec]:
        """The current export at its fixed address, as this month's release."""
        name = self.layout.archive
        return [DownloadSpec(EXPORTS + name, date.today().strftime("%Y-%m"), name)]

    def _inputs(self, folder: Path) -> list[Path]:
        samples = sorted(folder.glob("*.jsonl")) if self.reads_sample else []
        return samples + sorted(folder.glob("*.zip"))

    def _export_records(self, archive: Path, release: str) -> Iterator[Record]:
        layout = self.layout
        extra = _benefit_categories(archive) if layout is NCD_LAYOUT else {}
        newest: dict[str, tuple[tuple[date, int], Record]] = {}
        where = f"{archive}!{layout.table}"
        for line, row in read_table(archive, layout.table, layout.required()):
            key = (row[layout.id_column].strip(), row[layout.version_column].strip())
            if not key[1].isdigit():
                raise SourceFormatError(
                    where, f"{layout.version_column} {key[1]!r} is not a number", line=line
                )
            if extra:
                row = {**row, "benefit_category": "; ".join(extra.get(key, []))}
            record = _export_record(layout, row, release, where, line)
            rank = (record.effective or date.min, int(key[1]))
            if record.ref not in newest or rank > newest[record.ref][0]:
                newest[record.ref] = (rank, record)
        for _, record in newest.values():
            yield record


def _export_record(
    layout: ExportLayout, row: dict[str, str], release: str, where: str, line: int
) -> Record:
    ident = row[layout.ident_column].strip()
    if not ident:
        raise SourceFormatError(where, f"{layout.ident_column} is blank", line=line)
    cited = layout.ident_prefix + ident
    data = {column: html_to_text(value) for column, value in row.items()}
    title = f"{layout.label} {cited} {data[layout.title_column]}"
    return Record(
        ref=f"{layout.prefix}:{cited}",
        source=layout.kind,
        release=release,
        kind=layout.kind,
        title=title,
        text=_labelled(data, layout.text_columns) or title,
        effective=_first_date(row, layout.effective_columns, where, line),
        terminated=_first_date(row, layout.terminated_columns, where, line),
        data=data,
    )


def _first_date(
    row: dict[str, str], columns: tuple[str, ...], where: str, line: int
) -> date | None:
    for column in columns:
        value = row.get(column, "")
        if value.strip():
            return export_date(value, where, line, column)
    return None


def _labelled(fields: dict[str, Any], columns: tuple[tuple[str, str], ...]) -> str:
    """`Label: text` parts, blank fields left out."""
    parts = []
    for column, label in columns:
        text = html_to_text(str(fields.get(column) or ""))
        if text:
            parts.append(f"{label}: {text}")
    return "\n\n".join(parts)


def _benefit_categories(archive: Path) -> dict[tuple[str, str], list[str]]:
    """Benefit category names per (NCD_id, version), from the export's two lookup tables."""
    if not (
        has_table(archive, "ncd_trkg_bnft_xref.csv")
        and has_table(archive, "ncd_bnft_ctgry_ref.csv")
    ):
        return {}
    names = {
        row["bnft_ctgry_cd"]: row["bnft_ctgry_desc"]
        for _, row in read_table(
            archive, "ncd_bnft_ctgry_ref.csv", ("bnft_ctgry_cd", "bnft_ctgry_desc")
        )
    }
    categories: dict[tuple[str, str], list[str]] = {}
    required = ("NCD_id", "NCD_vrsn_num", "bnft_ctgry_cd")
    for _, row in read_table(archive, "ncd_trkg_bnft_xref.csv", required):
        key = (row["NCD_id"].strip(), row["NCD_vrsn_num"].strip())
        categories.setdefault(key, []).append(names.get(row["bnft_ctgry_cd"], row["bnft_ctgry_cd"]))
    return categories


def _sample_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    return json_objects(path, ("ncd_section", "title"), SAMPLE_HINT)


def _sample_records(path: Path, release: str) -> Iterator[Record]:
    for line, row in _sample_rows(path):
        section = str(row["ncd_section"]).strip()
        title = f"NCD {section} {row['title']}"
        yield Record(
            ref=f"NCD:{section}",
            source="ncd",
            release=release,
            kind="ncd",
            title=title,
            text=_labelled(row, SAMPLE_TEXT) or title,
            effective=_sample_date(row.get("effective_date"), path, line),
            data=row,
        )


def _sample_date(value: Any, path: Path, line: int) -> date | None:
    text = str(value or "")
    try:
        return parse_date(text)
    except ValueError:
        if LONGSTANDING in text.lower():
            return None
        raise SourceFormatError(
            path, f"effective_date {text!r} is not a date", line=line, hint=SAMPLE_HINT
        ) from None


def _content_month(path: Path) -> str:
    if path.suffix == ".jsonl":
        updated = [
            parsed
            for line, row in _sample_rows(path)
            if (parsed := _sample_date(row.get("last_updated"), path, line))
        ]
        if updated:
            return max(updated).strftime("%Y-%m")
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m")


NCD = CoverageSource(NCD_LAYOUT, reads_sample=True)
LCD = CoverageSource(LCD_LAYOUT, reads_sample=False)
ARTICLE = CoverageSource(ARTICLE_LAYOUT, reads_sample=False)
SOURCES: list[Source] = [NCD, LCD, ARTICLE]
