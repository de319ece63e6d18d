"""The optional LLM answerer, over any OpenAI-compatible endpoint (llama.cpp server,
Ollama, vLLM): POST {base}/chat/completions.

The model phrases; it does not know. Each sentence it writes is checked against the
evidence it cites (verify.py) before it is shown; unsupported sentences are dropped and
reported. Transport failures become `LlmError` here, at one boundary, and the service falls
back to the extractive answer with a clear notice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx

from medref.answer import prompts
from medref.answer.codes import CodeTable
from medref.answer.extractive import Citations, overlaps
from medref.answer.types import REFUSAL, Answer, AnswerPart, Citation, Dropped, Evidence, Sentence
from medref.answer.verify import check, split_sentences
from medref.errors import MedrefError
from medref.settings import Settings

EVIDENCE_SHOWN = 6
"""Evidence quotes given to the model, best first, none overlapping another."""


class LlmError(MedrefError):
    """The LLM endpoint failed: unreachable, too slow, an error status, or a bad reply."""


class ChatClient:
    """A minimal OpenAI chat-completions client (non-streaming and streaming)."""

    def __init__(self, settings: Settings) -> None:
        if not settings.llm_base_url:
            raise LlmError(
                "no LLM endpoint is configured: set MEDREF_LLM_BASE_URL, e.g. "
                "http://127.0.0.1:8080/v1"
            )
        self.url = settings.llm_base_url.rstrip("/") + "/chat/completions"
        self.model = settings.llm_model
        self.timeout = settings.llm_timeout
        self.headers = {"Content-Type": "application/json"}
        if settings.llm_api_key:
            self.headers["Authorization"] = f"Bearer {settings.llm_api_key}"

    def _body(self, messages: list[dict[str, str]], stream: bool) -> dict[str, Any]:
        return {"model": self.model, "messages": messages, "temperature": 0, "stream": stream}

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """httpx and protocol errors as one LlmError naming the endpoint and what to do."""
        try:
            yield
        except httpx.TimeoutException as exc:
            raise LlmError(
                f"the LLM endpoint {self.url} did not answer within "
                f"{self.timeout:g} s (MEDREF_LLM_TIMEOUT)"
            ) from exc
        except httpx.HTTPStatusError as exc:
            raise LlmError(
                f"the LLM endpoint {self.url} answered HTTP "
                f"{exc.response.status_code}: check MEDREF_LLM_MODEL and "
                "MEDREF_LLM_API_KEY"
            ) from exc
        except httpx.HTTPError as exc:
            raise LlmError(
                f"the LLM endpoint {self.url} is unreachable ({exc}): check "
                "MEDREF_LLM_BASE_URL and that the server is running"
            ) from exc
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LlmError(
                f"the LLM endpoint {self.url} sent a reply that is not an "
                f"OpenAI chat completion ({exc})"
            ) from exc

    def complete(self, messages: list[dict[str, str]]) -> str:
        with self._translated():
            response = httpx.post(
                self.url,
                json=self._body(messages, False),
                headers=self.headers,
                timeout=self.timeout,
            )
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
            return str(content or "")

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        """Content deltas as the server sends them (server-sent events)."""
        with (
            self._translated(),
            httpx.stream(
                "POST",
                self.url,
                json=self._body(messages, True),
                headers=self.headers,
                timeout=self.timeout,
            ) as response,
        ):
            response.raise_for_status()
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                delta = json.loads(data)["choices"][0].get("delta", {}).get("content")
                if delta:
                    yield str(delta)


def verified_parts(
    chunks: Iterable[str],
    question: str,
    evidence: Sequence[Evidence],
    codes: CodeTable,
    fallback: Answer,
) -> Iterator[AnswerPart]:
    """Verify the model's sentences as they complete, yielding the supported ones with
    their markers renumbered to the answer's citations; finish with the answer. When no
    sentence survives, or the endpoint fails, the extractive `fallback` is given instead."""
    citations = Citations()
    sentences: list[Sentence] = []
    dropped: list[Dropped] = []
    buffer = ""

    def take(pieces: list[str]) -> Iterator[AnswerPart]:
        for piece in pieces:
            checked = check(piece, evidence, codes)
            if not checked.text.strip("[]. ") or checked.text.rstrip(".") == REFUSAL.rstrip("."):
                continue
            if checked.problem is not None:
                dropped.append(Dropped(checked.text, checked.problem))
                yield AnswerPart("dropped", checked.text)
                continue
            markers = tuple(citations.number(_citation(evidence[n - 1])) for n in checked.cited)
            sentence = Sentence(checked.text, markers)
            sentences.append(sentence)
            yield AnswerPart("text", sentence.render() + " ")

    try:
        for chunk in chunks:
            buffer += chunk
            complete, buffer = split_sentences(buffer, final=False)
            yield from take(complete)
        complete, rest = split_sentences(buffer, final=True)
        yield from take([*complete, rest] if rest.strip() else complete)
    except LlmError as exc:
        if not sentences:
            yield from fall_back(fallback, dropped, f"{exc}; answered without the model")
            return
        notice = f"{exc}; the answer may be incomplete"
        yield AnswerPart("notice", notice)
        yield _done(question, sentences, citations, dropped, notice)
        return
    if not sentences:
        yield from fall_back(
            fallback,
            dropped,
            "the model's answer had no sentence the evidence supports; answered without the model",
        )
        return
    yield _done(question, sentences, citations, dropped, None)


def _citation(evidence: Evidence) -> Citation:
    return Citation(evidence.ref, evidence.quote, evidence.source, evidence.release, evidence.title)


def _done(
    question: str,
    sentences: list[Sentence],
    citations: Citations,
    dropped: list[Dropped],
    notice: str | None,
) -> AnswerPart:
    answer = Answer(
        question,
        sentences,
        citations.items,
        answerable=True,
        dropped=dropped,
        notice=notice,
        mode="llm",
    )
    return AnswerPart("done", answer=answer)


def fall_back(answer: Answer, dropped: Sequence[Dropped], notice: str) -> Iterator[AnswerPart]:
    """The extractive answer, streamed, with the reason the model's answer was not used."""
    answer.notice = notice
    answer.dropped = [*dropped, *answer.dropped]
    yield AnswerPart("notice", notice)
    yield from replay(answer)


def replay(answer: Answer) -> Iterator[AnswerPart]:
    """A finished answer as stream parts."""
    if answer.answerable:
        for sentence in answer.sentences:
            yield AnswerPart("text", sentence.render() + " ")
    else:
        yield AnswerPart("text", answer.text)
    yield AnswerPart("done", answer=answer)


def llm_parts(
    settings: Settings,
    question: str,
    evidence: Sequence[Evidence],
    codes: CodeTable,
    fallback: Answer,
    stream: bool,
) -> Iterator[AnswerPart]:
    """Ask the model over the best evidence and verify what it says."""
    shown: list[Evidence] = []
    for item in evidence:
        if len(shown) == EVIDENCE_SHOWN:
            break
        if not any(overlaps(item, other) for other in shown):
            shown.append(item)
    try:
        client = ChatClient(settings)
    except LlmError as exc:
        yield from fall_back(fallback, [], f"{exc}; answered without the model")
        return
    messages = prompts.messages(question, shown)
    chunks: Iterable[str] = client.stream(messages) if stream else _once(client, messages)
    yield from verified_parts(chunks, question, shown, codes, fallback)


def _once(client: ChatClient, messages: list[dict[str, str]]) -> Iterator[str]:
    yield client.complete(messages)
