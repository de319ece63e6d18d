"""Abbreviations: those the sources define, mined at build time, and coders' shorthand.

The manuals, coverage documents, statute and code descriptors introduce their abbreviations
the usual way, "Advance Beneficiary Notice of Noncoverage (ABN)", "transcutaneous electrical
nerve stimulation (TENS)". `mine` finds such pairs with the Schwartz-Hearst rule (each
letter of the short form found, right to left, in the words before the parenthesis, the
first at a word start), so "ABN" and its long form index and match as one concept without
anyone writing the pair down. The HCPCS short descriptors teach the clipped words coders
type ("wc", "pwr", "scrn"), `descriptor_abbreviations`. Coders' shorthand that no source
defines, because the sources never abbreviate that way ("pt", "dx", "DOS", "s/p"), is the
short list `SHORTHAND`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

_DEFINED = re.compile(r"\(\s*([A-Za-z][A-Za-z0-9/&\-]{1,9}?)(?:s|'s)?\s*\)")
"""A parenthesised short form: 2-10 characters, starting with a letter."""
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\-]*")
MIN_UPPER = 2
"""A short form has at least two capitals ("ABN", "E/M", "HHAs"): "(a)" and "(see)" are not."""
MIN_SHARE = 0.25
"""A long form kept for a short form must make up at least this share of its definitions."""
MIN_COUNT = 1
SMALL_WORDS = frozenset(
    {"of", "and", "the", "for", "on", "in", "into", "to", "with", "a", "an", "&"}
)
"""Words a long form may hold without a letter of its short form."""
_ROMAN = re.compile(r"[ivx]+")


@dataclass(frozen=True, slots=True)
class Definition:
    short: str
    long: str


def _letters(short: str) -> str:
    return "".join(ch for ch in short.lower() if ch.isalnum())


def long_form(short: str, before: str) -> str | None:
    """The words before a parenthesised `short` that it abbreviates, or None.

    First as initials: the last words before the parenthesis, small words skipped, whose
    first letters spell the short form ("Social Security Administration (SSA)"). Else by
    Schwartz & Hearst (2003): the short form's letters found right to left through the
    candidate words, the first at the start of a word that is not a small word."""
    letters = _letters(short)
    if len(letters) < 2 or not letters[0].isalpha() or _ROMAN.fullmatch(letters):
        return None
    words = [part for word in _WORD.findall(before) for part in word.split("-") if part]
    window = words[-min(len(letters) + 5, 2 * len(letters)) :]
    found = _initials(letters, window) or _letter_walk(letters, window)
    if found is None or len(found.split()) < 2:
        return None  # one word ("requirements (RR)") is a word, not an expansion
    return found


def _initials(letters: str, words: list[str]) -> str | None:
    position = len(letters)
    start = len(words)
    for index in range(len(words) - 1, -1, -1):
        word = words[index].lower()
        if word in SMALL_WORDS and position < len(letters):
            continue
        if position == 0 or word[0] != letters[position - 1]:
            break
        position -= 1
        start = index
        if position == 0:
            return " ".join(words[start:])
    return None


def _letter_walk(letters: str, words: list[str]) -> str | None:
    text = " ".join(words)
    lowered = text.lower()
    position = len(lowered) - 1
    for index in range(len(letters) - 1, -1, -1):
        letter = letters[index]
        while position >= 0 and (
            lowered[position] != letter
            or (
                index == 0
                and (
                    (position > 0 and lowered[position - 1].isalnum())
                    or lowered[position:].split()[0] in SMALL_WORDS
                )
            )
        ):
            position -= 1
        if position < 0:
            return None
        position -= 1
    return text[position + 1 :]


def definitions(text: str) -> Iterable[Definition]:
    """Every "long form (SHORT)" pair in `text`."""
    for match in _DEFINED.finditer(text):
        short = match.group(1)
        if sum(ch.isupper() for ch in short) < MIN_UPPER:
            continue
        before = text[max(0, match.start() - 160) : match.start()]
        before = re.split(r"[.;:()\n]", before)[-1]
        found = long_form(short, before)
        if found is not None:
            yield Definition(short.upper(), found)


def mine(texts: Iterable[str]) -> dict[str, list[str]]:
    """Short form -> its long forms, most used first, over all `texts`."""
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for text in texts:
        for item in definitions(text):
            counts[item.short][" ".join(item.long.lower().split())] += 1
    mined: dict[str, list[str]] = {}
    for short, forms in sorted(counts.items()):
        total = sum(forms.values())
        kept = [
            form
            for form, count in forms.most_common()
            if count >= MIN_COUNT and count / total >= MIN_SHARE
        ]
        if kept:
            mined[short] = kept
    return mined


_DESCRIPTOR_WORD = re.compile(r"[a-z][a-z0-9]*")
MIN_DESCRIPTOR_COUNT = 3
"""A short descriptor's word must abbreviate the same long word in this many codes..."""
MIN_DESCRIPTOR_SHARE = 0.5
"""...and in at least this share of the codes whose short descriptor uses it."""
MIN_TWO_LETTER_COUNT = 10
MIN_TWO_LETTER_SHARE = 0.9
MIN_PROSE_USES = 2
"""A clipped word the prose writes this often is a word of its own."""


