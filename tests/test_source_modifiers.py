"""Level I modifier notes: citable `MOD:25` records in our own words, with NCCI flags."""

from __future__ import annotations

from pathlib import Path

from medref.kb import KnowledgeBase
from medref.sources.modifiers import MODIFIER_NOTES


def test_level_one_modifiers_become_records_with_flag_sentences(tmp_path: Path) -> None:
    [release] = MODIFIER_NOTES.discover(tmp_path)
    records = {r.ref: r for r in MODIFIER_NOTES.parse(release)}
    assert {"MOD:25", "MOD:59", "MOD:57", "MOD:62", "MOD:50"} <= set(records)
    assert all(ref[4:].isdigit() for ref in records), "letter modifiers come from the HCPCS file"
    assert "NCCI-associated" in records["MOD:59"].text
    assert "global surgery modifier" in records["MOD:57"].text
    assert "not the AMA descriptor" in records["MOD:25"].text
    assert release.release.startswith("v") and MODIFIER_NOTES.downloads() == []


def test_modifier_25_is_in_the_knowledge_base(kb: KnowledgeBase) -> None:
    record = kb.get("MOD:25")
    assert record is not None and record.source == "modifiers"
    assert kb.get("MOD:GA") is not None and kb.get("MOD:GA").source == "hcpcs-modifiers"  # type: ignore[union-attr]
