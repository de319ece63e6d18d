"""The edit tables of a knowledge base as Parquet files, the form the columnar plan reads.

Written once per build into a folder (`write_edit_tables`), one file a table, every release
of each, plus `releases.parquet` (each release's window and its vintage label, in the order
`KnowledgeBase.releases` gives) and `meta.json` (the build they came from). A Spark job on
another machine reads the same folder: ship it next to the job or put it on shared storage.

Dates are days since 1970-01-01 (`epoch_day`), so every engine compares and subtracts them
as integers; the ISO text rides along where a message prints a date. The shapes follow the
in-memory loaders (`medref.claims.tables.MemoryLoaders`): a PTP effective date on or before
the release's first day is dropped (in force all quarter), add-on rows terminated before the
release are left out.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from medref.claims.tables import LAB_CODES, MUE_SOURCES, PTP_SOURCES, window
from medref.kb.store import KnowledgeBase, ReleaseInfo

EPOCH = date(1970, 1, 1).toordinal()
FORMAT_VERSION = 1
"""Bumped when a table's shape changes: an older folder is written again."""

LABELS: dict[str, str] = {
    **{source: f"NCCI PTP {setting}" for setting, source in PTP_SOURCES.items()},
    **{source: f"NCCI MUE {setting}" for setting, source in MUE_SOURCES.items()},
    "ncci-aoc": "NCCI add-on code edits",
    "pfs": "PFS",
    "hcpcs": "HCPCS",
    "hcpcs-modifiers": "HCPCS modifiers",
    "icd10cm": "ICD-10-CM",
    "pos": "POS",
}
"""The label `medref.claims.tables.edit_tables` gives each source's `Versioned` table."""
TABLES = ("releases", "ptp", "mue", "aoc", "pfs", "hcpcs", "modifiers", "icd", "pos", "labs")


def epoch_day(day: date | None) -> int | None:
    return None if day is None else day.toordinal() - EPOCH


def iso_day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def write_edit_tables(kb: KnowledgeBase, folder: Path) -> Path:
    """Write (or keep, when it is already there for this build) the Parquet tables of `kb`
    in `folder`; returns the folder. Written to a temporary folder first and renamed, so a
    reader never sees half a set."""
    meta = folder / "meta.json"
    wanted = {"build": kb.path.name, "format": FORMAT_VERSION}
    if meta.is_file() and json.loads(meta.read_text()) == wanted:
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".edit-tables-", dir=folder.parent))
    try:
        for name, table in tables_of(kb):
            pq.write_table(table, work / f"{name}.parquet", compression="zstd")
        (work / "meta.json").write_text(json.dumps(wanted))
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(work, folder)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return folder


def tables_of(kb: KnowledgeBase) -> Iterable[tuple[str, pa.Table]]:
    sources = [*LABELS, "ncci-aoc"]
    infos = {source: kb.releases(source) for source in dict.fromkeys(sources)}
    yield "releases", releases_table(infos)
    yield "ptp", ptp_table(kb, infos)
    yield "mue", mue_table(kb, infos)
    yield "aoc", aoc_table(kb, infos["ncci-aoc"])
    yield "pfs", pfs_table(kb, infos["pfs"])
    yield "hcpcs", dates_table(kb, infos["hcpcs"])
    yield "modifiers", dates_table(kb, infos["hcpcs-modifiers"])
    yield "icd", icd_table(kb, infos["icd10cm"])
    yield "pos", pos_table(kb, infos["pos"])
    yield "labs", labs_table(kb, infos["hcpcs"])


def releases_table(infos: dict[str, list[ReleaseInfo]]) -> pa.Table:
    rows: dict[str, list[Any]] = {
        key: []
        for key in ("source", "label", "release", "position", "effective", "until", "vintage")
    }
    rows["span"] = []
    for source, releases in infos.items():
        for position, info in enumerate(releases):
            rows["source"].append(source)
            rows["label"].append(LABELS[source])
            rows["release"].append(info.release)
            rows["position"].append(position)
            rows["effective"].append(epoch_day(info.effective))
            rows["until"].append(epoch_day(info.until))
            rows["vintage"].append(f"{LABELS[source]} {info.release}")
            rows["span"].append(window(info))
    return pa.table(
        rows,
        schema=pa.schema(
            [
                ("source", pa.string()),
                ("label", pa.string()),
                ("release", pa.string()),
                ("position", pa.int32()),
                ("effective", pa.int32()),
                ("until", pa.int32()),
                ("vintage", pa.string()),
                ("span", pa.string()),
            ]
        ),
    )


