"""Every corruption of the fault probe (issue 15), replayed on the real files: none goes live,
each is refused with a message naming the file (and the line where there is one), and the
knowledge base in force stays in use. Plus hypothesis strategies for source rows: a valid
MUE row reads back as written, and any damaged one is an error naming the file and line."""

from __future__ import annotations

import csv
import gzip
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medref.cli import cli
from medref.errors import SourceChangeError, SourceError, SourceFormatError
from medref.kb import KnowledgeBase
from medref.services.knowledge import build
from medref.settings import Settings
from medref.sources.manifest import MANIFEST
from medref.sources.ncci_mue import PRACTITIONER, RESHAPED_MUE_COLUMNS, read_reshaped_mue
from servers import small_mirror

NCCI = "ncci/2024-07"
PTP = "ncci_ptp_practitioner_2024-07-01.csv.gz"
HCPCS = "hcpcs/2026-01/HCPC2026_JAN_ANWEB_01122026.txt"
ICD_CSV = "icd10cm/2025/icd10cm_2025_codes.csv"
POS = "pos/place_of_service_codes.csv"


def _settings(tmp_path: Path, mirror: Path) -> Settings:
    return Settings(
        home=tmp_path / "home", sources=mirror, embeddings=False, vault=tmp_path / "no-vault"
    )


def _quiet(_: str) -> None:
    pass


def _refused(settings: Settings, *names: str) -> str:
    """The message of a build refused with a SourceError, the base in force untouched."""
    before = settings.current.resolve() if settings.current.exists() else None
    with pytest.raises(SourceError) as failure:
        build(settings, only=names or None, progress=False, log=_quiet)
    after = settings.current.resolve() if settings.current.exists() else None
    assert after == before
    assert not [p for p in settings.builds.iterdir() if p.name.endswith(".tmp")]
    return str(failure.value)


def _cli_build(settings: Settings) -> str:
    env = {
        "MEDREF_HOME": str(settings.home),
        "MEDREF_SOURCES": str(settings.sources),
        "MEDREF_EMBEDDINGS": "false",
        "MEDREF_VAULT": str(settings.vault),
    }
    result = CliRunner().invoke(cli, ["build", "--no-progress"], env=env)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.output.startswith("error: ")
    return result.output


