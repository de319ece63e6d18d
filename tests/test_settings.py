"""The one Settings object: environment variables, blanks and derived folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from medref.settings import Settings


def test_environment_sets_fields_and_blank_means_unset(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MEDREF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MEDREF_SOURCES", "")
    monkeypatch.setenv("MEDREF_EMBEDDINGS", "false")
    monkeypatch.setenv("MEDREF_API_KEYS", '["k1", "k2"]')
    settings = Settings()
    assert settings.home == tmp_path / "home"
    assert settings.sources is None and settings.source_root == tmp_path / "home" / "downloads"
    assert settings.embeddings is False and settings.api_keys == ["k1", "k2"]
    assert settings.current == tmp_path / "home" / "current"


def test_a_mirror_is_read_instead_of_the_download_cache(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, sources=tmp_path / "mirror")
    assert settings.source_root == tmp_path / "mirror"


def test_columnar_memory_is_a_duckdb_size_or_unset(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from medref.errors import SettingsError
    from medref.settings import load_settings

    assert Settings(home=tmp_path).columnar_memory is None  # DuckDB's default in duck.py
    monkeypatch.setenv("MEDREF_COLUMNAR_MEMORY", "1500MB")
    assert load_settings(home=tmp_path).columnar_memory == "1500MB"
    monkeypatch.setenv("MEDREF_COLUMNAR_MEMORY", "lots; DROP TABLE lines")
    with pytest.raises(SettingsError, match="MEDREF_COLUMNAR_MEMORY"):
        load_settings(home=tmp_path)
