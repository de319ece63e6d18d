"""The knowledge vault: every page parses and is linked into one browsable whole, every
citation names a reference that exists in the real CMS files, no AMA text slips in, and the
vault source turns each page into one citable record."""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from medref import __version__, refs
from medref.errors import SourceFormatError
from medref.sources.vault import SOURCES, VaultSource
from medref.vault import (
    INDEX,
    VaultPage,
    backlinks,
    check_links,
    load_vault,
    parse_page,
    render_links,
)

REPO = Path(__file__).resolve().parents[1]
VAULT_DIR = REPO / "src" / "medref" / "vault_pages"
CMS = REPO.parent / "shared" / "cms"

REQUIRED = {
    "index",
    "cpt-codes",
    "cpt-categories",
    "hcpcs-level-ii",
    "icd-10-cm",
    "icd-10-pcs",
    "modifiers",
    "modifier-25",
    "modifier-59-and-x-modifiers",
    "ncci",
    "ncci-ptp-edits",
    "mue",
    "add-on-codes",
    "global-surgery",
    "em-leveling",
    "medical-decision-making",
    "prolonged-services",
    "split-shared-visits",
    "telehealth",
    "medical-necessity-coding",
    "coverage-determination",
    "ncd",
    "lcd",
    "billing-articles",
    "abn",
    "medicare-part-a",
    "medicare-part-b",
    "medicare-part-c",
    "medicare-part-d",
    "macs",
    "claims-lifecycle",
    "cms-1500-837p",
    "ub-04-837i",
    "remittance-and-denials",
    "carc-rarc",
    "appeals",
    "timely-filing",
    "incident-to",
    "place-of-service",
    "fee-schedule-and-rvus",
    "durable-medical-equipment",
    "preventive-services",
    "stark-and-anti-kickback",
    "medref-sources",
    "medref-pipeline",
    "medref-retrieval",
    "medref-evaluation",
    "medref-claim-checks",
}

AMA_PHRASES = (
    # CPT descriptor and guideline wording that must never be shipped (lowercase).
    "office or other outpatient visit for the evaluation and management of",
    "which requires a medically appropriate history and/or examination",
    "when using total time on the date of the encounter for code selection",
    "initial hospital inpatient or observation care, per day, for the evaluation",
    "subsequent hospital inpatient or observation care, per day, for the evaluation",
    "emergency department visit for the evaluation and management of a patient",
    "arthrocentesis, aspiration and/or injection, major joint or bursa",
    "routine ecg with at least 12 leads",
    "with removal of tumor(s), polyp(s), or other lesion(s) by snare technique",
    "beyond the required time of the primary service when the primary service level",
    "periodic oral evaluation - established patient",
)

_REFERENCE = r"[A-Z][A-Z0-9]*:[^\s(),;]+(?:\([^\s(),;]+\))*"
CITATION = re.compile(rf"\(({_REFERENCE}(?:[,;] {_REFERENCE})*)\)")
"""An inline citation: canonical references in parentheses, separated by `, ` or `; `."""
CITATION_LIKE = re.compile(r"\([A-Za-z][A-Za-z0-9]*:(?=\S)")
SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z]")


@pytest.fixture(scope="module")
def pages() -> list[VaultPage]:
    return load_vault(VAULT_DIR)


def test_every_page_parses_and_the_vault_is_large_enough(pages: list[VaultPage]) -> None:
    assert len(pages) >= 44
    slugs = {page.slug for page in pages}
    assert slugs >= REQUIRED, sorted(REQUIRED - slugs)


def test_links_are_whole_no_orphans_and_everything_reachable(pages: list[VaultPage]) -> None:
    assert [str(problem) for problem in check_links(pages)] == []


def test_the_index_links_every_page_directly(pages: list[VaultPage]) -> None:
    index = next(page for page in pages if page.slug == INDEX)
    assert set(index.links) == {page.slug for page in pages} - {INDEX}


