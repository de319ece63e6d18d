"""The SQLite schema of a knowledge base build. Dates are ISO strings; `data` is JSON.

Two files: `kb.sqlite` (releases, records, chunks) and `ptp.sqlite` (the NCCI PTP edits,
millions of rows), kept apart so that a build whose PTP releases are unchanged links the
previous file instead of copying it. Readers attach `ptp.sqlite`, so `ptp` is a plain name.
"""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 3

DDL = """
CREATE TABLE releases (
    source TEXT NOT NULL,
    release TEXT NOT NULL,
    effective TEXT,
    until TEXT,
    fingerprint TEXT NOT NULL,
    files TEXT NOT NULL,
    records INTEGER NOT NULL DEFAULT 0,
    chunks INTEGER NOT NULL DEFAULT 0,
    built_at TEXT NOT NULL,
    PRIMARY KEY (source, release)
);
CREATE TABLE records (
    id INTEGER PRIMARY KEY,
    ref TEXT NOT NULL,
    source TEXT NOT NULL,
    release TEXT NOT NULL,
    kind TEXT NOT NULL,
    code TEXT,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    effective TEXT,
    terminated TEXT,
    parent TEXT,
    data TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL REFERENCES records(id),
    ref TEXT NOT NULL,
    source TEXT NOT NULL,
    release TEXT NOT NULL,
    ord INTEGER NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    hash TEXT NOT NULL
);
"""

PTP_DDL = """
CREATE TABLE ptp_rationales (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
CREATE TABLE ptp_rows (
    column1 TEXT NOT NULL,
    column2 TEXT NOT NULL,
    setting TEXT NOT NULL,
    release TEXT NOT NULL,
    line INTEGER NOT NULL,
    effective TEXT,
    deleted TEXT,
    modifier_indicator TEXT NOT NULL,
    rationale_id INTEGER NOT NULL REFERENCES ptp_rationales(id),
    PRIMARY KEY (column1, column2, setting, release, line)
) WITHOUT ROWID;
CREATE VIEW ptp AS
    SELECT r.setting, r.release, r.column1, r.column2, r.effective, r.deleted,
           r.modifier_indicator, t.text AS rationale, r.line
    FROM ptp_rows r JOIN ptp_rationales t ON t.id = r.rationale_id;
"""

INDEXES = """
CREATE INDEX records_ref ON records(ref);
CREATE INDEX records_code ON records(code, source);
CREATE INDEX records_parent ON records(parent);
CREATE INDEX records_source ON records(source, release);
CREATE INDEX chunks_record ON chunks(record_id);
CREATE INDEX chunks_ref ON chunks(ref);
"""

PTP_INDEXES = """
CREATE INDEX ptp_column2 ON ptp_rows(column2, setting, release, modifier_indicator, deleted, effective);
"""


def create(conn: sqlite3.Connection) -> None:
    conn.executescript(DDL)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def create_indexes(conn: sqlite3.Connection) -> None:
    conn.executescript(INDEXES)