def _abbreviates(short: str, word: str) -> bool:
    """`short` is `word` cut down: same first letter, its letters in order ("inj" of
    "injection", "whlchr" of "wheelchair")."""
    if len(short) >= len(word) or short[0] != word[0]:
        return False
    rest = iter(word[1:])
    return all(letter in rest for letter in short[1:])


def descriptor_abbreviations(
    pairs: Iterable[tuple[str, str]], prose: Iterable[str] = ()
) -> dict[str, list[str]]:
    """Short form -> long word, learnt from code descriptors given as (short, long) pairs.

    HCPCS short descriptors squeeze the long ones into 28 characters ("Prostate ca
    screening; dre" for "Prostate cancer screening; digital rectal examination"), the way
    coders type. A short descriptor's word that is not a word of any long descriptor and
    abbreviates exactly one word of its own long descriptor (one it begins, else one whose
    letters it keeps in order) is counted; the pairs seen in several codes and in most uses
    of the short word are kept ("pwr" -> power, "wc" -> wheelchair, "scrn" -> screening).
    Words the long descriptors use themselves ("in", "port") are words, not abbreviations,
    and so are those the `prose` (manuals, coverage, statute) writes more than once ("ill",
    "us", "LT"). A two-letter form must be all but unambiguous and common ("wc"), the
    shortest ones collide most."""
    pairs = list(pairs)
    long_words = {w for _, long in pairs for w in _DESCRIPTOR_WORD.findall(long.lower())}
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for short, long in pairs:
        words = _DESCRIPTOR_WORD.findall(long.lower())
        for token in set(_DESCRIPTOR_WORD.findall(short.lower())):
            if len(token) < 2 or not token.isalpha() or token in long_words:
                continue
            candidates = {word for word in words if _abbreviates(token, word)}
            prefixed = {word for word in candidates if word.startswith(token)}
            candidates = prefixed or candidates
            if len(candidates) == 1:
                counts[token][candidates.pop()] += 1
    in_prose: Counter[str] = Counter()
    for text in prose:
        in_prose.update(w for w in _DESCRIPTOR_WORD.findall(text.lower()) if w in counts)
    found: dict[str, list[str]] = {}
    for token, forms in sorted(counts.items()):
        word, count = forms.most_common(1)[0]
        share = count / sum(forms.values())
        if len(token) == 2 and (count < MIN_TWO_LETTER_COUNT or share < MIN_TWO_LETTER_SHARE):
            continue
        common = count >= MIN_DESCRIPTOR_COUNT and share >= MIN_DESCRIPTOR_SHARE
        if common and in_prose[token] < MIN_PROSE_USES:
            found[token] = [word]
    return found


SHORTHAND: dict[str, str] = {
    "pt": "patient",
    "pts": "patients",
    "dx": "diagnosis",
    "hx": "history",
    "tx": "treatment",
    "s/p": "status post",
    "f/u": "follow-up",
    "w/": "with",
    "DOS": "date of service",
    "POS": "place of service",
    "TF": "timely filing",
    "NP": "nurse practitioner",
    "PA": "physician assistant",
    "MAC": "Medicare Administrative Contractor",
    "E/M": "evaluation and management",
    "mod": "modifier",
    "dr": "physician",
    "doc": "physician",
}
"""Coders' shorthand the sources never define, as typed at work (case matters: "PT" is
physical therapy, "pt" the patient). Kept short on purpose: every entry is a common
abbreviation of billing offices, not a word of one question."""
