"""The knowledge base build: counts from the real files, atomic swaps, no-op rebuilds and
corrupt inputs that fail clearly without touching the knowledge base in use."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from medref.cli import cli
from medref.errors import MedrefError
from medref.kb import KnowledgeBase
from medref.kb import build as build_module
from medref.services.knowledge import build
from medref.settings import Settings

EXPECTED_SOURCES = {
    "hcpcs",
    "hcpcs-modifiers",
    "modifiers",
    "icd10cm",
    "ncci-ptp-practitioner",
    "ncci-ptp-outpatient",
    "ncci-mue-practitioner",
    "ncci-mue-outpatient",
    "ncci-mue-dme",
    "ncci-aoc",
    "pfs",
    "pos",
    "iom",
    "ncd",
    "statute",
    "vault",
}


def _count_lines(path: Path) -> int:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return sum(1 for _ in handle) - 1


def _sources_json(settings: Settings) -> list[dict[str, object]]:
    env = {"MEDREF_HOME": str(settings.home), "MEDREF_SOURCES": str(settings.sources)}
    result = CliRunner().invoke(cli, ["sources", "--json"], env=env)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.output)
    return rows


@pytest.mark.kb
def test_sources_json_lists_every_source_with_counts(
    kb: KnowledgeBase, kb_settings: Settings, cms_dir: Path
) -> None:
    rows = _sources_json(kb_settings)
    assert {row["source"] for row in rows} >= EXPECTED_SOURCES
    by = {(row["source"], row["release"]): row for row in rows}
    assert by[("hcpcs", "2026-01")]["records"] == 8623
    assert by[("hcpcs-modifiers", "2026-01")]["records"] == 383
    ptp = cms_dir / "ncci/2024-07/ncci_ptp_practitioner_2024-07-01.csv.gz"
    assert by[("ncci-ptp-practitioner", "2024-07")]["records"] == _count_lines(ptp) == 2546017
    assert by[("ncci-mue-practitioner", "2024-07")]["records"] == 14677
    code_list = (cms_dir / "icd10cm/2026-04/code-list-April-2026.txt").read_text().split()
    icd_codes = {c for c in code_list if c[0].isalpha() and "-" not in c}  # not chapters, blocks
    assert by[("icd10cm", "2025")]["records"] == 97584
    assert by[("icd10cm", "2026-04")]["records"] == len(icd_codes) == 98186
    iom_sections = sum(
        _count_lines(p) + 1 for p in (cms_dir / "manuals/iom").glob("sections-*.jsonl")
    )
    iom = [row for row in rows if row["source"] == "iom"]
    assert sum(int(str(row["records"])) for row in iom) == iom_sections
    ncd = [row for row in rows if row["source"] == "ncd"]
    assert sum(int(str(row["records"])) for row in ncd) == 12
    for row in rows:
        assert int(str(row["records"])) > 0, row


@pytest.mark.kb
def test_every_statute_section_is_a_record(kb: KnowledgeBase, cms_dir: Path) -> None:
    for path in sorted((cms_dir / "statute/ssa-title-18").glob("42usc*.md")):
        section = path.stem.removeprefix("42usc")
        assert kb.get(f"USC:42/{section}") is not None, path.name


@pytest.mark.kb
def test_records_carry_reference_release_and_dates(kb: KnowledgeBase) -> None:
    record = kb.get("HCPCS:G0439")
    assert record is not None
    assert record.release == "2026-01" and record.effective is not None
    ptp = kb.get("PTP:93000/93010")
    assert ptp is not None and "93010" in ptp.text
    chunks = kb.conn.execute(
        "SELECT title, ref FROM chunks WHERE ref = 'IOM:100-04/12/40.8'"
    ).fetchall()
    assert chunks and all("40.8" in title for title, _ in chunks)


def _small_mirror(cms_dir: Path, tmp_path: Path) -> Path:
    mirror = tmp_path / "mirror"
    shutil.copytree(cms_dir / "pos", mirror / "pos")
    shutil.copytree(cms_dir / "ncd", mirror / "ncd")
    shutil.copytree(
        cms_dir / "ncci",
        mirror / "ncci",
        ignore=shutil.ignore_patterns("*ptp*", "*outpatient*", "*dme*"),
    )
    return mirror


def test_unchanged_rebuild_does_no_work_and_changed_input_rebuilds(
    cms_dir: Path, tmp_path: Path
) -> None:
    mirror = _small_mirror(cms_dir, tmp_path)
    settings = Settings(
        home=tmp_path / "home", sources=mirror, embeddings=False, vault=tmp_path / "no-vault"
    )
    first = build(settings, progress=False, log=lambda _m: None)
    assert first.changed
    again = build(settings, progress=False, log=lambda _m: None)
    assert not again.changed and again.path == first.path
    with (mirror / "ncd/ncd_sample.jsonl").open("a") as handle:
        handle.write("")  # same bytes: still unchanged
    assert not build(settings, progress=False, log=lambda _m: None).changed
    pos = mirror / "pos/place_of_service_codes.csv"
    pos.write_text(pos.read_text() + "")
    lines = pos.read_text().splitlines()
    pos.write_text("\n".join(lines[:-1]) + "\n")
    third = build(settings, progress=False, log=lambda _m: None)
    assert third.changed and third.path != first.path
    assert any(item.startswith("pos@") for item in third.parsed)
    assert any(item.startswith("ncd@") for item in third.reused)


class _StoppedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self, tz: object = None) -> datetime:
        return self.at


def test_builds_in_quick_succession_get_folders_of_their_own(
    cms_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forced rebuild right after a build (same process, same second) once collided with
    the first build's folder name: here the clock stands still."""
    stopped = datetime(2026, 12, 3, 7, 35, 57, tzinfo=UTC)
    monkeypatch.setattr(build_module, "datetime", _StoppedClock(stopped))
    mirror = _small_mirror(cms_dir, tmp_path)
    settings = Settings(
        home=tmp_path / "home", sources=mirror, embeddings=False, vault=tmp_path / "no-vault"
    )
    made = [build(settings, progress=False, force=True, log=lambda _m: None).path for _ in range(3)]
    assert len(set(made)) == 3 and sorted(made) == made
    assert settings.current.resolve() == made[-1].resolve()


