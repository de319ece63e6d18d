"""`medref mcp` as an agent would run it: a subprocess speaking MCP on stdio, driven by the
stdio client of the same `mcp` package, against the test knowledge base."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client

from medref.kb import KnowledgeBase
from medref.settings import Settings

pytestmark = pytest.mark.kb

REPO = Path(__file__).resolve().parents[1]
TOOLS = {
    "search",
    "ask",
    "code_lookup",
    "claim_check",
    "claim_check_x12",
    "denials_explain",
    "em_level",
}
X12 = REPO / "tests" / "data" / "x12" / "professional.837"
REMITTANCE = REPO / "examples" / "remittance.835"
CLAIMS = REPO / "examples" / "denied-claims.csv"


def server_parameters(settings: Settings) -> StdioServerParameters:
    return StdioServerParameters(
        command=str(Path(sys.executable).with_name("medref")),
        args=["mcp"],
        env={"MEDREF_HOME": str(settings.home), "MEDREF_SOURCES": "../shared/cms"},
        cwd=REPO,
    )


async def session_calls(
    settings: Settings, calls: list[tuple[str, dict[str, Any]]]
) -> tuple[set[str], list[Any]]:
    async with (
        stdio_client(server_parameters(settings)) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        listed = await session.list_tools()
        results = [await session.call_tool(name, arguments) for name, arguments in calls]
        return {tool.name for tool in listed.tools}, results


@pytest.fixture(scope="module")
def outcome(kb: KnowledgeBase, kb_settings: Settings) -> tuple[set[str], list[Any]]:
    """One server process for every call of this module."""
    calls: list[tuple[str, dict[str, Any]]] = [
        ("code_lookup", {"code": "G0439"}),
        (
            "em_level",
            {"patient": "established", "problems": "moderate", "data": "limited", "risk": "low"},
        ),
        ("code_lookup", {"code": "G0439", "date_of_service": "not a date"}),
        (
            "claim_check",
            {
                "claims": [
                    {
                        "claim_id": "M1",
                        "diagnoses": ["I10"],
                        "lines": [
                            {
                                "line": 1,
                                "date_of_service": "2024-08-15",
                                "code": "93000",
                                "units": 1,
                            },
                            {
                                "line": 2,
                                "date_of_service": "2024-08-15",
                                "code": "93010",
                                "units": 1,
                            },
                        ],
                    }
                ]
            },
        ),
        ("search", {"query": "G0439", "k": 3}),
        ("ask", {"question": "What is the global period for major surgery?"}),
        ("claim_check_x12", {"x12": X12.read_text(), "only_problems": True}),
        (
            "denials_explain",
            {"remittance": REMITTANCE.read_text(), "claims": CLAIMS.read_text()},
        ),
    ]
    return asyncio.run(asyncio.wait_for(session_calls(kb_settings, calls), timeout=300))


def structured(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        found: dict[str, Any] = result.structured_content
        return found
    loaded: dict[str, Any] = json.loads(result.content[0].text)
    return loaded


def test_lists_the_tools(outcome: tuple[set[str], list[Any]]) -> None:
    assert outcome[0] == TOOLS


def test_code_lookup_g0439(outcome: tuple[set[str], list[Any]]) -> None:
    card = structured(outcome[1][0])
    assert (card["code"], card["system"], card["valid"]) == ("G0439", "hcpcs-level-2", True)
    assert card["record"]["ref"] == "HCPCS:G0439"


def test_em_level(outcome: tuple[set[str], list[Any]]) -> None:
    assert structured(outcome[1][1])["code"] == "99213"


def test_bad_argument_is_a_tool_error(outcome: tuple[set[str], list[Any]]) -> None:
    result = outcome[1][2]
    assert result.is_error and "YYYY-MM-DD" in result.content[0].text


def test_claim_check(outcome: tuple[set[str], list[Any]]) -> None:
    body = structured(outcome[1][3])
    assert any(f["ref"] == "PTP:93000/93010" and f["status"] == "fail" for f in body["findings"])


def test_search_returns_text(outcome: tuple[set[str], list[Any]]) -> None:
    hits = structured(outcome[1][4])["hits"]
    assert hits[0]["ref"] == "HCPCS:G0439" and hits[0]["text"]


def test_ask_cites_its_sources(outcome: tuple[set[str], list[Any]]) -> None:
    answer = structured(outcome[1][5])
    assert answer["answerable"] and all(c["quote"] and c["ref"] for c in answer["citations"])


def test_claim_check_x12_places_its_findings(outcome: tuple[set[str], list[Any]]) -> None:
    body = structured(outcome[1][6])
    ptp = next(f for f in body["findings"] if f["ref"] == "PTP:93000/93010")
    assert ptp["place"]["clm01"] == "PCN-1003" and ptp["place"]["lx_segment"] == 86
    assert body["summary"]["x12"]["claims"] == 5


def test_denials_explain(outcome: tuple[set[str], list[Any]]) -> None:
    rows = structured(outcome[1][7])["denials"]
    found = {(r["claim_id"], r["carc"]): (r["verdict"], r["ref"]) for r in rows}
    assert found[("D-97", "97")] == ("reproduced", "PTP:93000/93010")
    assert found[("D-11", "11")] == ("reproduced", "ICD10CM:E11")
