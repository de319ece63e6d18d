"""Mentions of a code in manuals, NCDs, statute and vault pages: the build-step index and
the scan fallback give the same answers, on the real texts of the knowledge base."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from medref.kb import KnowledgeBase, schema
from medref.lookup.mentions import MENTION_SOURCES, STEP, mention_keys, mentions
from medref.settings import Settings


def test_mention_keys_find_whole_codes_and_labelled_short_ones() -> None:
    text = (
        "Report modifier 25 or Modifier -59 and modifier GA; use modifiers as needed. "
        "POS 11 or place of service 22. Code E11.9, E11.- or 99213-25, then G0439."
    )
    assert mention_keys(text) == {
        "code:99213",
        "code:E11",
        "code:E11.9",
        "code:G0439",
        "modifier:25",
        "modifier:59",
        "modifier:GA",
        "place-of-service:11",
        "place-of-service:22",
    }
    assert "code:E11.9" not in mention_keys("E11.95 only")
    assert "modifier:AS" not in mention_keys("modifiers as appropriate")


@pytest.fixture(scope="module")
def small_kb(kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real texts of the mention sources copied into a knowledge base of their own."""
    folder = tmp_path_factory.mktemp("mentions")
    conn = sqlite3.connect(folder / "kb.sqlite")
    schema.create(conn)
    marks = ",".join("?" * len(MENTION_SOURCES))
    rows = kb.conn.execute(
        f"SELECT * FROM records WHERE source IN ({marks}) ORDER BY id", MENTION_SOURCES
    ).fetchall()
    conn.executemany(f"INSERT INTO records VALUES ({','.join('?' * 13)})", rows)
    conn.commit()
    conn.close()
    (folder / "manifest.json").write_text(json.dumps({"releases": []}))
    return folder


@pytest.mark.kb
def test_index_and_scan_agree(small_kb: Path, kb_settings: Settings) -> None:
    probes = [
        ("G0439", "hcpcs-level-2"),
        ("99213", "cpt-category-1"),
        ("70450", "cpt-category-1"),
        ("E11.9", "icd-10-cm"),
        ("G2212", "hcpcs-level-2"),
        ("25", "modifier"),
        ("59", "modifier"),
        ("GA", "modifier"),
        ("11", "place-of-service"),
        ("0DTJ4ZZ", "icd-10-pcs"),
        ("J1100", "hcpcs-level-2"),
    ]
    scanned = {p: mentions(KnowledgeBase(small_kb), *p) for p in probes}
    conn = sqlite3.connect(small_kb / "kb.sqlite")
    report = STEP.run(conn, small_kb, None, kb_settings, False)
    conn.commit()
    conn.close()
    assert report["mentions"] > 0
    indexed = {p: mentions(KnowledgeBase(small_kb), *p) for p in probes}
    assert indexed == scanned
    assert any(scanned[("G0439", "hcpcs-level-2")])
    assert scanned[("0DTJ4ZZ", "icd-10-pcs")] == []
