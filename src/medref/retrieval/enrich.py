"""Words we add to a chunk's index terms so that lay questions reach terse official text.

A HCPCS Level II code says "Walker, folding, wheeled"; a user asks for "a walker with
wheels" or "a flu shot". Three additions, all written by us and indexed with the chunk
without touching the stored record text:

- the category of a HCPCS Level II code, from its letter range (CMS's public structure);
- the chapter of an ICD-10-CM code, from its letter range;
- synonym groups: when a chunk says any phrase of a group it is also indexed under the
  others (flu shot / influenza vaccine, CPAP / continuous positive airway pressure, ...).
"""

from __future__ import annotations

from collections.abc import Sequence

from medref.codes.icd10 import CM_CHAPTERS
from medref.retrieval.tokenize import tokenize

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

SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("influenza vaccine", "influenza virus vaccine", "flu shot", "flu vaccine"),
    ("pneumococcal vaccine", "pneumonia shot", "pneumonia vaccine"),
    ("administration", "administer", "give", "giving"),
    ("vaccine", "vaccination", "immunization", "shot"),
    ("continuous positive airway pressure", "cpap"),
    ("respiratory assist device", "bipap", "bilevel"),
    ("obstructive sleep apnea", "osa", "sleep apnea"),
    ("wheeled", "wheels", "rolling", "rollator"),
    ("oxygen concentrator", "oxygen machine", "home oxygen"),
    ("glucose monitor", "glucometer", "blood sugar monitor", "blood glucose monitor"),
    ("continuous glucose monitor", "cgm"),
    (
        "annual wellness visit",
        "awv",
        "yearly wellness visit",
        "annual checkup",
        "personalized prevention plan",
    ),
    ("initial preventive physical examination", "welcome to medicare visit", "ippe"),
    ("durable medical equipment", "dme", "medical equipment"),
    ("hospital bed", "home hospital bed"),
    ("commode", "bedside toilet"),
    ("nebulizer", "breathing treatment machine"),
    ("transcutaneous electrical nerve stimulation", "tens unit"),
    ("orthosis", "orthotic", "brace"),
    ("prosthesis", "prosthetic", "artificial limb"),
    ("hypertension", "high blood pressure"),
    ("hyperlipidemia", "high cholesterol"),
    ("myocardial infarction", "heart attack"),
    ("cerebral infarction", "stroke"),
    ("diabetes mellitus", "diabetes", "diabetic"),
    ("malignant neoplasm", "cancer"),
    ("neoplasm", "tumor"),
    ("chronic obstructive pulmonary disease", "copd"),
    ("gastro-esophageal reflux", "gerd", "acid reflux", "heartburn"),
    ("urinary tract infection", "uti", "bladder infection"),
    ("fracture", "broken bone", "broken"),
    ("conjunctivitis", "pink eye"),
    ("streptococcal pharyngitis", "strep throat"),
    ("cystitis", "bladder infection"),
    ("syncope", "fainting", "passed out"),
    ("calculus of kidney", "kidney stone"),
    ("obesity", "overweight"),
    ("otitis media", "ear infection"),
    ("hypothyroidism", "underactive thyroid"),
    ("atrial fibrillation", "afib", "a-fib"),
    ("heart failure", "chf", "congestive heart failure"),
    ("pneumonia", "lung infection"),
    ("dementia", "memory loss"),
    ("dorsalgia", "back pain"),
    ("electrocardiogram", "ekg", "ecg"),
    ("mammography", "mammogram"),
    ("end stage renal disease", "esrd", "kidney failure"),
    ("dialysis", "hemodialysis"),
    ("tobacco", "smoking", "cigarette"),
    ("retention", "retain", "keep", "kept"),
    ("cessation", "quit", "quitting", "stop smoking"),
    ("telehealth", "telemedicine", "virtual visit", "video visit"),
    ("advance beneficiary notice", "abn"),
    ("evaluation and management", "e/m", "office visit"),
    ("consultation", "consult"),
    ("co-surgeon", "co-surgeons", "two surgeons"),
    ("bilateral", "both sides"),
    ("physician self-referral", "stark law", "stark"),
    ("skilled nursing facility", "snf", "nursing home"),
    ("home health", "home care"),
    ("national correct coding initiative", "ncci", "cci"),
    ("medically unlikely edit", "mue", "unit limit"),
    ("procedure-to-procedure", "ptp", "bundling edit"),
    ("place of service", "pos"),
    ("timely filing", "filing deadline", "time limit for filing"),
    ("acupuncture", "dry needling"),
    ("chronic low back pain", "clbp"),
    ("not reasonable and necessary", "medically unnecessary", "not medically necessary"),
    ("limitation on liability", "liability protection"),
    ("denied", "denial", "disallowed"),
    # lay words for frequent diagnoses; a narrower group names the code a lay word means
    # when unqualified (the ICD-10-CM index default: flu is J11, a UTI is N39.0), so that
    # code holds the word and its siblings do not, or hold it once less
    ("influenza due to unidentified influenza virus", "flu"),
    ("urinary tract infection, site not specified", "uti"),
    ("chronic kidney disease", "ckd"),
    ("zoster", "shingles"),
    ("pressure ulcer", "bedsore", "bed sore"),
    ("epistaxis", "nosebleed", "nose bleed"),
    ("urticaria", "hives"),
    ("dyspnea", "shortness of breath"),
    ("pharyngitis", "sore throat"),
    ("calculus of gallbladder", "gallstones", "gallbladder stones"),
    ("allergic rhinitis", "hay fever", "seasonal allergies"),
    # lay words for equipment and supplies
    ("cane", "walking stick"),
    ("underarm", "under the arm"),
    ("gradient compression stocking", "compression stockings", "support hose"),
    ("lancet", "fingerstick", "finger prick"),
)


def _phrase_index(groups: Sequence[Sequence[str]]) -> dict[str, list[tuple[tuple[str, ...], int]]]:
    """First term of each phrase -> (phrase terms, group number)."""
    index: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    for number, group in enumerate(groups):
        for phrase in group:
            terms = tuple(tokenize(phrase))
            if terms:
                index.setdefault(terms[0], []).append((terms, number))
    return index


_PHRASES = _phrase_index(SYNONYM_GROUPS)
_GROUP_TERMS = [[t for phrase in group for t in tokenize(phrase)] for group in SYNONYM_GROUPS]


def synonym_terms(terms: Sequence[str]) -> list[str]:
    """Terms of every synonym group one of whose phrases occurs in `terms`."""
    groups: set[int] = set()
    for position, term in enumerate(terms):
        for phrase, number in _PHRASES.get(term, ()):
            if tuple(terms[position : position + len(phrase)]) == phrase:
                groups.add(number)
    present = set(terms)
    return [t for number in sorted(groups) for t in _GROUP_TERMS[number] if t not in present]


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


def heading_terms(kind: str, title: str, text: str, context: str = "") -> list[str]:
    """What the heading index holds: the title (a section heading, a code's short
    description), a code's long description, the enclosing headings (`context`), and
    their synonym-group phrases."""
    first_line = text.split("\n", 1)[0] if kind in HEADING_KINDS else ""
    terms = tokenize(f"{title}\n{first_line}\n{context}")
    return terms + synonym_terms(terms)


def index_terms(ref: str, title: str, text: str, context: str = "") -> list[str]:
    """What BM25 indexes for one chunk: its title and text, the enclosing headings, its
    code category, and the other phrases of the synonym groups it mentions."""
    terms = tokenize(f"{title}\n{text}\n{context}\n{category_words(ref)}")
    return terms + synonym_terms(terms)
