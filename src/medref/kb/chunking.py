"""Split record text into retrieval chunks. Each chunk keeps its record's title (a section
heading, a code's label) and canonical reference, so a chunk is citable on its own."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

MAX_CHARS = 1400
OVERLAP_SENTENCES = 1

_SENTENCE_END = re.compile(r"(?<=[.;:!?])\s+(?=[A-Z(\"“0-9])")


@dataclass(frozen=True, slots=True)
class ChunkText:
    ord: int
    title: str
    text: str

    @property
    def hash(self) -> str:
        return hashlib.sha256(f"{self.title}\n{self.text}".encode()).hexdigest()[:16]


def split_text(text: str, max_chars: int = MAX_CHARS) -> list[str]:
    """Paragraph-first, then sentence, packing pieces up to `max_chars`; one sentence of
    overlap between neighbouring chunks of the same paragraph run."""
    text = text.strip()
    if len(text) <= max_chars:
        return [text]
    pieces: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if len(paragraph) <= max_chars:
            pieces.append(paragraph)
            continue
        for sentence in _SENTENCE_END.split(paragraph):
            while len(sentence) > max_chars:
                cut = sentence.rfind(" ", 0, max_chars)
                cut = cut if cut > max_chars // 2 else max_chars
                pieces.append(sentence[:cut].strip())
                sentence = sentence[cut:].strip()
            if sentence:
                pieces.append(sentence)
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for piece in pieces:
        if current and size + len(piece) + 1 > max_chars:
            chunks.append(" ".join(current))
            current = current[-OVERLAP_SENTENCES:] if OVERLAP_SENTENCES else []
            size = sum(len(p) + 1 for p in current)
            if size + len(piece) > max_chars:
                current, size = [], 0
        current.append(piece)
        size += len(piece) + 1
    if current:
        chunks.append(" ".join(current))
    return chunks


def chunk_record(title: str, text: str) -> Iterator[ChunkText]:
    body = text if text.strip() else title
    for ordinal, piece in enumerate(split_text(body)):
        yield ChunkText(ordinal, title, piece)
