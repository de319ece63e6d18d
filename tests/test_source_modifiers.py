"""Level I modifier notes: citable `MOD:25` records in our own words, with NCCI flags."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from medref import __version__
from medref.codes.modifiers import MODIFIERS
from medref.kb import KnowledgeBase
from medref.services.resources import Resources
from medref.services.search import ask
from medref.settings import Settings
from medref.sources.modifiers import MODIFIER_NOTES, LevelOneModifiers


def test_level_one_modifiers_become_records_with_flag_sentences(tmp_path: Path) -> None:
    [release] = MODIFIER_NOTES.discover(tmp_path)
    records = {r.ref: r for r in MODIFIER_NOTES.parse(release)}
    assert {"MOD:25", "MOD:59", "MOD:57", "MOD:62", "MOD:50"} <= set(records)
    assert all(ref[4:].isdigit() for ref in records), "letter modifiers come from the HCPCS file"
    assert "NCCI-associated" in records["MOD:59"].text
    assert "global surgery modifier" in records["MOD:57"].text
    assert "not the AMA descriptor" in records["MOD:25"].text
    assert MODIFIER_NOTES.downloads() == []


def test_the_notes_are_released_under_a_readable_name_and_rebuilt_when_edited(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Users read the release in citations ("(release medref-0.1.0)"), never a hash; the
    table's content goes into the build fingerprint, so an edited table is parsed again."""
    [release] = MODIFIER_NOTES.discover(Path("."))
    assert release.release == f"medref-{__version__}"
    before = release.fingerprint(LevelOneModifiers().parser_version)
    monkeypatch.setitem(MODIFIERS, "25", replace(MODIFIERS["25"], summary="edited"))
    assert release.fingerprint(LevelOneModifiers().parser_version) != before


def test_modifier_25_is_in_the_knowledge_base(kb: KnowledgeBase) -> None:
    record = kb.get("MOD:25")
    assert record is not None and record.source == "modifiers"
    assert kb.get("MOD:GA") is not None and kb.get("MOD:GA").source == "hcpcs-modifiers"  # type: ignore[union-attr]


def test_answers_name_the_notes_release_never_a_hash(
    kb: KnowledgeBase, kb_settings: Settings
) -> None:
    """An answer quoting our modifier notes names their edition, not an internal id."""
    resources = Resources(kb_settings)
    answer = ask(resources, "What is modifier 25?")
    cited = {c["release"] for c in answer["citations"] if c["ref"] == "MOD:25"}
    assert cited == {f"medref-{__version__}"}
    assert f"(release medref-{__version__})" in answer["answer"]
    assert not re.search(r"\bv[0-9a-f]{8}\b", json.dumps(answer))