def records(kb: KnowledgeBase, info: ReleaseInfo, columns: str) -> list[tuple[Any, ...]]:
    return kb.conn.execute(
        f"SELECT {columns} FROM records WHERE source = ? AND release = ?",
        (info.source, info.release),
    ).fetchall()


def ptp_table(kb: KnowledgeBase, infos: dict[str, list[ReleaseInfo]]) -> pa.Table:
    columns: dict[str, list[Any]] = {
        key: [] for key in ("setting", "release", "column1", "column2", "indicator")
    }
    columns.update(effective=[], deleted=[], deleted_text=[])
    for setting, source in PTP_SOURCES.items():
        for info in infos[source]:
            start = info.effective
            rows = kb.conn.execute(
                "SELECT column1, column2, effective, deleted, modifier_indicator FROM ptp "
                "WHERE setting = ? AND release = ?",
                (setting, info.release),
            )
            for column1, column2, effective, deleted, indicator in rows:
                since = iso_day(effective)
                if since is not None and start is not None and since <= start:
                    since = None
                columns["setting"].append(setting)
                columns["release"].append(info.release)
                columns["column1"].append(column1)
                columns["column2"].append(column2)
                columns["indicator"].append(int(indicator))
                columns["effective"].append(epoch_day(since))
                columns["deleted"].append(epoch_day(iso_day(deleted)))
                columns["deleted_text"].append(deleted or None)
    return pa.table(
        columns,
        schema=pa.schema(
            [
                ("setting", pa.string()),
                ("release", pa.string()),
                ("column1", pa.string()),
                ("column2", pa.string()),
                ("indicator", pa.int8()),
                ("effective", pa.int32()),
                ("deleted", pa.int32()),
                ("deleted_text", pa.string()),
            ]
        ),
    )


def mue_table(kb: KnowledgeBase, infos: dict[str, list[ReleaseInfo]]) -> pa.Table:
    found: dict[str, list[Any]] = {"setting": [], "release": [], "code": [], "units": [], "mai": []}
    for setting, source in MUE_SOURCES.items():
        for info in infos[source]:
            rows = records(
                kb, info, "code, json_extract(data, '$.units'), json_extract(data, '$.mai')"
            )
            keyed = {code: (int(units), int(mai)) for code, units, mai in rows}
            for code, (units, mai) in keyed.items():
                found["setting"].append(setting)
                found["release"].append(info.release)
                found["code"].append(code)
                found["units"].append(units)
                found["mai"].append(mai)
    return pa.table(
        found,
        schema=pa.schema(
            [
                ("setting", pa.string()),
                ("release", pa.string()),
                ("code", pa.string()),
                ("units", pa.int32()),
                ("mai", pa.int8()),
            ]
        ),
    )


def aoc_table(kb: KnowledgeBase, infos: list[ReleaseInfo]) -> pa.Table:
    found: dict[str, list[Any]] = {"release": [], "add_on": [], "primary_code": [], "edit_type": []}
    for info in infos:
        kinds: dict[str, int] = {}
        pairs: dict[tuple[str, str], None] = {}
        rows = records(
            kb,
            info,
            "json_extract(data, '$.add_on'), json_extract(data, '$.primary'), "
            "json_extract(data, '$.edit_type'), terminated",
        )
        for add_on, primary, edit_type, terminated in rows:
            if info.effective and terminated and date.fromisoformat(terminated) < info.effective:
                continue
            kinds.setdefault(add_on, int(edit_type))  # the first row's type, as the loader
            pairs[(add_on, primary)] = None
        for add_on, primary in pairs:
            found["release"].append(info.release)
            found["add_on"].append(add_on)
            found["primary_code"].append(primary)
            found["edit_type"].append(kinds[add_on])
    return pa.table(
        found,
        schema=pa.schema(
            [
                ("release", pa.string()),
                ("add_on", pa.string()),
                ("primary_code", pa.string()),
                ("edit_type", pa.int8()),
            ]
        ),
    )


PFS_NUMBERS = ("pctc", "mult_proc", "bilat_surg", "asst_surg", "co_surg", "team_surg")


