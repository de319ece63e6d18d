"""The statute: every section file of the real Markdown export becomes a section record, with
subsection and paragraph records whose paths follow the Code's marker sequence."""

from __future__ import annotations

from pathlib import Path

import pytest

from medref.errors import SourceFormatError
from medref.records import Record
from medref.sources.base import Release
from medref.sources.statute import EXPORT_RELEASE, SECTION_TEXT_LIMIT, STATUTE

CMS = Path(__file__).resolve().parents[1].parent / "shared" / "cms"
EXPORT = CMS / "statute" / "ssa-title-18"


def _records(release: Release) -> dict[str, Record]:
    rows = list(STATUTE.parse(release))
    records = {row.ref: row for row in rows if isinstance(row, Record)}
    assert len(records) == len(rows), "references are unique and every row is a record"
    return records


@pytest.fixture(scope="module")
def real() -> dict[str, Record]:
    (release,) = STATUTE.discover(CMS)
    return _records(release)


def test_every_section_file_becomes_a_section_record(real: dict[str, Record]) -> None:
    files = sorted(EXPORT.glob("42usc1395*.md"))
    assert len(files) == 133
    sections = {ref for ref, record in real.items() if record.kind == "section"}
    assert sections == {f"USC:42/{path.stem.removeprefix('42usc')}" for path in files}
    (release,) = STATUTE.discover(CMS)
    assert release.release == EXPORT_RELEASE == "2022"


def test_references_the_eval_needs(real: dict[str, Record]) -> None:
    dme = real["USC:42/1395x(n)"]
    assert (
        dme.kind == "subsection" and dme.title == "42 U.S.C. 1395x(n) — Durable medical equipment"
    )
    assert "The term “durable medical equipment” includes iron lungs" in dme.text
    exclusions = real["USC:42/1395y(a)"]
    assert exclusions.parent == "USC:42/1395y"
    assert (
        "not reasonable and necessary for the diagnosis or treatment of illness" in exclusions.text
    )
    assert "80 percent of the reasonable charges" in real["USC:42/1395l(a)"].text
    assert "1 calendar year after the date of service" in real["USC:42/1395n(a)"].text
    assert real["USC:42/1395pp"].title.startswith("42 U.S.C. 1395pp — Limitation on liability")
    self_referral = real["USC:42/1395nn"]
    assert self_referral.title == "42 U.S.C. 1395nn — Limitation on certain physician referrals"
    assert "Prohibition of certain referrals" in self_referral.text


def test_paragraph_paths_follow_the_marker_sequence(real: dict[str, Record]) -> None:
    not_necessary = real["USC:42/1395y(a)(1)(A)"]
    assert not_necessary.parent == "USC:42/1395y(a)(1)"
    assert not_necessary.text.startswith("(A) which, except for items and services")
    home_health = real["USC:42/1395y(a)(1)(I)"]  # the letter I after (H), not a roman one
    assert home_health.data["level"] == "subparagraph"
    assert home_health.text.startswith("(I) the frequency and duration of home health services")
    assert "USC:42/1395y(a)(1)(H)(I)" not in real
    cost = real["USC:42/1395l(a)(2)(B)(i)(I)"]  # roman I under a clause ending "the lesser of"
    assert cost.data["level"] == "subclause" and cost.parent == "USC:42/1395l(a)(2)(B)(i)"
    assert real["USC:42/1395l(a)(2)(B)(ii)"].data["level"] == "clause"
    for record in real.values():
        assert record.parent is None or record.parent in real
        assert (record.parent is None) == (record.kind == "section")


def test_headings_and_kinds(real: dict[str, Record]) -> None:
    general = real["USC:42/1395a(b)(1)"]
    assert general.kind == "paragraph" and general.data["heading"] == "In general"
    assert general.title == "42 U.S.C. 1395a(b)(1) — In general"
    untitled = real["USC:42/1395y(a)(1)"]
    assert untitled.data["heading"] is None
    assert untitled.title == "42 U.S.C. 1395y(a)(1) — Items or services specifically excluded"


def test_long_text_is_kept_whole_below_the_section(real: dict[str, Record]) -> None:
    payment = real["USC:42/1395l(a)(1)"]
    assert (
        len(payment.text) > 10_000
        and "(EE) with respect to a part B rebatable drug" in payment.text
    )
    hospital = real["USC:42/1395ww"]
    assert hospital.data["truncated"] is True and len(hospital.text) <= SECTION_TEXT_LIMIT
    source = (EXPORT / "42usc1395ww.md").read_text(encoding="utf-8")
    last_line = source.strip().splitlines()[-1]
    subsections = [r for r in real.values() if r.parent == "USC:42/1395ww"]
    assert any(last_line in record.text for record in subsections)
    assert real["USC:42/1395b"].data["truncated"] is False


