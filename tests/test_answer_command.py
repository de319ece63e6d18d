"""`medref ask` and the answer metrics of `medref eval --answers`, on the knowledge base built
from ../shared/cms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from medref.answer.types import Citation
from medref.cli import cli
from medref.evaluation.answers import citation_precise, quote_found
from medref.evaluation.run import Question
from medref.kb import KnowledgeBase
from medref.settings import Settings

pytestmark = pytest.mark.kb

DEV = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "dev.jsonl"


@pytest.fixture()
def env(kb: KnowledgeBase, kb_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDREF_HOME", str(kb_settings.home))
    monkeypatch.delenv("MEDREF_LLM_BASE_URL", raising=False)


def test_ask_json(env: None) -> None:
    result = CliRunner().invoke(cli, ["ask", "What is the practitioner MUE for J1100?", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["answerable"] is True and "120" in body["answer"]
    assert body["citations"][0]["ref"] == "MUE:J1100"


def test_ask_text_lists_citations_and_closest_sources(env: None) -> None:
    runner = CliRunner()
    answered = runner.invoke(cli, ["ask", "How long must a provider retain a signed ABN?"])
    assert answered.exit_code == 0, answered.output
    assert "Citations:" in answered.output and "IOM:100-04/30/50.7" in answered.output
    refused = runner.invoke(cli, ["ask", "Which restaurant has the best crab cakes?", "-k", "5"])
    assert refused.output.startswith("The loaded sources do not answer this.\n")
    assert "Closest sources:" in refused.output


def test_empty_question_is_a_clear_error(env: None) -> None:
    result = CliRunner().invoke(cli, ["ask", "   "])
    assert result.exit_code == 2
    assert "the question is empty" in result.output


def test_citation_precision_is_strict(kb: KnowledgeBase) -> None:
    record = kb.get("IOM:100-04/12/40.8")
    assert record is not None
    question = Question("t", "co-surgeon pay?", ("IOM:100-04/12/40.8",), ("62.5",), "manual", True)
    quote = "62.5 percent of the global surgery fee schedule amount"
    good = Citation(record.ref, quote, record.source, record.release)
    assert quote_found(kb, good) and citation_precise(kb, good, question)
    invented = Citation(record.ref, "62.5 percent of everything", record.source, record.release)
    assert not citation_precise(kb, invented, question)
    other = kb.get("IOM:100-04/12/40.6")
    assert other is not None
    off_topic = Citation(other.ref, other.text[:40], other.source, other.release)
    assert not citation_precise(kb, off_topic, question)
    unanswerable = Question("u", "crab cakes?", (), (), "unanswerable", False)
    assert not citation_precise(kb, good, unanswerable)
