"""Reading a question once: what it asks, in which words, and what it is about.

Questions arrive as users type them: a scenario of several sentences ending in what they
want to know, coder shorthand ("pt seen 2/29 - last day to file?"), or a few keywords.
`read` turns one into a `Question` that search and answer share:

- shorthand spelled out (`abbreviations.SHORTHAND`), so its words meet the sources' words;
- dates typed as numbers ("2/29/24", "2024-02-29") or with a short month ("Feb 29")
  written as the manuals write them ("February 29, 2024"), so a rule stated for a date
  is found by the date;
- the focus: the sentences that ask; a scenario's other sentences are its context (facts
  that matter less than what is asked);
- parts: the separate things one question asks ("how much extra time do we get, and is
  there an outer limit?"), each with the kind of answer it wants (`Asked`);
- identifiers and intents (`route.parse`), parsed once.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from typing import Literal

from medref.codes.systems import UNLOADED_SYSTEMS
from medref.retrieval.abbreviations import SHORTHAND
from medref.retrieval.route import QueryParse, parse

Asked = Literal[
    "code",
    "contact",
    "office_holder",
    "time",
    "count",
    "amount",
    "definition",
    "yes_no",
    "procedure",
    "condition",
    "list",
    "who",
    "open",
]
"""The kind of answer a part of a question wants:

- code: which code, modifier or place of service ("HCPCS for a raised toilet seat");
- time: a duration, deadline or date ("how long", "last day to file", "when did");
- count: how many or how often; amount: a payment, percentage or fee ("how much",
  "how will the MAC price it");
- definition: what a term means; list: what something includes;
- yes_no: whether a rule allows something ("can we bill ...?"), answered by the rule;
- procedure: what to do ("what do we do", "how should we report");
- condition: when or under what conditions a rule applies; who: which person or entity;
- contact: a phone number, address, e-mail or web site; office_holder: who holds an office
  now (the sources hold rules and roles, not the people in them);
