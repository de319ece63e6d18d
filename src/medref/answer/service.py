"""`ask`: the one answering function every skin (CLI, REST API, MCP) calls.

    read the question once -> search once (a pool of POOL hits) -> evidence from that pool
    -> extractive answer or refusal -> (optional) LLM phrasing

A refusal and a code answer never call the model; the model only rephrases prose evidence.
"""

from __future__ import annotations

from collections.abc import Iterator

from medref.answer import extractive
from medref.answer.abstain import Calibration
from medref.answer.context import context_for
from medref.answer.llm import fall_back, llm_parts, replay
from medref.answer.types import Answer, AnswerPart
from medref.errors import InputError
from medref.kb import KnowledgeBase
from medref.retrieval.question import read
from medref.retrieval.search import Searcher
from medref.settings import Settings

DEFAULT_K = 20
"""Hits searched once for one question: the pool every piece of evidence comes from."""


def _checked(question: str, settings: Settings) -> str:
    question = " ".join(question.split())
    if not question:
        raise InputError(
            'the question is empty: type a question, e.g. "What does modifier GA mean?"'
        )
    if len(question) > settings.max_query_chars:
        raise InputError(
            f"the question is {len(question):,} characters long; the limit is "
            f"{settings.max_query_chars:,} (MEDREF_MAX_QUERY_CHARS)"
        )
    return question


def stream(
    kb: KnowledgeBase,
    searcher: Searcher,
    question: str,
    settings: Settings,
    use_llm: bool | None = None,
    k: int = DEFAULT_K,
    *,
    stream_llm: bool = True,
    calibration: Calibration | None = None,
    code_calibration: Calibration | None = None,
) -> Iterator[AnswerPart]:
    """The answer in parts as they are ready: text pieces (already verified), dropped
    sentences, notices, and a final `done` part carrying the whole `Answer`.

    `use_llm` None means: use the model when MEDREF_LLM_BASE_URL is set; `calibration` and
    `code_calibration` replace the packaged abstention models for prose answers and code
    searches (to collect signals for fitting them)."""
    asked = read(_checked(question, settings))
    ctx = context_for(kb, searcher)
    hits = searcher.search(asked, k=k)
    found, evidence = extractive.answer(ctx, asked, hits, calibration, code_calibration)
    wanted = settings.llm_base_url is not None if use_llm is None else use_llm
    if not wanted or not found.answerable or found.mode == "code":
        yield from replay(found)
        return
    if not settings.llm_base_url:
        yield from fall_back(
            found,
            [],
            "no LLM endpoint is configured (set MEDREF_LLM_BASE_URL); answered without the model",
        )
        return
    yield from llm_parts(settings, asked.typed, evidence, ctx.codes, found, stream_llm)


def ask(
    kb: KnowledgeBase,
    searcher: Searcher,
    question: str,
    settings: Settings,
    use_llm: bool | None = None,
    k: int = DEFAULT_K,
    *,
    calibration: Calibration | None = None,
    code_calibration: Calibration | None = None,
) -> Answer:
    """The finished answer (see `stream` for the parts)."""
    parts = stream(
        kb,
        searcher,
        question,
        settings,
        use_llm,
        k,
        stream_llm=False,
        calibration=calibration,
        code_calibration=code_calibration,
    )
    for part in parts:
        if part.answer is not None:
            return part.answer
    raise AssertionError("an answer stream always ends with a done part")
