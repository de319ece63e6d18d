"""The typed hand-offs of the answer pipeline: evidence in, an answer with citations out.

    hits (retrieval) -> Evidence (scored sentences) -> Answer (text, citations, refusal)

Every citation names a canonical reference and quotes the cited record's text exactly, so a
reader (or an evaluation) can check the quote against the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

REFUSAL = "The loaded sources do not answer this."
"""The one reply when the evidence does not answer the question."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """One sentence of a retrieved record, scored against the question."""

    ref: str
    source: str
    release: str
    title: str
    quote: str
    """Exactly `record_text[offset : offset + len(quote)]`."""
    offset: int
    score: float
    coverage: float
    """Share of the question's weighted content words the sentence contains (0..1)."""
    rank: int
    """Rank of the retrieval hit the sentence came from (0 = best)."""
    own: float = 0.0
    """Share of the question's weighted content words in the quote itself (0..1)."""
    typed: bool = False
    """The quote holds the kind of value the question asks for (a duration, a rule ...)."""
    meaning: float | None = None
    """MiniLM similarity of the question and the quote (None without sentence vectors)."""


@dataclass(frozen=True, slots=True)
class Citation:
    ref: str
    quote: str
    source: str
    release: str
    title: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "ref": self.ref,
            "quote": self.quote,
            "source": self.source,
            "release": self.release,
        }


@dataclass(frozen=True, slots=True)
class Closest:
    """A source that came nearest to a question the sources do not answer."""

    ref: str
    title: str
    source: str
    release: str

    def to_dict(self) -> dict[str, str]:
        return {
            "ref": self.ref,
            "title": self.title,
            "source": self.source,
            "release": self.release,
        }


@dataclass(frozen=True, slots=True)
class Dropped:
    """A sentence left out of the answer, and why (unsupported, wrong citation, bad code)."""

    text: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"text": self.text, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of an answer and the citation numbers (1-based) that back it."""

    text: str
    markers: tuple[int, ...]

    def render(self) -> str:
        return self.text + "".join(f" [{n}]" for n in self.markers)


@dataclass
class Answer:
    question: str
    sentences: list[Sentence]
    citations: list[Citation]
    answerable: bool
    closest: list[Closest] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    notice: str | None = None
    """A message for the user, e.g. why the LLM was not used."""
    mode: Literal["extractive", "code", "llm", "refusal"] = "extractive"
    confidence: float | None = None
    """The calibrated chance that a prose answer is right (abstain.py); None for answers
    from a code's own record, which need no judging."""
    signals: dict[str, float] | None = None
    """The evidence signals the confidence was computed from."""

    @property
    def text(self) -> str:
        if not self.answerable:
            return REFUSAL
        return " ".join(sentence.render() for sentence in self.sentences)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "answer": self.text,
            "answerable": self.answerable,
            "citations": [citation.to_dict() for citation in self.citations],
        }
        if self.closest:
            body["closest"] = [item.to_dict() for item in self.closest]
        if self.dropped:
            body["dropped"] = [item.to_dict() for item in self.dropped]
        if self.notice:
            body["notice"] = self.notice
        if self.confidence is not None:
            body["confidence"] = round(self.confidence, 3)
        return body


@dataclass(frozen=True, slots=True)
class AnswerPart:
    """One piece of a streamed answer: text as it is verified, then the finished answer."""

    kind: Literal["text", "dropped", "notice", "done"]
    text: str = ""
    answer: Answer | None = None
