"""A code-aware tokenizer for BM25: the same function reads chunks and queries.

Billing text is full of identifiers a plain word tokenizer breaks: HCPCS/CPT codes
(`G0439`, `99213`, `0042T`), ICD-10-CM codes with and without the dot (`E11.9`, `E119`),
manual sections (`40.6`, `30.6.18`), publications (`100-04`), statute sections (`1395y(a)`,
`1395w-4`) and modifiers (`-25`, `modifier GA`). Those stay whole; an ICD-10-CM code also
yields its undotted form and its category, a statute section its bare section and each
enclosing subsection, and a modifier mention a `mod<xx>` token so "modifier 25" does not
match every "25" in the corpus. Words are lowercased, stopwords dropped, a word after a negation
marked (`without wheels` -> `no_wheel`) and plurals and -ing/-ed endings trimmed by a small
suffix stemmer.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_STOPWORD_TEXT = """a about above after again against all am an and any are as at be because been
    before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    may must shall also per e g ie eg etc"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_TOKEN = re.compile(r"[a-z0-9]+(?:[.\-/][a-z0-9]+)*(?:\([a-z0-9]+\))*")
_ICD_DOTTED = re.compile(r"[a-z]\d[0-9a-z]\.[0-9a-z]{1,4}")
_SECTION = re.compile(r"\d+(?:\.\d+)+")
_PUBLICATION = re.compile(r"\d{3}-\d{2}")
_STATUTE = re.compile(r"\d{4}[a-z]*(?:-\d+)?")
_QUOTE = "[\"']?"
"""A modifier is often quoted ("modifier “-25”", folded to `"-25"` by `normalise`)."""
_MODIFIER_AFTER = re.compile(rf"\bmodifiers?\s*{_QUOTE}\s*(?:-\s*)?([0-9a-z]{{2}})\b")
_MODIFIER_BEFORE = re.compile(rf"\b([0-9a-z]{{2}}){_QUOTE}\s*(?:-\s*)?modifiers?\b")
_DASH_PAIR = re.compile(r"-([0-9a-z]{2})\b")
_CODE_BEFORE = re.compile(r"(?:^|[^0-9a-z])[0-9a-z]\d{3}[0-9a-z]$")
_FOLD = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "‐": "-"})


def normalise(text: str) -> str:
    """Lowercase, fold dashes and quotes, drop accents: one spelling per character."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def stem(word: str) -> str:
    """A light suffix stemmer: plurals, -ing, -ed, a final -e and the noun endings -ition,
    -ance and -ment, so that `codes`, `coding` and `coded` meet `code`, `wheeled` meets
    `wheels`, `definition` meets `define` and `payment` meets `pay`. Words with digits are
    kept."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    noun = next(
        (
            suffix
            for suffix, shortest in (("ition", 4), ("ance", 4), ("ment", 3))
            if word.endswith(suffix) and len(word) - len(suffix) >= shortest
        ),
        None,
    )
    word = word[: -len(noun)] if noun is not None else _strip_verb_ending(word)
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def _expand(raw: str) -> list[str]:
    """The index terms of one raw token (already lowercase)."""
    if "(" in raw:
        base = raw[: raw.index("(")]
        if not any(ch.isdigit() for ch in base):
            return _expand(base)
        terms = _expand(base)
        path = base
        for part in re.findall(r"\([a-z0-9]+\)", raw):
            path += part
            terms.append(path)
        return terms
    if _ICD_DOTTED.fullmatch(raw):
        return [raw, raw.replace(".", ""), raw[:3]]
    if _SECTION.fullmatch(raw) or _PUBLICATION.fullmatch(raw) or _STATUTE.fullmatch(raw):
        return [raw]
    if "/" in raw:
        parts = raw.split("/")
        if all(len(p) <= 2 and p.isalpha() for p in parts):
            return ["".join(parts)]
    if "." in raw or "/" in raw or "-" in raw:
        parts = re.split(r"[.\-/]", raw)
        if "." in raw and all(len(p) == 1 and p.isalpha() for p in parts):
            return ["".join(parts)]
        return [t for p in parts for t in _expand(p)]
    return [raw]


def modifier_terms(text: str) -> list[str]:
    """`mod<xx>` for each modifier named as such: "modifier 25", "GA modifier", "99213-25"."""
    found: dict[int, str] = {}
    if "modifier" in text:
        for pattern in (_MODIFIER_AFTER, _MODIFIER_BEFORE):
            for match in pattern.finditer(text):
                found[match.start(1)] = match.group(1)
    for match in _DASH_PAIR.finditer(text):
        start = match.start()
        if (
            start == 0
            or text[start - 1].isspace()
            or text[start - 1] in "\"'"
            or _CODE_BEFORE.search(text[max(0, start - 6) : start])
        ):
            found[match.start(1)] = match.group(1)
    found = {start: f"mod{value}" for start, value in found.items() if value not in STOPWORDS}
    return [found[start] for start in sorted(found)]


def _strip_verb_ending(word: str) -> str:
    """`billing` -> `bill`, `stopped` -> `stop`, `covered` -> `cover`."""
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if any(vowel in base for vowel in "aeiouy"):
                if len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
                    base = base[:-1]
                return base
    return word


@functools.lru_cache(maxsize=1 << 20)
def _terms(raw: str) -> tuple[str, ...]:
    """Stemmed index terms of one raw token, stopwords out (cached: the corpus repeats)."""
    return tuple(stem(term) for term in _expand(raw) if term not in STOPWORDS)


NEGATIONS = frozenset({"no", "not", "without", "wo"})
"""A word after one of these is indexed as `no_<word>`: "walker, without wheels" must not
answer "walker with wheels" ("wo" is the `w/o` of short descriptions)."""


def tokenize(text: str) -> list[str]:
    """Index terms of `text` in order (repeats kept: BM25 counts them)."""
    lowered = normalise(text)
    terms: list[str] = []
    negated = False
    for raw in _TOKEN.findall(lowered):
        if raw in NEGATIONS or raw == "w/o":
            negated = True
            continue
        found = _terms(raw)
        if negated and found:
            found = (f"no_{found[0]}", *found[1:])
            negated = False
        terms.extend(found)
    if "-" in lowered or "modifier" in lowered:
        terms.extend(modifier_terms(lowered))
    return terms
