"""Words added to a chunk's index terms so that questions reach terse official text,
indexed with the chunk without touching the stored record text:

- the category of a HCPCS Level II code, from its letter range (CMS's public structure);
- the chapter of an ICD-10-CM code, from its letter range;
- the build's vocabulary (vocabulary.py): a chunk that says an abbreviation the sources
  define is also indexed under its long form, and the other way round.
"""

from __future__ import annotations

from collections.abc import Sequence

from medref.codes.icd10 import CM_CHAPTERS
from medref.retrieval.tokenize import tokenize
from medref.retrieval.vocabulary import Vocabulary
from medref.sources.icd10cm_codes import inclusion_terms

# (first code, last code, words), Level II ranges; later rows refine earlier ones
HCPCS_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("A0000", "A0999", "transportation services ambulance"),
    ("A4000", "A8999", "medical and surgical supplies"),
    ("A9000", "A9999", "administrative miscellaneous investigational supplies"),
    ("B4000", "B9999", "enteral and parenteral therapy nutrition tube feeding"),
    ("C1000", "C9999", "outpatient prospective payment system hospital outpatient temporary"),
    ("E0100", "E9999", "durable medical equipment dme"),
    ("G0000", "G9999", "procedures professional services temporary"),
    ("H0001", "H9999", "behavioral health alcohol drug abuse treatment services"),
    ("J0000", "J8999", "drugs administered other than oral method injection"),
    ("J9000", "J9999", "chemotherapy drugs injection"),
    ("K0000", "K9999", "temporary durable medical equipment dme"),
    ("L0000", "L4999", "orthotic procedures devices orthosis brace"),
    ("L5000", "L9999", "prosthetic procedures devices prosthesis artificial limb"),
    ("M0000", "M9999", "medical services"),
    ("P0000", "P9999", "pathology laboratory services"),
    ("Q0000", "Q9999", "temporary codes"),
    ("R0000", "R9999", "diagnostic radiology services"),
    ("S0000", "S9999", "temporary national codes non-medicare"),
    ("T1000", "T9999", "state medicaid agency codes"),
    ("U0000", "U9999", "coronavirus laboratory tests"),
    ("V0000", "V2999", "vision services eyeglasses"),
    ("V5000", "V5999", "hearing services hearing aid"),
)

ICD10CM_CHAPTER_WORDS: dict[str, str] = {
    "1": "certain infectious and parasitic diseases infection",
    "2": "neoplasms cancer tumor",
    "3": "diseases of the blood and immune mechanism",
    "4": "endocrine nutritional and metabolic diseases",
    "5": "mental behavioral and neurodevelopmental disorders",
    "6": "diseases of the nervous system",
    "7": "diseases of the eye",
    "8": "diseases of the ear",
    "9": "diseases of the circulatory system heart",
    "10": "diseases of the respiratory system lung",
    "11": "diseases of the digestive system",
    "12": "diseases of the skin",
    "13": "diseases of the musculoskeletal system",
    "14": "diseases of the genitourinary system",
    "15": "pregnancy childbirth",
    "16": "perinatal newborn",
    "17": "congenital malformations",
    "18": "symptoms signs abnormal findings",
    "19": "injury poisoning",
    "20": "external causes of morbidity",
    "21": "factors influencing health status contact with health services",
    "22": "codes for special purposes",
}
"""Index words per ICD-10-CM chapter number; the chapter ranges are codes.icd10's."""

# (first category, last category, chapter words)
ICD10CM_CHAPTERS: tuple[tuple[str, str, str], ...] = tuple(
    (first, last, ICD10CM_CHAPTER_WORDS[chapter.split(":", 1)[0]])
    for first, last, chapter in CM_CHAPTERS
)


def _in_ranges(key: str, ranges: Sequence[tuple[str, str, str]]) -> list[str]:
    return [words for first, last, words in ranges if first <= key <= last]


def category_words(ref: str) -> str:
    """The category or chapter of a HCPCS Level II or ICD-10-CM code reference, else ''."""
    prefix, _, ident = ref.partition(":")
    if prefix == "HCPCS" and len(ident) == 5:
        return " ".join(_in_ranges(ident.upper(), HCPCS_CATEGORIES))
    if prefix == "ICD10CM":
        return " ".join(_in_ranges(ident[:3].upper(), ICD10CM_CHAPTERS))
    return ""


def code_family_terms(codes: Sequence[str]) -> list[str]:
    """Index terms of the HCPCS category or ICD-10-CM chapter of each code: a code the tables
    lack (`E9999`) still says which family it would belong to, so a search can show the
    closest sources instead of nothing."""
    words = [category_words(f"HCPCS:{code}") or category_words(f"ICD10CM:{code}") for code in codes]
    return tokenize(" ".join(words))


HEADING_KINDS = frozenset({"code", "modifier"})
"""Record kinds whose first text line is a heading: a code's long description."""


def heading_terms(
    vocabulary: Vocabulary, kind: str, title: str, text: str, context: str = ""
) -> list[str]:
    """What the heading index holds: the title (a section heading, a code's short
    description), a code's long description and inclusion terms (other names of a
    diagnosis), the enclosing headings (`context`), and the equivalents of the
    abbreviations they use or spell out."""
    first_line = text.split("\n", 1)[0] if kind in HEADING_KINDS else ""
    names = "\n".join(inclusion_terms(text)) if kind in HEADING_KINDS else ""
    terms = tokenize(f"{title}\n{first_line}\n{names}\n{context}")
    return terms + vocabulary.equivalents(terms)


def index_terms(
    vocabulary: Vocabulary, ref: str, title: str, text: str, context: str = ""
) -> list[str]:
    """What BM25 indexes for one chunk: its title and text, the enclosing headings, its
    code category, and the equivalents of the abbreviations it uses or spells out."""
    terms = tokenize(f"{title}\n{text}\n{context}\n{category_words(ref)}")
    return terms + vocabulary.equivalents(terms)
