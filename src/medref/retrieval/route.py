"""Exact routing: find the identifiers a question names (codes, modifiers, manual and NCD
sections, statute sections, places of service, code pairs) and what it asks about them
(MUE, add-on, fee schedule, PTP edit, plain lookup), and turn them into references to fetch
from the knowledge base directly. Ranking text cannot beat an exact identifier, so the
searcher ranks strong routes first and slots weak ones (an entity merely mentioned) near
the top.

`parse` is pure; `targets` turns a parse into what to fetch; the searcher resolves them
against the knowledge base.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from medref.retrieval.tokenize import STOPWORDS, tokenize

HCPCS_CODE = r"[A-Va-v]\d{4}"
CPT_CODE = r"\d{4}[0-9FfTtUuMm]"
ICD_CODE = r"[A-Za-z]\d[0-9A-Za-z](?:\.[0-9A-Za-z]{1,4}|[0-9A-Za-z]{1,4})?"
_CODE = re.compile(rf"(?<![\w.§/-])({HCPCS_CODE}|{CPT_CODE}|{ICD_CODE})(?![\w(]|\.\d)")
_MODIFIER = r"[0-9A-Za-z]{2}"
_QUOTE = "[\"'“”‘’]?"
"""Manuals quote modifiers: modifier “-57”, the "-25" modifier."""
_MODIFIER_LIST = re.compile(
    rf"\bmodifiers?\s*{_QUOTE}\s*-?\s*({_MODIFIER}(?:\s*(?:,|and|or|/)\s*{_QUOTE}-?{_MODIFIER})*)"
    rf"\b{_QUOTE}",
    re.IGNORECASE,
)
_MODIFIER_BEFORE = re.compile(rf"\b({_MODIFIER}){_QUOTE}\s*-?\s*modifiers?\b", re.IGNORECASE)
_MODIFIER_SUFFIX = re.compile(
    rf"(?:\b[0-9A-Za-z]\d{{3}}[0-9A-Za-z]|(?:^|\s){_QUOTE})-({_MODIFIER})\b"
)
_PUBLICATION = re.compile(r"\b(?:pub(?:lication)?\.?\s*)?(100-0[1-9])\b", re.IGNORECASE)
_CHAPTER = re.compile(r"\b(?:chapter|ch\.?)\s*(\d{1,2})\b", re.IGNORECASE)
_SECTION = re.compile(r"(?:§+|\bsection|\bsec\.)\s*(\d+(?:\.\d+)*)(?![\w(])", re.IGNORECASE)
_NCD = re.compile(
    r"\bNCD\s*(?:#|no\.?|number|section|§)?\s*(\d+(?:\.\d+)+|\d+)\b"
    r"|\b(\d+(?:\.\d+)+)\s+NCD\b",
    re.IGNORECASE,
)
_USC = re.compile(
    r"(?<![\w.])(1395[a-z]*(?:-\d+[a-z]?)?)((?:\([0-9A-Za-z]{1,4}\))*)", re.IGNORECASE
)
_SSA = re.compile(
    r"(?:§+|\bsection|\bsec\.)\s*(18\d\d[A-B]?)((?:\([0-9A-Za-z]{1,4}\))*)", re.IGNORECASE
)
_POS = re.compile(
    r"\b(?:place\s+of\s+service|POS)\s*(?:code\s*)?(?:#|no\.?)?\s*(\d{1,2})\b", re.IGNORECASE
)

INTENTS: dict[str, re.Pattern[str]] = {
    "mue": re.compile(
        r"\bmues?\b|medically unlikely|unit limit|max(?:imum)? (?:number of )?units"
        r"|units? (?:of service )?(?:allowed|limit)|how many units",
        re.IGNORECASE,
    ),
    "aoc": re.compile(
        r"\badd[- ]?on\b|\baocs?\b|primary (?:code|procedure|service)", re.IGNORECASE
    ),
    "pfs": re.compile(
        r"global (?:surgery |surgical )?(?:period|days|indicator)|\brvus?\b|relative value"
        r"|fee schedule|status (?:code|indicator)|(?:multiple procedure|bilateral surgery"
        r"|bilateral|assistant at surgery|co-?surgeon|team surgery|pc/?tc) indicator"
        r"|conversion factor",
        re.IGNORECASE,
    ),
    "ptp": re.compile(
        r"\bncci\b|\bcci\b|\bptp\b|procedure[- ]to[- ]procedure|bundl|column (?:1|2|one|two)"
        r"|\bedits?\b|billed together|reported together|same (?:day|date|claim|encounter)"
        r"|mutually exclusive|modifier indicator",
        re.IGNORECASE,
    ),
}

MUE_SETTINGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ncci-mue-dme", re.compile(r"\bdme\b|supplier|durable", re.IGNORECASE)),
    ("ncci-mue-outpatient", re.compile(r"outpatient|hospital|facility", re.IGNORECASE)),
    ("ncci-mue-practitioner", re.compile(r"practitioner|physician|professional", re.IGNORECASE)),
)

MODIFIER = "modifier"
"""The source hint of a question asking for a modifier: one list over both modifier tables,
so that the two do not each add a list and crowd out the rule that answers."""
MODIFIER_SOURCES = ("hcpcs-modifiers", "modifiers")
_MODIFIER_QUESTION = re.compile(
    r"\b(?:which|what)\s+(?:(?:hcpcs|cpt|level i{1,2}|ncci|anatomic)\s+)?modifiers?\b"
    r"(?!\s+indicator)"
    r"|\bmodifiers?\s+(?:for|that|to (?:use|report|bill|show|indicate|identify)"
    r"|used (?:for|to|when|on)|when)\b",
    re.IGNORECASE,
)
"""A question asking for a modifier: Level II (HCPCS file) or Level I (our notes)."""

SOURCE_HINTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("icd10cm", re.compile(r"\bicd(?:-?10)?(?:-?cm)?\b|diagnosis code", re.IGNORECASE)),
    ("hcpcs", re.compile(r"\bhcpcs\b|level ii", re.IGNORECASE)),
    ("pos", re.compile(r"place of service|\bpos\b", re.IGNORECASE)),
    ("ncd", re.compile(r"\bncds?\b|national coverage", re.IGNORECASE)),
    (
        "statute",
        re.compile(r"\bstatute|u\.?s\.?c\b|social security act|\blaw\b|\bact\b", re.IGNORECASE),
    ),
    ("iom", re.compile(r"\bmanual\b|\biom\b|100-0\d", re.IGNORECASE)),
    (MODIFIER, _MODIFIER_QUESTION),
)

PROSE_SOURCES = ("iom", "ncd", "lcd", "article", "statute")
"""Rules and policy in sentences, as opposed to code tables."""
PROSE = "prose"
"""The source hint of a question that asks about a rule, not for a code."""
_CODE_SEEKING = re.compile(
    r"\b(?:which|what)\s+(?:[\w/-]+\s+){0,3}?codes?\b|\bcodes?\s+(?:for|to use)\b"
    r"|\bhcpcs\b|\bicd\b|\bicd-?10|\bcpt\b|place of service",
    re.IGNORECASE,
)

LOOKUP_FILLER = frozenset(
    tokenize(
        "hcpcs cpt icd 10 cm code codes modifier modifiers mean means meaning define "
        "definition describe description descriptor stand level ii medicare indicate "
        "indicates used use tell explain say says place service pos ncd section statute "
        "usc diagnosis procedure"
    )
)
"""Words of a plain lookup question ("What does modifier GA mean?") besides the entity."""

SSA_TO_USC: dict[str, str] = {
    "1811": "1395c",
    "1812": "1395d",
    "1813": "1395e",
    "1814": "1395f",
    "1815": "1395g",
    "1816": "1395h",
    "1817": "1395i",
    "1819": "1395i-3",
    "1820": "1395i-4",
    "1831": "1395j",
    "1832": "1395k",
    "1833": "1395l",
    "1834": "1395m",
    "1835": "1395n",
    "1836": "1395o",
    "1837": "1395p",
    "1838": "1395q",
    "1839": "1395r",
    "1840": "1395s",
    "1841": "1395t",
    "1842": "1395u",
    "1843": "1395v",
    "1844": "1395w",
    "1848": "1395w-4",
}
"""Social Security Act sections and their 42 U.S.C. numbers (Title XVIII); 1861 onwards
follow a pattern, see `ssa_to_usc`."""


def ssa_to_usc(section: str) -> str | None:
    """`1862` -> `1395y`: SSA 1861-1889 are 1395x..1395zz, 1890-1899B 1395aaa..1395lll."""
    if section in SSA_TO_USC:
        return SSA_TO_USC[section]
    number, letter = section[:4], section[4:]
    if not number.isdigit() or letter not in ("", "A", "B"):
        return None
    value = int(number)
    if 1861 <= value <= 1863 and not letter:
        return "1395" + "xyz"[value - 1861]
    if 1864 <= value <= 1889 and not letter:
        return "1395" + chr(ord("a") + value - 1864) * 2
    if 1890 <= value <= 1899 and (not letter or value == 1899):
        offset = value - 1890 + {"": 0, "A": 1, "B": 2}[letter]
        return "1395" + chr(ord("a") + offset) * 3
    return None


@dataclass(frozen=True, slots=True)
class IomCite:
    section: str
    publication: str | None = None
    chapter: str | None = None


@dataclass(frozen=True, slots=True)
class QueryParse:
    codes: tuple[str, ...] = ()
    """Code-like tokens, upper-case, as written (`G0439`, `99213`, `E11.9`, `E119`)."""
    modifiers: tuple[str, ...] = ()
    iom: tuple[IomCite, ...] = ()
    ncd: tuple[str, ...] = ()
    usc: tuple[str, ...] = ()
    """42 U.S.C. sections with any subsection path: `1395y(a)(1)`."""
    pos: tuple[str, ...] = ()
    intents: frozenset[str] = frozenset()
    mue_sources: tuple[str, ...] = ()
    """MUE tables in the order the question prefers them."""
    source_hints: tuple[str, ...] = ()
    """Sources the question names, or `prose` for a question about a rule, not a code."""
    lookup: bool = False
    """The question is about an entity itself (what it is or means), not a rule using it."""
    defines: tuple[str, ...] = ()
    """Terms of the noun phrase a definitional question asks about ("Who counts as a
    physician?" -> `physician`), empty for other questions. The statute subsection defining
    it is routed strongly when the question names the statute, else weakly (the manuals
    define many of the same terms)."""


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _modifiers(query: str) -> list[str]:
    found: list[str] = []
    for match in _MODIFIER_LIST.finditer(query):
        found += re.findall(_MODIFIER, re.sub(r"\b(?:and|or)\b", " ", match.group(1)))
    found += [m.group(1) for m in _MODIFIER_BEFORE.finditer(query)]
    found += [m.group(1) for m in _MODIFIER_SUFFIX.finditer(query)]
    return [m.upper() for m in found if m.lower() not in STOPWORDS]


def _iom(query: str) -> list[IomCite]:
    publication = _PUBLICATION.search(query)
    chapter = _CHAPTER.search(query)
    return [
        IomCite(
            m.group(1),
            publication.group(1) if publication else None,
            chapter.group(1) if chapter else None,
        )
        for m in _SECTION.finditer(query)
        if "." in m.group(1) or publication or chapter
    ]


def _usc(query: str) -> list[str]:
    found = [m.group(1).lower() + m.group(2) for m in _USC.finditer(query)]
    for match in _SSA.finditer(query):
        usc = ssa_to_usc(match.group(1).upper())
        if usc is not None:
            found.append(usc + match.group(2))
    return found


def _is_lookup(query: str, entities: list[str]) -> bool:
    """Only filler words remain once the named entities are taken out."""
    rest = query
    for entity in sorted(entities, key=len, reverse=True):
        rest = re.sub(re.escape(entity), " ", rest, flags=re.IGNORECASE)
    content = [t for t in tokenize(rest) if t not in LOOKUP_FILLER and not t.startswith("mod")]
    return len(content) <= 1


def parse(query: str) -> QueryParse:
    """Every identifier and intent of one question."""
    modifiers = _modifiers(query)
    iom = _iom(query)
    ncd = [m.group(1) or m.group(2) for m in _NCD.finditer(query)]
    usc = _usc(query)
    pos = [m.group(1).zfill(2) for m in _POS.finditer(query)]
    taken = set(ncd) | {c.section for c in iom} | set(pos) | set(modifiers)
    codes = [
        m.group(1).upper()
        for m in _CODE.finditer(query)
        if m.group(1).upper() not in taken and not m.group(1).startswith("1395")
    ]
    intents = frozenset(name for name, pattern in INTENTS.items() if pattern.search(query))
    references = codes + [c.section for c in iom] + ncd + usc + pos
    entities = references + modifiers
    lookup = bool(entities) and _is_lookup(query, entities)
    hints = [name for name, pattern in SOURCE_HINTS if pattern.search(query)]
    if not (hints or references or lookup or _CODE_SEEKING.search(query)):
        hints.append(PROSE)
    return QueryParse(
        codes=_unique(codes),
        modifiers=_unique(modifiers),
        iom=tuple(dict.fromkeys(iom)),
        ncd=_unique(ncd),
        usc=_unique(usc),
        pos=_unique(pos),
        intents=intents,
        mue_sources=tuple(name for name, pattern in MUE_SETTINGS if pattern.search(query)),
        source_hints=tuple(hints),
        lookup=lookup,
        defines=definition_terms(query),
    )


SOURCE_NAMES: dict[str, frozenset[str]] = {
    "statute": frozenset(tokenize("statute law act social security u.s.c usc title xviii")),
    "iom": frozenset(tokenize("manual iom chapter publication pub")),
    "ncd": frozenset(tokenize("ncd national coverage determination")),
}
"""Words that name a source: any record of that source holds them."""
NAMING_TERMS = frozenset().union(*SOURCE_NAMES.values())
_CITATIONS = (_SSA, _USC, _SECTION, _NCD, _CHAPTER, _PUBLICATION)


def citation_terms(query: str) -> frozenset[str]:
    """Terms of the places a query cites ("section 1833(b)", "NCD 240.4"): the cited text
    rarely repeats its own number, so evidence is not asked to hold them."""
    cited = [m.group(0) for pattern in _CITATIONS for m in pattern.finditer(query)]
    return frozenset(tokenize(" ".join(cited)))


QUERY_FILLER = frozenset(tokenize("code codes hcpcs cpt icd medicare"))
_ICD_NAME = re.compile(r"\bicd-?10(?:-?cm)?\b", re.IGNORECASE)


def content_terms(query: str) -> list[str]:
    """The query's BM25 terms without the words that only name a code system or Medicare
    itself (every record is about Medicare; "HCPCS code" is a source hint, not content), or
    only name a source ("the Social Security Act": the source hint searches it)."""
    terms = tokenize(query)
    content = [
        t for t in tokenize(_ICD_NAME.sub(" ", query)) if t not in QUERY_FILLER | NAMING_TERMS
    ]
    return content or terms


_DEFINITION = re.compile(
    r"\bdefin(?:e|es|ed|ing|ition|itions)\b|\bmeaning of\b|\bwhat does\b.+\bmean\b"
    r"|\bwho\s+(?:counts|qualifies|is considered)\s+as\b|\b(?:who|what)\s+(?:is|are)\s+an?\b",
    re.IGNORECASE,
)
"""How a question asks what a term means: "how does the statute define X", "who counts as
X", "what is a X", "the meaning of X"."""
DEFINITION_FILLER = frozenset(
    tokenize(
        "define defined definition definitions mean means meaning term word count counts "
        "qualify qualifies considered say says"
    )
)
"""Words of the definitional phrasing itself, not of the term asked about."""


def definition_terms(query: str) -> tuple[str, ...]:
    """Terms of the noun phrase a definitional question asks about; empty when the question
    does not ask what something means or names nothing besides its phrasing and citations."""
    if not _DEFINITION.search(query):
        return ()
    cited = citation_terms(query)
    return _unique(
        [t for t in content_terms(query) if t not in DEFINITION_FILLER | cited | NAMING_TERMS]
    )


def icd_forms(code: str) -> tuple[str, ...]:
    """Reference forms of an ICD-10-CM code as typed: `E119` -> `E11.9`."""
    if "." in code or len(code) <= 3:
        return (code,)
    return (f"{code[:3]}.{code[3:]}",)


@dataclass(frozen=True, slots=True)
class Target:
    """What to fetch: exact references, or every reference under a prefix (`AOC:99215/`)."""

    refs: tuple[str, ...] = ()
    prefix: str | None = None
    strong: bool = True
    prefer_sources: tuple[str, ...] = ()
    """Order among records of one reference held by several sources (MUE tables)."""
    kind: str = ""
    """`code` targets list alternative readings of one code: the first found is used."""
    codes: tuple[str, ...] = field(default_factory=tuple)
    """For PTP targets: the codes whose pairs to look up."""


def targets(parsed: QueryParse) -> list[Target]:
    """What to fetch for a parsed question, most specific first."""
    found: list[Target] = []
    intents = parsed.intents
    code_intents = intents & {"mue", "aoc", "pfs"}
    if len(parsed.codes) >= 2:
        found.append(
            Target(kind="ptp", codes=parsed.codes[:4], strong="ptp" in intents or not code_intents)
        )
    for code in parsed.codes:
        if "mue" in intents:
            order = parsed.mue_sources + tuple(
                name for name, _ in reversed(MUE_SETTINGS) if name not in parsed.mue_sources
            )
            found.append(Target(refs=(f"MUE:{code}",), prefer_sources=order, kind="mue"))
        if "aoc" in intents:
            found.append(Target(prefix=f"AOC:{code}/", kind="aoc"))
            found.append(Target(refs=(f"AOC:CCCCC/{code}",), kind="aoc"))
            found.append(Target(codes=(code,), kind="aoc-addon"))
        if "pfs" in intents:
            found.append(Target(refs=(f"PFS:{code}",), kind="pfs"))
    for code in parsed.codes:
        strong = parsed.lookup and not code_intents
        icd = tuple(f"ICD10CM:{c}" for c in icd_forms(code))
        procedure = (f"HCPCS:{code}", f"CPT:{code}")
        forms = icd + procedure if "icd10cm" in parsed.source_hints else procedure + icd
        found.append(Target(refs=forms, strong=strong, kind="code"))
        if parsed.lookup and not code_intents and code[:1].isdigit():
            found.append(Target(refs=(f"PFS:{code}",), strong=True, kind="pfs"))
    for modifier in parsed.modifiers:
        found.append(Target(refs=(f"MOD:{modifier}",), strong=parsed.lookup, kind="modifier"))
    for pos in parsed.pos:
        found.append(Target(refs=(f"POS:{pos}",), kind="pos"))
    for number in parsed.ncd:
        found.append(Target(refs=(f"NCD:{number}",), kind="ncd"))
    for cite in parsed.iom:
        if cite.publication and cite.chapter:
            found.append(
                Target(refs=(f"IOM:{cite.publication}/{cite.chapter}/{cite.section}",), kind="iom")
            )
        else:
            found.append(Target(prefix="IOM:", codes=(cite.section,), kind="iom-section"))
    for section in parsed.usc:
        found.append(Target(refs=(f"USC:42/{section}",), kind="usc"))
    if parsed.defines:
        strong = "statute" in parsed.source_hints
        found.append(Target(codes=parsed.defines, strong=strong, kind="definition"))
    return found