- open: anything else.
"""

_SHORTHAND = re.compile(
    r"(?<![\w/])("
    + "|".join(re.escape(short) for short in sorted(SHORTHAND, key=len, reverse=True))
    + r")(?![\w/])"
)
_NUMERIC_DATE = re.compile(
    r"(?<![\w/.-])(?:(\d{4})-(\d{1,2})-(\d{1,2})|(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?"
    r"|(\d{1,2})/(\d{4}))"
    r"(?![\w/-]|\.\d)"
)
"""2024-02-29, 2/29/2024, 2/29/24, 2/29 (month first, as US claims write dates) and 2/2024."""
_MONTHS = "|".join(["Sept", *calendar.month_abbr[1:]])
_SHORT_MONTH = re.compile(rf"\b({_MONTHS})\.?(?=\s+\d)", re.IGNORECASE)
"""A month typed short before a day or year ("Feb 29", "Sept. 3 2025")."""
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[\"'(]?[A-Z0-9])|\n+")
_AUXILIARY = (
    r"(?:is|are|was|were|can|could|does|do|did|should|would|will|may|might|must|has|have|"
    r"shall|am)"
)
_WH = r"(?:what|which|how|when|where|who|whom|whose|why)"
_ASKS = re.compile(rf"^\W*(?:{_WH}|{_AUXILIARY})\b", re.IGNORECASE)
"""A sentence that opens like a question, with or without its question mark."""
_PART_BREAK = re.compile(
    rf"\s*(?:[,;]\s*(?:and|or|but|plus)?|\s(?:and|or|but|plus))\s+(?=(?:{_WH}|{_AUXILIARY}|"
    r"if so|if not)\b)",
    re.IGNORECASE,
)
"""Where a second question starts inside one sentence: ", and is there an outer limit"."""
_CUE_BREAK = re.compile(r"\s+[-–—:]\s+|\?\s*")
"""Dash or colon: "pt refused to sign ABN - what do we do"."""

_KINDS: tuple[tuple[Asked, re.Pattern[str]], ...] = (
    (
        "contact",
        re.compile(
            r"\b(?:phone|telephone|fax|toll[- ]free) (?:number|line)\b|\be-?mail(?: address)?\b"
            r"|\b(?:mailing|street|web) ?(?:address|site)\b|\bwebsite\b|\burl\b",
            re.IGNORECASE,
        ),
    ),
    (
        "office_holder",
        re.compile(
            r"^\W*who (?:is|are|was|were) (?:the |our |my )?(?:current |new |present |acting "
            r"|former )?(?:[\w-]+ ){0,3}?(?:administrator|secretary|director|head|chief|"
            r"commissioner|president|chair(?:man|woman|person)?|officer|manager)s?\b",
            re.IGNORECASE,
        ),
    ),
    (
        "time",
        re.compile(
            r"\bhow (?:long|soon|far back|late|much (?:\w+ )?time)\b|\b(?:deadline|time ?limit|"
            r"time ?frame|last day|how many (?:days|months|years|weeks|minutes|hours))\b"
            r"|\bwhen (?:did|was|were|does \S+ (?:start|begin|end|expire))\b"
            r"|\b(?:what|which) (?:date|day|year)\b|\bby when\b",
            re.IGNORECASE,
        ),
    ),
    (
        "count",
        re.compile(
            r"\bhow (?:many|often)\b|\bfrequency\b|\bnumber of\b|\bmax(?:imum)? (?:units|number)"
            r"|\bunits?\b.*\b(?:allowed|limit)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "amount",
        re.compile(
            r"\bhow much\b|\bwhat (?:\w+ )?(?:percent(?:age)?|share|rate|amount|fee|payment|"
            r"reimbursement)s?\b|\bpercent\b|\bhow (?:will|does|do|is|are|would) .{0,40}\b"
            r"(?:price[sd]?|pa(?:y|id)|reimburse[sd]?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "definition",
        re.compile(
            r"\bwhat (?:does|do) .+ (?:mean|stand for|indicate|signify|represent)\b"
            r"|\bdefin(?:e|es|ed|ition)\b"
            r"|\bmeaning of\b|\bwho (?:counts|qualifies|is considered) as\b"
            r"|^\W*what (?:is|are) (?:an?|the)? ?[\w-]+(?: [\w-]+)?\s*\??$"
            r"|^\W*what(?:'s|\s+is|\s+are)\s+(?:(?:hcpcs|cpt|icd-?10(?:-?cm)?|code|modifier|pos|"
            r"place of service)\s+)*[a-z0-9.]{2,8}\s*\??$",
            re.IGNORECASE,
        ),
    ),
    (
        "code",
        re.compile(
            rf"\b(?:which|what)\s+(?:(?!{_AUXILIARY}\b)[\w/-]+\s+){{0,3}}?(?:codes?|modifiers?|"
            r"hcpcs|icd(?:-?10)?"
            r"(?:-?cm)?|dx|pos|place of service|j-?code|g-?code)\b"
            r"|\b(?:codes?|modifiers?)\s+(?:for|to (?:use|bill|report))\b"
            r"|\b(?:hcpcs|icd-?10(?:-?cm)?|dx code|diagnosis code)\s*(?:code\s*)?(?:for\b|$)",
            re.IGNORECASE,
        ),
    ),
    (
        "procedure",
        re.compile(
            r"\bwhat (?:do|should|must|can) (?:we|i|you|they|the \w+)\s+(?:do|bill|report|"
            r"use|submit|file)\b|\bhow (?:do|should|must|can|to) (?:we |i |you |they )?"
            r"(?:bill|report|code|document|submit|file|handle|count|correct|fix|appeal)\b"
            r"|\bwhat (?:should|must) \w+ \w+ instead\b",
            re.IGNORECASE,
        ),
    ),
    (
        "condition",
        re.compile(
            r"\bwhen (?:does|do|is|are|must|should|may|can|will|would)\b|\bunder what "
            r"(?:conditions|circumstances)\b|\bcriteria\b|\brequirements?\b|\bqualify\b",
            re.IGNORECASE,
        ),
    ),
    (
        "list",
        re.compile(
            r"\bwhat\b[^?]*\b(?:includ(?:e|es|ed)|components?|consists?|comprises?|elements)\b"
            r"|\b(?:what|which) (?:are the )?(?:two|three|four|five|six|\d) [\w-]+",
            re.IGNORECASE,
        ),
    ),
    ("who", re.compile(r"^\W*who\b|\bwhich (?:physician|provider|practitioner|entity)\b", re.I)),
    ("yes_no", re.compile(rf"^\W*(?:{_AUXILIARY})\b", re.IGNORECASE)),
)


@dataclass(frozen=True, slots=True)
class Part:
    """One thing the question asks, as written (shorthand spelled out), and its kind."""

    text: str
    asked: Asked


@dataclass(frozen=True, slots=True)
class Question:
    typed: str
    """As the user typed it, whitespace collapsed."""
    text: str
    """With shorthand spelled out: what search and evidence read."""
    focus: str
    """The sentences that ask; the whole text when nothing else is there."""
    context: str
    """The rest of a scenario (its facts); empty for a plain question."""
    parts: tuple[Part, ...]
    parse: QueryParse
    unloaded: tuple[str, ...] = ()
    """Code systems the question names that medref does not load ("ICD-11", "MS-DRG")."""

    @property
    def asked(self) -> Asked:
        """The kind of answer the first part wants."""
        return self.parts[0].asked if self.parts else "open"

    @property
    def is_scenario(self) -> bool:
        return bool(self.context)


def spell_out(text: str) -> str:
    """Coders' shorthand replaced by what it stands for ("pt" -> "patient"), dates
    written as the sources write them."""
    return spell_dates(_SHORTHAND.sub(lambda match: SHORTHAND[match.group(1)], text))


def spell_dates(text: str) -> str:
    """Dates typed as numbers or with a short month name, in the manuals' form: "2/29/24"
    -> "February 29, 2024", "1/2025" -> "January 2025", "Feb 29" -> "February 29". A month/day pair without a year is a
    date only when it cannot be a fraction (a day above 12: "2/29", not "1/2"); what is
    no calendar date ("13/45", "2/30/24") stays as typed."""

    def written(match: re.Match[str]) -> str:
        iso_year, iso_month, iso_day, month, day, year, alone, its_year = match.groups()
        if alone:
            number = int(alone)
            if not 1 <= number <= 12:
                return match.group(0)
            return f"{calendar.month_name[number]} {its_year}"
        if iso_year:
            year, month, day = iso_year, iso_month, iso_day
        elif year is None and int(day) <= 12:
            return match.group(0)
        number, day_number = int(month), int(day)
        full_year = None if year is None else int(year) + (2000 if len(year) == 2 else 0)
        if not 1 <= number <= 12:
            return match.group(0)
        last = calendar.monthrange(full_year or 2000, number)[1]  # 2000: February 29 exists
        if not 1 <= day_number <= last:
            return match.group(0)
        named = f"{calendar.month_name[number]} {day_number}"
        return named if full_year is None else f"{named}, {full_year}"

    def month(match: re.Match[str]) -> str:
        short = match.group(1).lower()[:3]
        return next(name for name in calendar.month_name[1:] if name.lower().startswith(short))

    return _SHORT_MONTH.sub(month, _NUMERIC_DATE.sub(written, text))


def sentences(text: str) -> list[str]:
    return [piece.strip() for piece in _SENTENCE_END.split(text) if piece.strip()]


def asks(sentence: str) -> bool:
    return sentence.rstrip().endswith("?") or _ASKS.search(sentence) is not None


_UNLOADED = tuple(
    (name, re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])", re.IGNORECASE))
    for name, pattern in UNLOADED_SYSTEMS.items()
)
_CODE_NOUN = re.compile(
    r"\b(?:codes?|modifiers?|hcpcs|icd(?:[- ]?10)?(?:-?cm)?|diagnosis code|place of service)\b",
    re.IGNORECASE,
)
_BARE = re.compile(
    r"^\W*(?:(?:which|what)(?: one| ones| code| codes)?|(?:the )?(?:codes?|modifiers?|"
    r"hcpcs|icd(?:-?10)?(?:-?cm)?|diagnosis code|place of service))\W*$",
    re.IGNORECASE,
)
"""A part that only points at what it wants: "Which one?", "modifier?", "what code"."""


def kind_of(text: str, context: str = "") -> Asked:
    """The kind of answer `text` (one part of a question) wants; a part that only points
    ("Which one?") wants a code when the rest of the question is about one."""
    if _BARE.match(text) and (_CODE_NOUN.search(text) or _CODE_NOUN.search(context)):
        return "code"
    found: Asked = next((kind for kind, pattern in _KINDS if pattern.search(text)), "open")
    if found == "open" and not asks(text) and _CODE_NOUN.search(text):
        return "code"  # keywords naming a code system: "icd10 charley horse in the calf"
    return found


def split_parts(focus: str) -> list[str]:
    """The separate questions of the focus: its question sentences, each split where a
    second question starts (", and is there ...", " - what do we do"). Pieces that ask
    nothing ("90 day global - how to count days", "If the MAC gave us wrong information,
    how much ...") set the scene; keywords that ask nothing at all ("timely filing deadline
    leap year") are asked as they are, one part each by the kind of answer they name."""
    pieces = [
        part.strip(" ,;")
        for sentence in sentences(focus)
        for piece in _CUE_BREAK.split(sentence)
        for part in _PART_BREAK.split(piece)
        if part.strip(" ,;")
    ]
    asking = [piece for piece in pieces if asks(piece)]
    return asking or [piece for piece in pieces if kind_of(piece) != "open"] or [focus]


def read(typed: str) -> Question:
    """Everything search and answer need to know about one question."""
    typed = " ".join(typed.split())
    text = spell_out(typed)
    all_sentences = sentences(text)
    asking = [s for s in all_sentences if asks(s)]
    if len(all_sentences) > 1 and asking and len(asking) < len(all_sentences):
        focus = " ".join(asking)
        context = " ".join(s for s in all_sentences if s not in asking)
    else:
        focus, context = text, ""
    parts = tuple(Part(piece, kind_of(piece, text)) for piece in split_parts(focus))
    parsed = parse(text)
    asked_first = sorted(parsed.codes, key=lambda code: code.upper() not in focus.upper())
    unloaded = tuple(name for name, pattern in _UNLOADED if pattern.search(text))
    return Question(
        typed, text, focus, context, parts, replace(parsed, codes=tuple(asked_first)), unloaded
    )