def _ptp_subset(cms_dir: Path, target: Path, rows: int) -> None:
    """The first `rows` edits of the real practitioner PTP table, as a valid gzip."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(cms_dir / NCCI / PTP, "rt", encoding="utf-8") as source:
        lines = [next(source) for _ in range(rows + 1)]
    with gzip.open(target, "wt", encoding="utf-8") as out:
        out.writelines(lines)


def test_half_a_ptp_table_in_a_valid_gzip_is_refused(cms_dir: Path, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    _ptp_subset(cms_dir, mirror / NCCI / PTP, 20_000)
    settings = _settings(tmp_path, mirror)
    build(settings, progress=False, log=_quiet)
    _ptp_subset(cms_dir, mirror / NCCI / PTP, 10_000)
    message = _refused(settings)
    assert PTP in message and "10,000 records" in message and "20,000" in message
    assert "--accept-changes" in message


def test_a_changed_file_of_a_downloaded_release_fails_its_manifest(
    cms_dir: Path, tmp_path: Path
) -> None:
    """`medref download --mirror` keeps a SHA-256 manifest; even a first build checks it."""
    home = tmp_path / "home"
    mirror = tmp_path / "mirror"
    _ptp_subset(cms_dir, mirror / NCCI / PTP, 20_000)
    env = {"MEDREF_HOME": str(home), "MEDREF_SOURCES": ""}
    copied = CliRunner().invoke(
        cli, ["download", "--mirror", str(mirror), "--source", "ncci-ptp-practitioner"], env=env
    )
    assert copied.exit_code == 0, copied.output
    cache = home / "downloads"
    assert (cache / "ncci" / MANIFEST).is_file()
    _ptp_subset(cms_dir, cache / NCCI / PTP, 10_000)  # half, still a valid gzip
    settings = Settings(home=home, sources=None, embeddings=False, vault=tmp_path / "no-vault")
    message = _refused(settings)
    assert PTP in message and "does not match" in message and MANIFEST in message


def test_an_empty_hcpcs_file_is_refused(cms_dir: Path, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    (mirror / HCPCS).parent.mkdir(parents=True)
    (mirror / HCPCS).write_bytes(b"")
    message = _refused(_settings(tmp_path, mirror))
    assert "HCPC2026_JAN_ANWEB_01122026.txt" in message and "no records" in message


def test_an_icd_csv_cut_inside_a_quoted_field_is_refused(cms_dir: Path, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    (mirror / ICD_CSV).parent.mkdir(parents=True)
    data = (cms_dir / ICD_CSV).read_bytes()
    quote = data.index(b',"', len(data) * 55 // 100)  # a quoted description past 55%
    (mirror / ICD_CSV).write_bytes(data[: quote + 12])
    line = data[: quote + 12].count(b"\n") + 1
    message = _refused(_settings(tmp_path, mirror))
    assert "icd10cm_2025_codes.csv" in message and f"line {line}" in message


def test_an_empty_ncd_file_under_a_new_release_name_is_refused(
    cms_dir: Path, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, small_mirror(cms_dir, tmp_path / "mirror"))
    build(settings, progress=False, log=_quiet)
    newer = settings.source_root / "ncd/2026-01/ncd_sample.jsonl"
    newer.parent.mkdir()
    newer.write_text("")
    assert "ncd_sample.jsonl" in _refused(settings) and "no records" in _refused(settings)
    sample = (cms_dir / "ncd/ncd_sample.jsonl").read_text().splitlines(keepends=True)
    newer.write_text("".join(sample[:3]))  # 3 of the 12 NCDs in force
    message = _refused(settings)
    assert "ncd 2026-01" in message and "3 records" in message and "2025-07" in message


def test_a_deleted_ncci_folder_is_refused(cms_dir: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path, small_mirror(cms_dir, tmp_path / "mirror"))
    build(settings, progress=False, log=_quiet)
    shutil.rmtree(settings.source_root / "ncci")
    with pytest.raises(SourceChangeError) as failure:
        build(settings, progress=False, log=_quiet)
    message = str(failure.value)
    assert "ncci-mue-practitioner 2024-07 (14,677 records in force)" in message
    assert "ncci-aoc 2024-07" in message and "has no files under" in message
    assert "ncci-mue-practitioner@2024-07" in {
        f"{i.source}@{i.release}" for i in KnowledgeBase.open(settings).releases()
    }


def test_garbage_bytes_in_a_hcpcs_descriptor_are_refused(cms_dir: Path, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    (mirror / HCPCS).parent.mkdir(parents=True)
    lines = (cms_dir / HCPCS).read_bytes().split(b"\n")
    garbage = b"\x01\x13garbage\x7f\x02"
    lines[99] = lines[99][:20] + garbage + lines[99][20 + len(garbage) :]
    (mirror / HCPCS).write_bytes(b"\n".join(lines))
    message = _cli_build(_settings(tmp_path, mirror))
    assert "HCPC2026_JAN_ANWEB_01122026.txt, line 100" in message and "garbage" in message


def test_a_control_character_in_any_source_text_is_refused(cms_dir: Path, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "pos").mkdir(parents=True)
    text = (cms_dir / POS).read_text(encoding="utf-8")
    (mirror / POS).write_text(text.replace("Office", "Off\x07ice", 1), encoding="utf-8")
    message = _refused(_settings(tmp_path, mirror))
    assert "place_of_service_codes.csv" in message and "U+0007" in message


def test_non_utf8_bytes_in_the_iom_jsonl_name_the_line(cms_dir: Path, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    shutil.copytree(cms_dir / "manuals/iom", mirror / "manuals/iom")
    part = sorted((mirror / "manuals/iom").glob("sections-*.jsonl"))[0]
    lines = part.read_bytes().split(b"\n")
    lines[2] = lines[2][:40] + b"\xff\xfe" + lines[2][42:]
    part.write_bytes(b"\n".join(lines))
    message = _cli_build(_settings(tmp_path, mirror))
    assert f"{part.name}, line 3" in message and "not UTF-8" in message


def test_an_unreadable_file_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "pos").mkdir(parents=True)
    (mirror / POS).symlink_to("/proc/self/mem")  # a regular file whose read fails (EIO)
    message = _cli_build(_settings(tmp_path, mirror))
    assert "place_of_service_codes.csv" in message or "/proc/self/mem" in message
    assert "cannot be read" in message


def test_a_pos_csv_with_an_unterminated_quote_names_the_line(cms_dir: Path, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "pos").mkdir(parents=True)
    lines = (cms_dir / POS).read_text(encoding="utf-8").splitlines(keepends=True)
    lines[10] = lines[10].replace(",", ',"', 1)
    (mirror / POS).write_text("".join(lines), encoding="utf-8")
    message = _refused(_settings(tmp_path, mirror))
    assert "place_of_service_codes.csv" in message and "line" in message


# -- hypothesis: MUE rows -------------------------------------------------------------------

codes = st.from_regex(r"[0-9A-Z]{5}", fullmatch=True)
rationales = st.text(
    st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_characters='"'),
    max_size=40,
).map(str.strip)
mue_rows = st.tuples(codes, st.integers(0, 9_999), st.sampled_from([1, 2, 3]), rationales)


def _mue_file(tmp_path: Path, rows: list[list[str]]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RESHAPED_MUE_COLUMNS)
    writer.writerows(rows)
    path = tmp_path / "ncci_mue_practitioner_2024-07-01.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _read(path: Path) -> Iterator[tuple[str, int, int, str]]:
    for row in read_reshaped_mue(path, PRACTITIONER):
        yield row.code, row.units, row.mai, row.rationale


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(mue_rows, min_size=1, max_size=20))
def test_valid_mue_rows_read_back_as_written(
    tmp_path: Path, rows: list[tuple[str, int, int, str]]
) -> None:
    path = _mue_file(tmp_path, [[c, str(u), str(m), r, "Practitioner"] for c, u, m, r in rows])
    assert list(_read(path)) == rows


damage = st.sampled_from(
    [
        lambda row: row[:3],  # a row cut short
        lambda row: [*row, "extra"],
        lambda row: ["99 99", *row[1:]],  # not a code
        lambda row: [row[0], "-1", *row[2:]],  # negative units
        lambda row: [row[0], "²", *row[2:]],  # a digit int() refuses
        lambda row: [row[0], row[1], "7", *row[3:]],  # no such MAI
        lambda row: [*row[:4], "DME Supplier"],  # the wrong table
    ]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(mue_rows, min_size=1, max_size=10), at=st.integers(0, 9), hurt=damage)
def test_a_damaged_mue_row_is_an_error_naming_its_line(
    tmp_path: Path, rows: list[tuple[str, int, int, str]], at: int, hurt: object
) -> None:
    cells = [[c, str(u), str(m), r, "Practitioner"] for c, u, m, r in rows]
    at = at % len(cells)
    cells[at] = hurt(cells[at])  # type: ignore[operator]
    path = _mue_file(tmp_path, cells)
    with pytest.raises(SourceFormatError) as failure:
        list(_read(path))
    assert failure.value.path == path and failure.value.line == at + 2