def test_each_page_has_the_house_shape(pages: list[VaultPage]) -> None:
    for page in pages:
        words = len(page.body.split())
        assert 250 <= words <= 600, f"{page.slug}: {words} words"
        assert page.description.endswith("."), page.slug
        assert not SENTENCE_BREAK.search(page.description), f"{page.slug}: one sentence"
        headings = [line for line in page.body.split("\n") if line.startswith("## ")]
        assert headings and headings[-1] == "## Connections", page.slug
        connections = page.body.rsplit("## Connections", 1)[1]
        assert "[[" in connections, f"{page.slug}: Connections has no links"


def test_citations_use_known_prefixes_and_the_canonical_form(pages: list[VaultPage]) -> None:
    for page in pages:
        for match in CITATION_LIKE.finditer(page.body):
            citation = CITATION.match(page.body, match.start())
            assert citation, f"{page.slug}: malformed citation {page.body[match.start() :][:40]!r}"
            for prefix, _ident in _references(citation):
                assert prefix in refs.PREFIXES, f"{page.slug}: unknown prefix {prefix}"


def test_every_citation_exists_in_the_real_sources(pages: list[VaultPage], cms_dir: Path) -> None:
    assert cms_dir == CMS
    cited = {
        (prefix, ident, page.slug)
        for page in pages
        for citation in CITATION.finditer(page.body)
        for prefix, ident in _references(citation)
    }
    assert len(cited) > 100
    slugs = {page.slug for page in pages}
    ptp = ptp_pairs({ident for prefix, ident, _slug in cited if prefix == "PTP"})
    missing = [
        f"{slug}: {prefix}:{ident}"
        for prefix, ident, slug in sorted(cited)
        if not resolves(prefix, ident, slugs, ptp)
    ]
    assert missing == []


def _references(citation: re.Match[str]) -> list[tuple[str, str]]:
    """(prefix, identifier) of each reference in one citation."""
    return [
        (ref.partition(":")[0], ref.partition(":")[2])
        for ref in re.split(r"[,;] ", citation.group(1))
    ]


def test_no_page_carries_ama_descriptor_text(pages: list[VaultPage]) -> None:
    for page in pages:
        text = f"{page.description}\n{page.body}".lower()
        for phrase in AMA_PHRASES:
            assert phrase not in text, f"{page.slug}: {phrase!r}"


def test_backlinks_point_back_along_every_link(pages: list[VaultPage]) -> None:
    inbound = backlinks(pages)
    assert set(inbound) == {page.slug for page in pages}
    assert "index" in inbound["cpt-codes"]
    for page in pages:
        for target in page.links:
            if target != page.slug:
                assert page.slug in inbound[target]


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        ("# Title\n\nNo front matter.\n", 1, "does not start with front matter"),
        ('---\ndescription: "never closed"\n\n# Title\n', 1, "never closed"),
        ("---\naliases: [a]\n---\n\n# Title\n", 1, "no description"),
        ('---\ndescription: "ok."\nthis is not a key\n---\n# T\n', 3, "not key: value"),
        ('---\ndescription: "ok."\ncolour: red\n---\n# T\n', 3, "unknown front-matter key"),
        ('---\ndescription: "unclosed\n---\n# T\n', 2, "not closed"),
        ("---\ndescription: plain: with colon\n---\n# T\n", 2, "needs quotes"),
        ('---\ndescription: "ok."\naliases: [a, b\n---\n# T\n', 3, "not closed"),
        ('---\ndescription: "ok."\ndescription: "again."\n---\n# T\n', 3, "appears twice"),
        ('---\ndescription: "ok."\n---\n\nNo heading here.\n', 5, "no '# Title' heading"),
    ],
)
def test_malformed_pages_name_file_line_and_fix(
    tmp_path: Path, content: str, line: int, problem: str
) -> None:
    path = tmp_path / "bad-page.md"
    path.write_text(content)
    with pytest.raises(SourceFormatError) as failure:
        parse_page(path)
    assert failure.value.path == path
    assert failure.value.line == line
    assert problem in failure.value.problem
    assert "What to do" in str(failure.value)


def test_a_file_name_that_is_not_a_slug_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "Bad Name.md"
    path.write_text('---\ndescription: "ok."\n---\n# T\n')
    with pytest.raises(SourceFormatError, match="not a slug"):
        parse_page(path)


