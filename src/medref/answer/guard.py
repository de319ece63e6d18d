"""Retrieved text is data, never instructions. This module finds sentences in source text
that try to instruct a model (planted prompt injections) so that the extractive answerer
never quotes them and the LLM answerer never sees them as written.

Official CMS text does not address a language model; a sentence that does is either an
injection or noise, and leaving it out loses nothing a user needs.
"""

from __future__ import annotations

import re

NEUTRALISED = "[instruction-like text removed]"

_INSTRUCTION = re.compile(
    r"""
    \b(?:ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}?
        \b(?:instructions?|prompts?|rules|directions|guidelines|context|messages?)\b
    | \b(?:new|updated|real|actual)\s+instructions?\s*:
    | \byou\s+are\s+(?:now|no\s+longer)\b
    | \b(?:pretend|roleplay)\s+(?:to\s+be|as)\b
    | \b(?:act|behave)\s+as\s+(?:an?\s+|the\s+)?(?:ai|assistant|chatbot|model|system)\b
    | \bsystem\s+prompt\b
    | \b(?:ai|language\s+model|chatbot|llm)\b[^.\n]{0,30}\b(?:must|should|shall|will)\b
    | (?:^|[.;:!?]\s+|\band\s+|\bthen\s+)(?:answer|reply|respond|say|output)\s+
        (?:only\s+)?(?:with\s+)?
        (?:exactly\s+)?["'“].{0,80}["'”]
    | (?:^|\n)\s*(?:system|assistant|user|developer)\s*:
    | <\|?/?\s*(?:im_start|im_end|system|evidence|instructions?)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)


def is_instruction(text: str) -> bool:
    """True when `text` reads as an instruction to a model rather than source content."""
    return _INSTRUCTION.search(text) is not None


def neutralise(text: str, sentences: list[tuple[int, int]]) -> str:
    """`text` with every instruction-like sentence (given as spans) replaced by a marker,
    and delimiter look-alikes defused, ready to sit inside an evidence block of a prompt."""
    pieces: list[str] = []
    cursor = 0
    for start, end in sentences:
        if is_instruction(text[start:end]):
            pieces.append(text[cursor:start])
            pieces.append(NEUTRALISED)
            cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces).replace("<", "‹").replace(">", "›")