def test_corrupt_input_fails_clearly_and_keeps_the_previous_knowledge_base(
    cms_dir: Path, tmp_path: Path
) -> None:
    mirror = _small_mirror(cms_dir, tmp_path)
    settings = Settings(
        home=tmp_path / "home", sources=mirror, embeddings=False, vault=tmp_path / "no-vault"
    )
    good = build(settings, progress=False, log=lambda _m: None)
    before = KnowledgeBase.open(settings)
    assert before.get("POS:11") is not None

    ncd = mirror / "ncd/ncd_sample.jsonl"
    lines = ncd.read_text().splitlines()
    lines[4] = lines[4][: len(lines[4]) // 2]  # a truncated JSON line
    ncd.write_text("\n".join(lines) + "\n")
    with pytest.raises(MedrefError) as failure:
        build(settings, progress=False, log=lambda _m: None)
    message = str(failure.value)
    assert "ncd_sample.jsonl" in message and "line 5" in message

    after = KnowledgeBase.open(settings)
    assert after.path == good.path
    assert after.get("POS:11") is not None and after.get("NCD:240.4") is not None
    leftovers = [p for p in settings.builds.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_truncated_gzip_names_the_file(cms_dir: Path, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "ncci/2024-07").mkdir(parents=True)
    source = cms_dir / "ncci/2024-07/ncci_ptp_practitioner_2024-07-01.csv.gz"
    target = mirror / "ncci/2024-07" / source.name
    target.write_bytes(source.read_bytes()[:200_000])
    settings = Settings(
        home=tmp_path / "home", sources=mirror, embeddings=False, vault=tmp_path / "no-vault"
    )
    with pytest.raises(MedrefError) as failure:
        build(settings, only=["ncci-ptp-practitioner"], progress=False, log=lambda _m: None)
    assert source.name in str(failure.value)
    assert not settings.current.exists()


def test_a_killed_build_leaves_no_folder_after_the_next_build(
    cms_dir: Path, tmp_path: Path
) -> None:
    mirror = _small_mirror(cms_dir, tmp_path)
    settings = Settings(
        home=tmp_path / "home", sources=mirror, embeddings=False, vault=tmp_path / "no-vault"
    )
    settings.builds.mkdir(parents=True)
    dead = settings.builds / "20200101T000000-999999999.tmp"  # no such process
    dead.mkdir()
    (dead / "kb.sqlite").write_bytes(b"half a database")
    build(settings, progress=False, log=lambda _m: None)
    assert not dead.exists()
    assert not [p for p in settings.builds.iterdir() if p.name.endswith(".tmp")]


def test_leaving_out_the_diagnosis_vectors_makes_a_different_build(tmp_path: Path) -> None:
    from medref.kb.build import build_settings_key

    def key(**knobs: bool) -> object:
        return build_settings_key(Settings(home=tmp_path, **knobs), [])

    assert key(embed_diagnoses=True) != key(embed_diagnoses=False)
    assert key(embeddings=False, embed_diagnoses=True) == key(
        embeddings=False, embed_diagnoses=False
    ), "without embeddings the knob changes nothing"
