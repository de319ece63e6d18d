"""The build's vocabulary: phrases that mean the same thing, taken from the sources.

Each abbreviation a source defines is one group with its long forms ("ABN", "advance
beneficiary notice of non-coverage"): a chunk that says either is also indexed under the
other, and evidence holding either meets a question asking with the other. So is each
clipped word of the HCPCS short descriptors with the long word it stands for ("wc",
"wheelchair"). Saved as `vocabulary.json` beside the indexes (inspectable, rebuilt with
them).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from medref.errors import KnowledgeBaseError
from medref.retrieval.abbreviations import SHORTHAND, descriptor_abbreviations, mine
from medref.retrieval.tokenize import tokenize

FILE = "vocabulary.json"
FORMAT_VERSION = 1
_WORDS = re.compile(r"[A-Za-z][A-Za-z0-9&/]*")


def used_as_words(texts: Iterable[str], shorts: Iterable[str]) -> set[str]:
    """Short forms the texts mostly write in lower case: words ("CARE", "PACE", "ERA"),
    which an index must not read as the abbreviation."""
    wanted = {short.lower(): short for short in shorts}
    upper: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    for text in texts:
        for word in _WORDS.findall(text):
            folded = word.lower()
            if folded in wanted:
                if word.isupper():
                    upper[folded] += 1
                elif word.islower():
                    lower[folded] += 1
    return {wanted[w] for w in wanted if lower[w] > upper[w]}


@dataclass(frozen=True)
class Vocabulary:
    """Groups of phrases that mean the same (an abbreviation and its long forms)."""

    abbreviations: dict[str, list[str]] = field(default_factory=dict)
    _phrases: dict[str, list[tuple[tuple[str, ...], int]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _group_terms: list[list[str]] = field(
        default_factory=list, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for number, (short, longs) in enumerate(self.abbreviations.items()):
            terms: list[str] = []
            for phrase in (short, *longs):
                tokens = tuple(tokenize(phrase))
                if tokens:
                    self._phrases.setdefault(tokens[0], []).append((tokens, number))
                    terms.extend(t for t in tokens if t not in terms)
            self._group_terms.append(terms)

    @classmethod
    def from_texts(
        cls,
        texts: Sequence[str],
        descriptors: Sequence[tuple[str, str]] = (),
        prose: Sequence[str] = (),
    ) -> Vocabulary:
        """The abbreviations `texts` define, less those the texts use as plain words, and
        the clipped words of the (short, long) code `descriptors`, less those the `prose`
        uses as words and those that are already a defined abbreviation or coders'
        shorthand ("pos" is place of service, not "positive")."""
        found = mine(texts)
        words = used_as_words(texts, found)
        defined = {short: longs for short, longs in found.items() if short not in words}
        taken = {short.lower() for short in [*found, *SHORTHAND]}
        clipped = descriptor_abbreviations(descriptors, prose)
        defined.update({s: longs for s, longs in clipped.items() if s not in taken})
        return cls(defined)

    def equivalents(self, terms: Sequence[str]) -> list[str]:
        """Terms of every group one of whose phrases occurs in `terms`, less those present."""
        groups: set[int] = set()
        for position, term in enumerate(terms):
            for phrase, number in self._phrases.get(term, ()):
                if tuple(terms[position : position + len(phrase)]) == phrase:
                    groups.add(number)
        present = set(terms)
        return [t for n in sorted(groups) for t in self._group_terms[n] if t not in present]

    def with_equivalents(self, terms: Sequence[str]) -> frozenset[str]:
        return frozenset([*terms, *self.equivalents(terms)])

    def save(self, folder: Path) -> None:
        body = {"format": FORMAT_VERSION, "abbreviations": self.abbreviations}
        (folder / FILE).write_text(json.dumps(body, indent=1, sort_keys=True))

    @classmethod
    def load(cls, folder: Path) -> Vocabulary:
        path = folder / FILE
        try:
            body = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise KnowledgeBaseError(
                f"{path} is missing or unreadable ({exc}): run `medref build --force`"
            ) from exc
        if body.get("format") != FORMAT_VERSION:
            raise KnowledgeBaseError(
                f"{path} has format {body.get('format')}, this medref reads "
                f"{FORMAT_VERSION}: run `medref build --force`"
            )
        return cls(dict(body["abbreviations"]))