def test_context_headings_are_not_repeated_in_the_text(real: dict[str, Record]) -> None:
    costs = real["USC:42/1395x(v)"].text
    repeated = "(v) For services furnished by home health agencies for cost reporting periods"
    assert costs.count(repeated) == 1
    assert costs.count("(v) Reasonable costs") == 1
    assert "#" not in costs


def test_downloads_name_the_official_subchapter() -> None:
    (spec,) = STATUTE.downloads()
    assert spec.url.startswith("https://uscode.house.gov/")
    assert "title42/chapter7/subchapter18" in spec.url


# ---- fixtures of the export layout ----------------------------------------------------------

FIXTURE = """# 42 U.S.C. § 1395zz-9. Fixture section

#### § 1395zz–9. Fixture section
##### (a) In general

The Secretary shall pay

(1)

(A) for the first fixture item;

(B) for the second fixture item, the lesser of

(i) the actual charge, or

(ii) the fee schedule amount; and

(C) for the third fixture item, the lesser of

(i) the amount determined under

(I) the first fixture rule, or

(II) the second fixture rule; or

(ii) the negotiated rate,

(D) for the fourth item,

(E) fifth,

(F) sixth,

(G) seventh,

(H) eighth,

(I) ninth, after the letter H.

#### § 1395zz–9. Fixture section
##### (a) In general
######## (J) A tenth item with its own sub-list

(i) a clause after a context heading.

(L) a twelfth item after a struck eleventh.

##### (b) Definitions

(1) Fixture term

The term “fixture” means a test input.
"""


def _fixture(tmp_path: Path, text: str = FIXTURE, name: str = "42usc1395zz-9.md") -> Path:
    folder = tmp_path / "statute" / "ssa-title-18"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def test_fixture_tree(tmp_path: Path) -> None:
    path = _fixture(tmp_path)
    records = _records(Release("statute", "t", (path,)))
    base = "USC:42/1395zz-9"
    assert records[base].title == "42 U.S.C. 1395zz-9 — Fixture section"
    assert records[f"{base}(a)(1)(B)(ii)"].parent == f"{base}(a)(1)(B)"
    assert records[f"{base}(a)(1)(C)(i)(II)"].data["level"] == "subclause"
    assert records[f"{base}(a)(1)(C)(ii)"].text == "(ii) the negotiated rate,"
    assert records[f"{base}(a)(1)(I)"].data["level"] == "subparagraph"
    assert records[f"{base}(a)(1)(J)(i)"].text == "(i) a clause after a context heading."
    assert records[f"{base}(a)(1)(L)"].parent == f"{base}(a)(1)"
    assert records[f"{base}(b)(1)"].data["heading"] == "Fixture term"
    assert records[f"{base}(a)"].text.count("(a) In general") == 1
    assert "(1)\n(A) for the first fixture item;" in records[f"{base}(a)(1)"].text


def test_release_folders_and_flat_export(tmp_path: Path) -> None:
    _fixture(tmp_path)
    newer = tmp_path / "statute" / "ssa-title-18" / "2026-09"
    newer.mkdir()
    (newer / "42usc1395zz-9.md").write_text(FIXTURE, encoding="utf-8")
    assert [r.release for r in STATUTE.discover(tmp_path)] == [EXPORT_RELEASE, "2026-09"]


@pytest.mark.parametrize(
    ("text", "name", "problem", "line"),
    [
        ("42 U.S.C. 1395zz-9 Fixture\n", "42usc1395zz-9.md", "first line is not", 1),
        (FIXTURE, "42usc1395zz-8.md", "names § 1395zz-9", 1),
        (
            FIXTURE.replace("##### (b)", "### (b)"),
            "42usc1395zz-9.md",
            "heading of a level",
            FIXTURE.splitlines().index("##### (b) Definitions") + 1,
        ),
        ("\n\n", "42usc1395zz-9.md", "empty", None),
    ],
)
def test_malformed_files_are_errors(
    tmp_path: Path, text: str, name: str, problem: str, line: int | None
) -> None:
    path = _fixture(tmp_path, text, name)
    with pytest.raises(SourceFormatError, match=problem) as caught:
        _records(Release("statute", "t", (path,)))
    assert caught.value.line == line and name in str(caught.value)
