"""Which manual sections, NCDs, statute sections and vault pages name a code.

At build time (`STEP`, a build step) every text of those sources is read once and each code
it names is written to a `code_mentions` table, so a lookup is one indexed query. A
knowledge base built without the step is still answered, by scanning the texts (about
13 MB, 10-100 ms). Both paths use `mention_keys`, so they agree.

Codes are found as whole tokens (`E11.9` is not a mention of `E11`); two-character codes are
too short to find alone, so modifiers count only after the word "modifier" and places of
service only after "POS" or "place of service".
"""

from __future__ import annotations

import re
import sqlite3
from itertools import islice
from pathlib import Path
from typing import Any

from medref.kb.store import KnowledgeBase
from medref.settings import Settings

MENTION_SOURCES = ("iom", "ncd", "statute", "vault")
MENTION_LIMIT = 10
TABLE = "code_mentions"
CODE_TOKEN = re.compile(r"(?<![0-9A-Za-z.])([0-9A-Z]{3,7}(?:\.[0-9A-Z]{1,4})?)(?![0-9A-Za-z])")
MODIFIER = re.compile(r"\b(?i:modifiers?)\s*-?([0-9A-Z]{2})(?![0-9A-Za-z])")
PLACE = re.compile(r"(?:\bPOS|\b(?i:place of service))(?: code)?\s*(\d{2})(?![0-9A-Za-z])")
SHORT_SYSTEMS = {"modifier": MODIFIER, "place-of-service": PLACE}
"""Two-character codes: found only after their label."""


def mention_key(code: str, system: str) -> str:
    """`code:G0439`, `modifier:25`, `place-of-service:11`."""
    return f"{system if system in SHORT_SYSTEMS else 'code'}:{code}"


def mention_keys(text: str) -> set[str]:
    """Every code a text names, as keys."""
    keys = {
        f"code:{token}" for token in CODE_TOKEN.findall(text) if any(ch.isdigit() for ch in token)
    }
    for system, pattern in SHORT_SYSTEMS.items():
        keys |= {f"{system}:{found}" for found in pattern.findall(text)}
    return keys


def _source_rows(
    conn: sqlite3.Connection, where: str = "", params: tuple[str, ...] = ()
) -> sqlite3.Cursor:
    """Texts of the mention sources, through the source index (`+id`: ordering by id must
    not turn the query into a scan of every record)."""
    marks = ",".join("?" * len(MENTION_SOURCES))
    return conn.execute(
        f"SELECT id, ref, source, release, title, text FROM records "
        f"WHERE source IN ({marks}){where} ORDER BY +id",
        (*MENTION_SOURCES, *params),
    )


class MentionsStep:
    """Build step: the `code_mentions` table (key, record id), indexed by key."""

    name = "code-mentions"
    version = "1"

    def run(
        self,
        conn: sqlite3.Connection,
        build_dir: Path,
        previous: Path | None,
        settings: Settings,
        progress: bool,
    ) -> dict[str, Any]:
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        conn.execute(f"CREATE TABLE {TABLE} (key TEXT NOT NULL, record_id INTEGER NOT NULL)")
        rows = [
            (key, record_id)
            for record_id, *_, text in _source_rows(conn)
            for key in sorted(mention_keys(text))
        ]
        conn.executemany(f"INSERT INTO {TABLE} VALUES (?, ?)", rows)
        conn.execute(f"CREATE INDEX {TABLE}_key ON {TABLE}(key, record_id)")
        return {"mentions": len(rows), "keys": len({key for key, _ in rows})}


STEP = MentionsStep()


def mentions(kb: KnowledgeBase, code: str, system: str) -> list[dict[str, str]]:
    """Up to MENTION_LIMIT texts naming the code, in knowledge-base order."""
    key = mention_key(code, system)
    if _has_table(kb):
        rows = kb.conn.execute(
            f"SELECT r.ref, r.source, r.release, r.title FROM {TABLE} m "
            "JOIN records r ON r.id = m.record_id WHERE m.key = ? ORDER BY m.record_id "
            "LIMIT ?",
            (key, MENTION_LIMIT),
        ).fetchall()
    else:
        candidates = _source_rows(kb.conn, " AND text LIKE ?", (f"%{code}%",))
        likely = _likely(code, system)
        found = (
            (ref, source, release, title)
            for _, ref, source, release, title, text in candidates
            if likely.search(text) and key in mention_keys(text)
        )
        rows = list(islice(found, MENTION_LIMIT))
    return [
        {"ref": ref, "source": source, "release": release, "title": title}
        for ref, source, release, title in rows
    ]


def _likely(code: str, system: str) -> re.Pattern[str]:
    """A quick test that passes every text naming the code (and a few more)."""
    literal = re.escape(code)
    if system == "modifier":
        return re.compile(rf"\b(?i:modifiers?)\s*-?{literal}(?![0-9A-Za-z])")
    if system == "place-of-service":
        return re.compile(
            rf"(?:\bPOS|\b(?i:place of service))(?: code)?\s*{literal}(?![0-9A-Za-z])"
        )
    return re.compile(rf"(?<![0-9A-Za-z.]){literal}(?![0-9A-Za-z])")


def _has_table(kb: KnowledgeBase) -> bool:
    found = kb.conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
    ).fetchone()
    return found is not None
