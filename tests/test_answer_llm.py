"""The LLM answerer against a real HTTP server on loopback that speaks the OpenAI
chat-completions protocol (tests/answer_chat_server.py). The "model" is canned: it writes
one supported sentence, one sentence the evidence does not support, and one sentence whose
citation points at the wrong block. Only the supported sentence may reach the answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from answer_chat_server import chat_server, evidence_blocks
from medref.answer import Answer, ask, stream
from medref.answer.types import REFUSAL
from medref.kb import KnowledgeBase
from medref.retrieval.search import Searcher
from medref.settings import Settings

pytestmark = pytest.mark.kb

QUESTION = "How much does Medicare pay each co-surgeon billing with modifier 62?"


@pytest.fixture(scope="module")
def searcher(kb: KnowledgeBase) -> Searcher:
    return Searcher(kb)


def canned(body: dict[str, Any]) -> str:
    blocks = evidence_blocks(body)
    good = next(n for n, text in blocks.items() if "62.5 percent" in text)
    other = next(n for n, text in blocks.items() if "62.5" not in text)
    return (
        f"Each co-surgeon is paid 62.5 percent of the global surgery fee schedule amount "
        f"[{good}]. Medicare also adds a 20 percent weekend bonus for every surgeon [{good}]. "
        f"The fee schedule amount for co-surgeons is 62.5 percent [{other}]."
    )


def settings_for(kb_settings: Settings, url: str | None, **extra: Any) -> Settings:
    return kb_settings.model_copy(update={"llm_base_url": url, **extra})


AskFn = Callable[..., Answer]


def check_llm_answer(answer: Answer, kb: KnowledgeBase) -> None:
    assert answer.mode == "llm" and answer.answerable
    assert [s.text for s in answer.sentences] == [
        "Each co-surgeon is paid 62.5 percent of the global surgery fee schedule amount."
    ]
    assert answer.text.endswith("[1]")
    assert [c.ref for c in answer.citations] == ["IOM:100-04/12/40.8"]
    record = kb.get("IOM:100-04/12/40.8")
    assert record is not None and answer.citations[0].quote in record.text
    reasons = {d.text: d.reason for d in answer.dropped}
    assert len(reasons) == 2
    assert (
        "does not support"
        in reasons["Medicare also adds a 20 percent weekend bonus for every surgeon."]
    )
    assert (
        reasons["The fee schedule amount for co-surgeons is 62.5 percent."]
        == "62.5 is not in the cited text"
    )
    body = answer.to_dict()
    assert [d["text"] for d in body["dropped"]] == list(reasons)


def test_unsupported_and_miscited_sentences_are_dropped(
    kb: KnowledgeBase, searcher: Searcher, kb_settings: Settings
) -> None:
    with chat_server(canned) as server:
        settings = settings_for(kb_settings, server.url, llm_model="tiny")
        answer = ask(kb, searcher, QUESTION, settings)
    check_llm_answer(answer, kb)
    request = server.requests[0]
    assert request["model"] == "tiny" and request["stream"] is False
    system = request["messages"][0]["content"]
    assert "never instructions" in system


def test_streaming_yields_only_verified_text(
    kb: KnowledgeBase, searcher: Searcher, kb_settings: Settings
) -> None:
    with chat_server(canned) as server:
        settings = settings_for(kb_settings, server.url)
        parts = list(stream(kb, searcher, QUESTION, settings))
    assert server.requests[0]["stream"] is True
    assert [p.kind for p in parts] == ["text", "dropped", "dropped", "done"]
    answer = parts[-1].answer
    assert answer is not None
    check_llm_answer(answer, kb)
    assert "".join(p.text for p in parts if p.kind == "text").strip() == answer.text


def test_api_key_comes_from_the_environment(
    kb: KnowledgeBase,
    searcher: Searcher,
    kb_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEDREF_LLM_API_KEY", "sk-test-123")
    with chat_server(canned) as server:
        monkeypatch.setenv("MEDREF_LLM_BASE_URL", server.url)
        settings = Settings(home=kb_settings.home, sources=kb_settings.sources)
        ask(kb, searcher, QUESTION, settings)
    assert server.headers[0]["Authorization"] == "Bearer sk-test-123"


@pytest.mark.parametrize(
    ("status", "delay", "message"),
    [(200, 3.0, "did not answer within 0.5 s"), (500, 0.0, "HTTP 500")],
)
def test_endpoint_failures_fall_back_to_the_extractive_answer(
    kb: KnowledgeBase,
    searcher: Searcher,
    kb_settings: Settings,
    status: int,
    delay: float,
    message: str,
) -> None:
    with chat_server(canned, status=status, delay=delay) as server:
        settings = settings_for(kb_settings, server.url, llm_timeout=0.5)
        answer = ask(kb, searcher, QUESTION, settings)
    assert answer.mode == "extractive" and answer.answerable
    assert "62.5 percent" in answer.text
    assert answer.notice is not None and message in answer.notice
    assert "answered without the model" in answer.notice


def test_unreachable_endpoint_is_named(
    kb: KnowledgeBase, searcher: Searcher, kb_settings: Settings
) -> None:
    with chat_server(canned) as server:
        url = server.url
    answer = ask(kb, searcher, QUESTION, settings_for(kb_settings, url, llm_timeout=2.0))
    assert answer.mode == "extractive"
    assert answer.notice is not None and "unreachable" in answer.notice and url in answer.notice


def test_a_model_that_says_nothing_supported_is_not_used(
    kb: KnowledgeBase, searcher: Searcher, kb_settings: Settings
) -> None:
    with chat_server(lambda body: "Surgeons should bill whatever they like.") as server:
        answer = ask(kb, searcher, QUESTION, settings_for(kb_settings, server.url))
    assert answer.mode == "extractive" and "62.5 percent" in answer.text
    assert answer.dropped[0].reason == "no citation marker"
    assert answer.notice is not None and "no sentence the evidence supports" in answer.notice


def test_refusals_and_code_answers_never_call_the_model(
    kb: KnowledgeBase, searcher: Searcher, kb_settings: Settings
) -> None:
    with chat_server(canned) as server:
        settings = settings_for(kb_settings, server.url)
        refused = ask(
            kb,
            searcher,
            "Which restaurant near the CMS headquarters has the best crab cakes?",
            settings,
        )
        coded = ask(kb, searcher, "What is HCPCS code G0439?", settings)
    assert refused.text == REFUSAL and coded.mode == "code"
    assert server.requests == []


def test_no_llm_flag_wins_over_a_configured_endpoint(
    kb: KnowledgeBase, searcher: Searcher, kb_settings: Settings
) -> None:
    with chat_server(canned) as server:
        answer = ask(kb, searcher, QUESTION, settings_for(kb_settings, server.url), use_llm=False)
    assert answer.mode == "extractive" and server.requests == []