def pfs_table(kb: KnowledgeBase, infos: list[ReleaseInfo]) -> pa.Table:
    names = ("release", "key", "code", "status", "global_days", *PFS_NUMBERS)
    found: dict[str, list[Any]] = {name: [] for name in names}
    for info in infos:
        rows = records(
            kb,
            info,
            "json_extract(data, '$.hcpcs'), json_extract(data, '$.mod'), "
            "json_extract(data, '$.status_code'), json_extract(data, '$.glob_days'), "
            "json_extract(data, '$.pctc_ind'), json_extract(data, '$.mult_proc'), "
            "json_extract(data, '$.bilat_surg'), json_extract(data, '$.asst_surg'), "
            "json_extract(data, '$.co_surg'), json_extract(data, '$.team_surg')",
        )
        keyed: dict[str, tuple[Any, ...]] = {}
        for code, modifier, status, days, *numbers in rows:
            keyed[f"{code}-{modifier}" if modifier else code] = (code, status, days, *numbers)
        for key, (code, status, days, *numbers) in keyed.items():
            found["release"].append(info.release)
            found["key"].append(key)
            found["code"].append(code)
            found["status"].append(str(status))
            found["global_days"].append(str(days))
            for name, value in zip(PFS_NUMBERS, numbers, strict=True):
                found[name].append(int(str(value)))
    fields = [(name, pa.string()) for name in names[:5]] + [(n, pa.int8()) for n in PFS_NUMBERS]
    return pa.table(found, schema=pa.schema(fields))


def dates_table(kb: KnowledgeBase, infos: list[ReleaseInfo]) -> pa.Table:
    names = ("release", "code", "effective", "effective_text", "terminated", "terminated_text")
    found: dict[str, list[Any]] = {name: [] for name in names}
    for info in infos:
        keyed = {
            code: (eff, end) for code, eff, end in records(kb, info, "code, effective, terminated")
        }
        for code, (effective, terminated) in keyed.items():
            found["release"].append(info.release)
            found["code"].append(code)
            found["effective"].append(epoch_day(iso_day(effective)))
            found["effective_text"].append(effective or None)
            found["terminated"].append(epoch_day(iso_day(terminated)))
            found["terminated_text"].append(terminated or None)
    return pa.table(
        found,
        schema=pa.schema(
            [
                ("release", pa.string()),
                ("code", pa.string()),
                ("effective", pa.int32()),
                ("effective_text", pa.string()),
                ("terminated", pa.int32()),
                ("terminated_text", pa.string()),
            ]
        ),
    )


def icd_table(kb: KnowledgeBase, infos: list[ReleaseInfo]) -> pa.Table:
    found: dict[str, list[Any]] = {"release": [], "code": [], "billable": []}
    for info in infos:
        keyed = dict(records(kb, info, "code, json_extract(data, '$.billable')"))
        for code, billable in keyed.items():
            found["release"].append(info.release)
            found["code"].append(code)
            found["billable"].append(bool(billable))
    return pa.table(
        found,
        schema=pa.schema(
            [("release", pa.string()), ("code", pa.string()), ("billable", pa.bool_())]
        ),
    )


def pos_table(kb: KnowledgeBase, infos: list[ReleaseInfo]) -> pa.Table:
    found: dict[str, list[Any]] = {"release": [], "code": [], "name": [], "assigned": []}
    for info in infos:
        rows = records(
            kb, info, "code, json_extract(data, '$.name'), json_extract(data, '$.assigned')"
        )
        keyed = {code: (name, assigned) for code, name, assigned in rows}
        for code, (name, assigned) in keyed.items():
            found["release"].append(info.release)
            found["code"].append(code)
            found["name"].append(name)
            found["assigned"].append(bool(assigned))
    return pa.table(
        found,
        schema=pa.schema(
            [
                ("release", pa.string()),
                ("code", pa.string()),
                ("name", pa.string()),
                ("assigned", pa.bool_()),
            ]
        ),
    )


def labs_table(kb: KnowledgeBase, infos: list[ReleaseInfo]) -> pa.Table:
    """Level II laboratory codes of the newest HCPCS release (`EditTables.level_2_labs`)."""
    codes: list[str] = []
    if infos:
        newest = infos[-1]
        rows = kb.conn.execute(LAB_CODES, (newest.source, newest.release)).fetchall()
        codes = sorted({code for (code,) in rows})
    return pa.table({"code": codes}, schema=pa.schema([("code", pa.string())]))
