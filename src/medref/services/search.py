"""Search hits and cited answers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from medref.errors import InputError
from medref.kb import KnowledgeBase
from medref.services.resources import Resources, check_release, limit_text

if TYPE_CHECKING:
    from medref.answer.types import AnswerPart
    from medref.retrieval.search import Hit


def search(
    res: Resources,
    query: str,
    k: int = 10,
    source_names: Sequence[str] | None = None,
    release: str | None = None,
    date_of_service: date | None = None,
    *,
    with_text: bool = False,
) -> list[dict[str, Any]]:
    query = limit_text(query, res.settings.max_query_chars, "query")
    _check_sources(res.kb, source_names)
    check_release(res.kb, release, source_names)
    hits = res.searcher.search(
        query, k=k, sources=source_names or None, release=release, date_of_service=date_of_service
    )
    return [hit_dict(hit, with_text) for hit in hits]


def hit_dict(hit: Hit, with_text: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {
        "ref": hit.ref,
        "source": hit.source,
        "release": hit.release,
        "title": hit.title,
        "snippet": hit.snippet,
        "score": round(hit.score, 6),
        "via": hit.via,
    }
    if with_text:
        found["text"] = hit.text
    return found


def _check_sources(kb: KnowledgeBase, names: Sequence[str] | None) -> None:
    loaded = sorted({info.source for info in kb.releases()})
    unknown = [name for name in names or () if name not in loaded]
    if unknown:
        raise InputError(f"unknown source {', '.join(unknown)}; loaded: {', '.join(loaded)}")


def ask(res: Resources, question: str, k: int = 10, use_llm: bool | None = None) -> dict[str, Any]:
    """The answer with citations quoting the sources exactly, or the fixed refusal."""
    from medref.answer import ask as answer_question

    question = limit_text(question, res.settings.max_query_chars, "question")
    found = answer_question(res.kb, res.searcher, question, res.settings, use_llm, k)
    answer: dict[str, Any] = found.to_dict()
    return answer


def ask_events(
    res: Resources, question: str, k: int = 10, use_llm: bool | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The answer as (event, data) pairs as it is produced: `text` pieces, `dropped`
    sentences, `notice`s, then `done` with the whole answer. The question is checked now,
    before the caller starts a response."""
    from medref.answer import stream

    question = limit_text(question, res.settings.max_query_chars, "question")
    return _events(stream(res.kb, res.searcher, question, res.settings, use_llm, k))


def _events(parts: Iterator[AnswerPart]) -> Iterator[tuple[str, dict[str, Any]]]:
    for part in parts:
        if part.answer is not None:
            yield "done", part.answer.to_dict()
        else:
            yield part.kind, {"text": part.text}
