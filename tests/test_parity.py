"""One door: the same requests through the CLI (`--json`) and the REST API give the same
JSON, because both call the same service functions with the same settings and defaults."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from medref.api.app import create_app
from medref.cli import cli
from medref.kb import KnowledgeBase
from medref.services.resources import Resources
from medref.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
pytestmark = pytest.mark.kb


@pytest.fixture(scope="module")
def client(kb: KnowledgeBase, kb_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(kb_settings, Resources(kb_settings))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def env(kb_settings: Settings) -> dict[str, str]:
    """The CLI reads the same settings from the environment."""
    return {
        "MEDREF_HOME": str(kb_settings.home),
        "MEDREF_SOURCES": str(kb_settings.sources),
        "MEDREF_EMBEDDINGS": "false",
    }


def run(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def cli_json(env: dict[str, str], *args: str) -> Any:
    return json.loads(run(env, *args, "--json"))


def test_search(client: TestClient, env: dict[str, str]) -> None:
    query = "modifier 25 on the day of a minor procedure"
    rest = client.get("/api/search", params={"q": query, "k": 5}).json()
    assert rest and cli_json(env, "search", query, "-k", "5") == rest
    rest = client.get("/api/search", params={"q": "G0439", "source": "hcpcs"}).json()
    assert cli_json(env, "search", "G0439", "--source", "hcpcs") == rest


def test_search_refuses_an_unknown_source_in_both(client: TestClient, env: dict[str, str]) -> None:
    response = client.get("/api/search", params={"q": "G0439", "source": "nonsense"})
    assert response.status_code == 400
    result = CliRunner().invoke(cli, ["search", "G0439", "--source", "nonsense"], env=env)
    assert result.exit_code == 2 and "unknown source nonsense" in result.output


def test_ask(client: TestClient, env: dict[str, str]) -> None:
    question = "How long must a provider keep a signed ABN?"
    rest = client.post("/api/ask", json={"question": question, "llm": False}).json()
    assert rest["citations"] and cli_json(env, "ask", question, "--no-llm") == rest


def test_code(client: TestClient, env: dict[str, str]) -> None:
    for code in ("G0439", "E11.9", "99213-25"):
        rest = client.get(f"/api/code/{code}", params={"date_of_service": "2025-03-01"}).json()
        assert cli_json(env, "code", code, "-d", "2025-03-01") == rest


def test_em(client: TestClient, env: dict[str, str]) -> None:
    visit = {"patient": "established", "problems": "moderate", "data": "limited"}
    rest = client.post("/api/em", json={**visit, "date_of_service": "2025-03-01"}).json()
    args = [f"--{name}={value}" for name, value in visit.items()]
    assert rest["code"] == "99213"  # two elements: both meet low MDM
    assert cli_json(env, "em", *args, "--date-of-service", "2025-03-01") == rest


def test_check(client: TestClient, env: dict[str, str]) -> None:
    path = EXAMPLES / "claims.csv"
    with path.open("rb") as upload:
        rest = client.post("/api/check/csv", files={"file": ("claims.csv", upload)}).json()
    lines = [json.loads(line) for line in run(env, "check", str(path), "--json").splitlines()]
    assert lines[-1] == {"summary": rest["summary"]}
    assert lines[:-1] == rest["findings"] and rest["findings"]


def test_cli_code_card_keeps_the_hcpcs_long_descriptor(env: dict[str, str]) -> None:
    """The card's text view shows the whole record, the long descriptor first (issue 16)."""
    assert "Annual wellness visit, includes a personalized prevention plan" in run(
        env, "code", "G0439"
    )
    assert "Injection, dexamethasone sodium phosphate, 1 mg" in run(env, "code", "J1100")