def test_a_page_parses_into_its_fields(tmp_path: Path) -> None:
    path = tmp_path / "sample-page.md"
    path.write_text(
        '---\ndescription: "A page about \\"things\\": links."\n'
        "aliases: [one, \"two, three\", 'it''s']\n---\n\n# Sample Page\n\n"
        "See [[other]] and [[third|the third page]].\n\n## Connections\n\n[[other]]\n"
    )
    page = parse_page(path)
    assert page.slug == "sample-page" and page.title == "Sample Page"
    assert page.description == 'A page about "things": links.'
    assert page.aliases == ["one", "two, three", "it's"]
    assert page.links == ["other", "third"]
    assert page.body_line == 8 and page.body.startswith("See [[other]]")
    assert render_links(page.body).startswith("See other and the third page.")


def test_link_problems_name_the_file_and_line(tmp_path: Path) -> None:
    write = _page_writer(tmp_path)
    write("index", "[[a]]")
    write("a", "[[index]]\n\nSee [[missing-page]].")
    write("b", "[[c]]")
    write("c", "[[b]]")
    write("d", "[[index]]")
    problems = check_links(load_vault(tmp_path))
    found = {(p.kind, p.slug, p.line, p.target) for p in problems}
    assert found == {
        ("broken", "a", 9, "missing-page"),
        ("orphan", "d", None, None),
        ("unreachable", "b", None, None),
        ("unreachable", "c", None, None),
        ("unreachable", "d", None, None),
    }
    broken = next(p for p in problems if p.kind == "broken")
    assert str(broken).startswith(f"{tmp_path / 'a.md'}, line 9:")


def test_the_vault_source_yields_one_record_per_page(pages: list[VaultPage]) -> None:
    [source] = SOURCES
    assert source.name == "vault" and source.downloads() == []
    [release] = source.discover(VAULT_DIR)
    assert release.release == f"medref-{__version__}"
    records = list(source.parse(release))
    assert [r.ref for r in records] == [f"WIKI:{page.slug}" for page in pages]
    by_ref = {record.ref: record for record in records}
    cpt = by_ref["WIKI:cpt-codes"]
    assert cpt.kind == "page" and cpt.title == "CPT Codes" and cpt.source == "vault"
    assert "[[" not in cpt.text and cpt.text.startswith(cpt.data["description"])
    assert cpt.data["path"] == "vault/cpt-codes.md" and "hcpcs-level-ii" in cpt.data["links"]
    json.dumps([record.data for record in records])


def test_the_fingerprint_follows_content_and_a_missing_vault_has_none(tmp_path: Path) -> None:
    """The release is a name people read (the newest page's date); the fingerprint, which
    decides whether a build parses the vault again, follows every byte of every page."""
    write = _page_writer(tmp_path / "vault")
    write("index", "[[a]]")
    write("a", "[[index]]")
    source = VaultSource()
    [first] = source.discover(tmp_path / "vault")
    newest = max(path.stat().st_mtime for path in first.files)
    assert first.release == datetime.fromtimestamp(newest, UTC).date().isoformat()
    before = first.fingerprint(source.parser_version)
    write("a", "[[index]] and more")
    [second] = source.discover(tmp_path / "vault")
    assert second.fingerprint(source.parser_version) != before
    assert source.discover(tmp_path / "elsewhere") == []


def _page_writer(folder: Path) -> Callable[[str, str], None]:
    folder.mkdir(parents=True, exist_ok=True)

    def write(slug: str, body: str) -> None:
        (folder / f"{slug}.md").write_text(
            f'---\ndescription: "Page {slug}."\n---\n\n# {slug}\n\n{body}\n'
        )

    return write


# --- resolving citations against ../shared/cms ------------------------------------------


def resolves(prefix: str, ident: str, slugs: set[str], ptp: set[str]) -> bool:
    """True when the reference names a record present in the real files."""
    checks: dict[str, Callable[[str], bool]] = {
        "IOM": lambda i: i in iom_sections(),
        "NCD": lambda i: i in ncd_sections(),
        "USC": statute_has,
        "HCPCS": lambda i: i in hcpcs_entries("3"),
        "MOD": lambda i: i in hcpcs_entries("7"),
        "MUE": lambda i: i in mue_codes(),
        "AOC": lambda i: i in aoc_pairs(),
        "PTP": lambda i: i in ptp,
        "PFS": lambda i: i in pfs_codes(),
        "POS": lambda i: i in pos_codes(),
        "ICD10CM": lambda i: i.replace(".", "") in icd10cm_codes(),
        "WIKI": lambda i: i in slugs,
    }
    check = checks.get(prefix)
    return check is not None and check(ident)


