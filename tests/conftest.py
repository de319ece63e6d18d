"""Shared fixtures. The knowledge base used by tests is built once from ../shared/cms into
`.pytest_kb/` under the repository (incremental: an unchanged rebuild does no work), under
a file lock so parallel workers share one build."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from pathlib import Path

import pytest

from medref.kb import KnowledgeBase
from medref.services.knowledge import build
from medref.settings import Settings

REPO = Path(__file__).resolve().parents[1]
CMS = REPO.parent / "shared" / "cms"
TEST_HOME = REPO / ".pytest_kb"


@pytest.fixture(scope="session")
def cms_dir() -> Path:
    if not CMS.is_dir():
        pytest.fail(f"the real CMS files are expected at {CMS} (../shared/cms beside the repo)")
    return CMS


@pytest.fixture(scope="session")
def kb_settings(cms_dir: Path) -> Settings:
    # Dense vectors for the whole knowledge base take minutes on two cores: the shared test
    # knowledge base is BM25 + routing; the dense path is tested on a small build of its own.
    return Settings(home=TEST_HOME, sources=cms_dir, embeddings=False)


@pytest.fixture(scope="session")
def kb(kb_settings: Settings) -> Iterator[KnowledgeBase]:
    """The knowledge base built from every file in ../shared/cms."""
    TEST_HOME.mkdir(exist_ok=True)
    with (TEST_HOME / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        build(kb_settings, progress=False, log=lambda _msg: None)
        fcntl.flock(lock, fcntl.LOCK_UN)
    yield KnowledgeBase.open(kb_settings)
