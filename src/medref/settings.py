"""One validated Settings object, read once from the environment (`MEDREF_*`) and passed
explicitly. Nothing else in medref reads `os.environ`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import platformdirs
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as PydanticSettingsError

from medref.errors import SettingsError

PACKAGED_VAULT = Path(__file__).resolve().parent / "vault_pages"
"""The knowledge vault ships inside the package, so an installed wheel has it."""


def _default_home() -> Path:
    return Path(platformdirs.user_data_dir("medref", appauthor=False))


class Settings(BaseSettings):
    """Every knob medref has. Environment variables are the field names upper-cased with
    the `MEDREF_` prefix, e.g. `MEDREF_HOME`, `MEDREF_SOURCES`, `MEDREF_EMBEDDINGS`."""

    model_config = SettingsConfigDict(
        env_prefix="MEDREF_", extra="ignore", use_attribute_docstrings=True
    )

    home: Path = Field(default_factory=_default_home)
    """Knowledge base folder: builds, the `current` link and the download cache."""
    sources: Path | None = None
    """Mirror folder laid out like ../shared/cms; when unset, `medref download` fills the cache."""
    vault: Path = PACKAGED_VAULT
    """The knowledge vault (Markdown concept pages)."""
    embeddings: bool = True
    """Compute dense vectors at build time (packaged MiniLM int8 ONNX; no download)."""
    embed_diagnoses: bool = True
    """With embeddings, also embed every ICD-10-CM code for lay diagnosis questions (~98k texts, the longest part of a first build)."""
    embed_batch: int = 64
    """Texts embedded per batch at build time."""
    keep_builds: Annotated[int, Field(ge=1)] = 2
    """Builds kept on disk, the current one included (older ones go once no server reads them)."""
    max_record_drop: Annotated[float, Field(ge=0.0, le=1.0)] = 0.1
    """Share of a release's records that may vanish before a build stops (see --accept-changes)."""
    cpt_descriptors: Path | None = None
    """A licensed CPT descriptor file (code<TAB>descriptor) to show descriptors from."""
    llm_base_url: str | None = None
    """OpenAI-compatible endpoint for the optional LLM answerer, e.g. http://127.0.0.1:8080/v1."""
    llm_model: str = "local"
    """Model name sent to the LLM endpoint."""
    llm_api_key: str | None = None
    """Bearer key for the LLM endpoint, when it needs one."""
    llm_timeout: float = 60.0
    """Seconds to wait for the LLM endpoint."""
    columnar_memory: Annotated[str, Field(pattern=r"^[1-9][0-9]*(\.[0-9]+)?(MB|GB)$")] | None = None
    """DuckDB's working memory for `medref check --engine columnar` (e.g. 1500MB, 4GB); past
    it, joins and sorts spill to disk. Unset: 1GB, which keeps 10 million lines under 2 GB
    resident; more makes the plan faster where memory allows (docs/benchmarks.md)."""
    api_keys: list[str] = Field(default_factory=list)
    """When non-empty, the REST API requires one of these in `X-API-Key`; a blank key is an error."""
    host: str = "127.0.0.1"
    """Address `medref serve` listens on."""
    port: int = 8000
    """Port `medref serve` listens on."""
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    """Worker processes of `medref serve` (one per core; each loads its own indexes)."""
    follow_seconds: Annotated[float, Field(ge=0)] = 2.0
    """How often a server looks for a new build to move to without a restart (0: on SIGHUP only)."""
    max_upload_bytes: int = 20_000_000
    """Largest request body the REST API accepts (claim uploads)."""
    max_query_chars: int = 2_000
    """Longest search query or question accepted."""

    @field_validator("sources", "cpt_descriptors", "llm_base_url", "llm_api_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`MEDREF_SOURCES=` (empty) means unset, as in a Makefile default."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("api_keys", mode="after")
    @classmethod
    def _no_blank_key(cls, keys: list[str]) -> list[str]:
        """A blank key would let a request without a key through: refuse it at start."""
        if any(not key.strip() for key in keys):
            raise ValueError(
                "an API key is empty or blank; every key must be a non-blank string, and "
                "an empty list ([]) turns keys off"
            )
        return keys

    @field_validator("home", "sources", "vault", "cpt_descriptors", mode="after")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value is not None else None

    @property
    def current(self) -> Path:
        """The folder of the knowledge base in use (a link swapped atomically by builds)."""
        return self.home / "current"

    @property
    def builds(self) -> Path:
        return self.home / "builds"

    @property
    def downloads(self) -> Path:
        return self.home / "downloads"

    @property
    def source_root(self) -> Path:
        """Where sources are read from: the mirror when set, else the download cache."""
        return self.sources if self.sources is not None else self.downloads


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, a bad value reported as a `SettingsError` naming the
    variable instead of a traceback."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"MEDREF_{'_'.join(str(part) for part in error['loc'][:1]).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        raise SettingsError(f"bad setting: {problems}") from None
    except PydanticSettingsError as exc:
        raise SettingsError(
            f"bad setting: {exc} (list settings such as MEDREF_API_KEYS take JSON, "
            'e.g. \'["key-one", "key-two"]\')'
        ) from None


def settings_table() -> str:
    """The README's settings table, generated from the fields (tests/test_readme.py checks
    the README holds exactly this)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        if field.default_factory is not None:
            default = {"home": "platform data folder"}.get(name, "none")
        elif name == "vault":
            default = "the vault in the package"
        else:
            default = "unset" if field.default is None else str(field.default).lower()
        meaning = " ".join((field.description or "").split())  # a docstring may wrap
        rows.append(f"| `MEDREF_{name.upper()}` | {default} | {meaning} |")
    return "\n".join(rows)