@cache
def iom_sections() -> frozenset[str]:
    found: set[str] = set()
    for path in (CMS / "manuals/iom").glob("sections-*.jsonl"):
        for line in path.read_text().splitlines():
            publication, chapter, section = json.loads(line)["id"].split("/")
            found.add(f"{publication.removeprefix('pub')}/{chapter.removeprefix('ch')}/{section}")
    return frozenset(found)


@cache
def ncd_sections() -> frozenset[str]:
    lines = (CMS / "ncd/ncd_sample.jsonl").read_text().splitlines()
    return frozenset(json.loads(line)["ncd_section"] for line in lines)


def statute_has(ident: str) -> bool:
    """`42/1395y(a)(1)(A)`: the section file exists, `(a)` is one of its subsection headings
    and each deeper paragraph marker starts a line of that subsection, in order."""
    title, _, rest = ident.partition("/")
    section, *markers = re.split(r"(?=\()", rest)
    path = CMS / "statute/ssa-title-18" / f"{title}usc{section}.md"
    if title != "42" or not path.is_file():
        return False
    if not markers:
        return True
    lines = _subsection_lines(path, markers[0])
    position = 0
    for marker in markers[1:]:
        position = next((i for i in range(position, len(lines)) if lines[i].startswith(marker)), -1)
        if position < 0:
            return False
    return bool(lines)


def _subsection_lines(path: Path, marker: str) -> list[str]:
    lines: list[str] = []
    current = None
    for line in path.read_text().splitlines():
        if line.startswith("##### ("):
            current = line[6:].split(" ", 1)[0]
        elif current == marker:
            lines.append(line)
    return lines


@cache
def hcpcs_entries(record_type: str) -> frozenset[str]:
    """Codes (record type 3) or modifiers (7) of the official fixed-width file."""
    path = CMS / "hcpcs/2026-01/HCPC2026_JAN_ANWEB_01122026.txt"
    found = set()
    for line in path.read_text(encoding="cp1252").splitlines():
        if line[10:11] == record_type:
            found.add(line[:5].strip() if record_type == "3" else line[3:5])
    return frozenset(found)


@cache
def mue_codes() -> frozenset[str]:
    return frozenset(
        row["hcpcs_code"]
        for path in (CMS / "ncci/2024-07").glob("ncci_mue_*.csv")
        for row in csv.DictReader(path.read_text().splitlines())
    )


@cache
def aoc_pairs() -> frozenset[str]:
    path = next((CMS / "ncci/2024-07").glob("ncci_add_on_code_edits_*.csv"))
    return frozenset(
        f"{row['primary_code']}/{row['add_on_code']}"
        for row in csv.DictReader(path.read_text().splitlines())
    )


def ptp_pairs(wanted: set[str]) -> set[str]:
    """Which of the wanted `column1/column2` pairs appear in a PTP table."""
    found: set[str] = set()
    for path in (CMS / "ncci/2024-07").glob("ncci_ptp_*.csv.gz"):
        with gzip.open(path, "rt") as handle:
            for line in handle:
                pair = "/".join(line.split(",", 2)[:2])
                if pair in wanted:
                    found.add(pair)
    return found


@cache
def pfs_codes() -> frozenset[str]:
    with (CMS / "pfs/2025-01/PPRRVU25_JAN.csv").open() as handle:
        return frozenset(row[0] for row in csv.reader(handle) if row and row[0])


@cache
def pos_codes() -> frozenset[str]:
    with (CMS / "pos/place_of_service_codes.csv").open() as handle:
        return frozenset(row["pos_code"] for row in csv.DictReader(handle))


@cache
def icd10cm_codes() -> frozenset[str]:
    text = (CMS / "icd10cm/2026-04/code-list-April-2026.txt").read_text()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())
