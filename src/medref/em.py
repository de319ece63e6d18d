"""E/M level selection under the 2021+ office/outpatient and 2023+ framework (CPT and CMS).

A visit level comes from medical decision making (MDM) or from total time on the date of
service. MDM is the highest level met by at least 2 of its 3 elements (problems addressed,
data reviewed and analysed, risk of patient management). When both MDM and minutes are
given, the basis giving the higher code wins. Prolonged office time adds CPT 99417 or, for
Medicare, G2212. The 1995/1997 documentation guidelines (before 2021) are not supported.

Codes that need no MDM or time (99211 for an established office patient, 99281 in the ED)
are selected only on request: pass `minimal=True` (CLI: `--minimal`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, get_args

from medref.errors import InputError

MdmLevel = Literal["straightforward", "low", "moderate", "high"]
Basis = Literal["mdm", "time", "minimal"]
Family = Literal[
    "office-new",
    "office-established",
    "hospital-initial",
    "hospital-subsequent",
    "consult-office",
    "consult-inpatient",
    "ed",
    "nursing-initial",
    "nursing-subsequent",
    "home-new",
    "home-established",
]
FAMILIES: tuple[Family, ...] = get_args(Family)
MDM_LEVELS: tuple[MdmLevel, ...] = get_args(MdmLevel)
ELEMENT_SCALES: dict[str, tuple[str, ...]] = {
    "problems": ("minimal", "low", "moderate", "high"),
    "data": ("minimal", "limited", "moderate", "extensive"),
    "risk": ("minimal", "low", "moderate", "high"),
}
"""Each element's scale, lowest first; position i supports MDM level MDM_LEVELS[i]."""
LEVEL_WORDS: dict[str, int] = {
    "none": 0,
    "minimal or none": 0,
    **{w: i for i, w in enumerate(MDM_LEVELS)},
}
"""The MDM level words (AMA table: straightforward, low, moderate, high) accepted for any
element: `data low` is `data limited`, `risk straightforward` is `risk minimal`."""

MANUAL = "IOM:100-04/12/30.6.1"
"""CMS: selection of the level of an E/M service (Claims Processing Manual ch. 12)."""
PROLONGED_MANUAL = "IOM:100-04/12/30.6.15.2"
VAULT_PAGES = ("WIKI:em-leveling", "WIKI:medical-decision-making")
"""Our own pages on the 2021+ MDM table and time rules (the AMA text is not shipped)."""

PATIENT_FAMILIES: dict[str, tuple[Family, Family]] = {
    "office": ("office-new", "office-established"),
    "home": ("home-new", "home-established"),
}
"""Families split by patient type: family `office` + patient `new` -> `office-new`."""
FAMILY_CHOICES: tuple[str, ...] = (
    *PATIENT_FAMILIES,
    *(f for f in FAMILIES if not f.startswith(tuple(PATIENT_FAMILIES))),
)
"""The family names users give: office and home (with a patient type), and the others."""
PATIENTS = ("new", "established")

FIRST_YEAR = 2021
FRAMEWORK_2023 = 2023
"""The year CPT extended MDM/time leveling beyond office visits."""


@dataclass(frozen=True, slots=True)
class FamilyRule:
    label: str
    codes: tuple[str, str, str, str]
    """Code for straightforward, low, moderate and high MDM (repeats where levels merge)."""
    minutes: tuple[int, ...] | None
    """Minimum total minutes of each distinct code, lowest first; None when time cannot pick
    the level (ED)."""
    minimal_code: str | None = None
    """A code needing no MDM or time, selectable only explicitly."""


FAMILY_RULES: dict[Family, FamilyRule] = {
    "office-new": FamilyRule(
        "office/outpatient, new patient", ("99202", "99203", "99204", "99205"), (15, 30, 45, 60)
    ),
    "office-established": FamilyRule(
        "office/outpatient, established patient",
        ("99212", "99213", "99214", "99215"),
        (10, 20, 30, 40),
        minimal_code="99211",
    ),
    "hospital-initial": FamilyRule(
        "hospital inpatient or observation, initial",
        ("99221", "99221", "99222", "99223"),
        (40, 55, 75),
    ),
    "hospital-subsequent": FamilyRule(
        "hospital inpatient or observation, subsequent",
        ("99231", "99231", "99232", "99233"),
        (25, 35, 50),
    ),
    "consult-office": FamilyRule(
        "office or other outpatient consultation",
        ("99242", "99243", "99244", "99245"),
        (20, 30, 40, 55),
    ),
    "consult-inpatient": FamilyRule(
        "inpatient or observation consultation",
        ("99252", "99253", "99254", "99255"),
        (35, 45, 60, 80),
    ),
    "ed": FamilyRule(
        "emergency department", ("99282", "99283", "99284", "99285"), None, minimal_code="99281"
    ),
    "nursing-initial": FamilyRule(
        "nursing facility, initial", ("99304", "99304", "99305", "99306"), (25, 35, 45)
    ),
    "nursing-subsequent": FamilyRule(
        "nursing facility, subsequent", ("99307", "99308", "99309", "99310"), (10, 15, 30, 45)
    ),
    "home-new": FamilyRule(
        "home or residence, new patient", ("99341", "99342", "99344", "99345"), (15, 30, 60, 75)
    ),
    "home-established": FamilyRule(
        "home or residence, established patient",
        ("99347", "99348", "99349", "99350"),
        (20, 30, 40, 60),
    ),
}

FAMILY_MANUALS: dict[Family, str] = {
    "office-new": "IOM:100-04/12/30.6.7",
    "office-established": "IOM:100-04/12/30.6.7",
    "hospital-initial": "IOM:100-04/12/30.6.9.1",
    "hospital-subsequent": "IOM:100-04/12/30.6.9.2",
    "consult-office": "IOM:100-04/12/30.6.10",
    "consult-inpatient": "IOM:100-04/12/30.6.10",
    "ed": "IOM:100-04/12/30.6.11",
    "nursing-initial": "IOM:100-04/12/30.6.13",
    "nursing-subsequent": "IOM:100-04/12/30.6.13",
    "home-new": "IOM:100-04/12/30.6.14",
    "home-established": "IOM:100-04/12/30.6.14",
}
"""The Claims Processing Manual (100-04, chapter 12) section on paying each family."""

OFFICE_RANGES_2021: dict[Family, tuple[tuple[int, int, str], ...]] = {
    "office-new": ((15, 29, "99202"), (30, 44, "99203"), (45, 59, "99204"), (60, 74, "99205")),
    "office-established": (
        (10, 19, "99212"),
        (20, 29, "99213"),
        (30, 39, "99214"),
        (40, 54, "99215"),
    ),
}
"""2021-2023 CPT time ranges; time past the top of the last range stays level 5 (+ prolonged)."""

PROLONGED_CPT = "99417"
PROLONGED_MEDICARE = "G2212"
PROLONGED_STEP = 15


@dataclass(frozen=True, slots=True)
class MdmDecision:
    level: MdmLevel
    deciding: tuple[str, ...]
    """The elements at or above the level: at least 2 of the 3."""
    elements: dict[str, str]


@dataclass(frozen=True, slots=True)
class Prolonged:
    code: str
    units: int
    first_at: int
    """Total minutes at which the first unit becomes reportable."""
    rule: str


@dataclass(frozen=True, slots=True)
class EmResult:
    family: Family
    code: str
    level_name: str
    basis: Basis
    deciding: tuple[str, ...]
    """What decided the code: MDM elements, or `time`, or `minimal`."""
    year: int
    medicare: bool
    mdm: MdmDecision | None = None
    minutes: int | None = None
    prolonged: tuple[Prolonged, ...] = ()
    notes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    """Canonical references of the rules applied (manual sections, our vault pages)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def decide_mdm(problems: str, data: str, risk: str) -> MdmDecision:
    """MDM level = the highest level that at least 2 of the 3 elements reach."""
    given = {"problems": problems, "data": data, "risk": risk}
    ranks = {name: _rank(name, value) for name, value in given.items()}
    level = sorted(ranks.values())[1]
    deciding = tuple(name for name, rank in ranks.items() if rank >= level)
    elements = {name: ELEMENT_SCALES[name][rank] for name, rank in ranks.items()}
    return MdmDecision(MDM_LEVELS[level], deciding, elements)


def decide_two(given: dict[str, str]) -> MdmDecision:
    """MDM from two elements: both meet the lower of their two levels, so it is at least
    that; the missing element could raise it only up to the higher one."""
    ranks = {name: _rank(name, value) for name, value in given.items()}
    level = min(ranks.values())
    deciding = tuple(name for name, rank in ranks.items() if rank >= level)
    elements = {name: ELEMENT_SCALES[name][rank] for name, rank in ranks.items()}
    return MdmDecision(MDM_LEVELS[level], deciding, elements)


def level_office_visit(
    patient: str,
    *,
    problems: str | None = None,
    data: str | None = None,
    risk: str | None = None,
    minutes: int | None = None,
    year: int = 2025,
    medicare: bool = True,
    minimal: bool = False,
) -> EmResult:
    """Office/outpatient visit (99202-99215) by MDM or total time, with prolonged time."""
    if patient not in ("new", "established"):
        raise InputError(f"patient must be new or established, not {patient!r}")
    family: Family = "office-new" if patient == "new" else "office-established"
    return mdm_level(
        family,
        problems=problems,
        data=data,
        risk=risk,
        minutes=minutes,
        year=year,
        medicare=medicare,
        minimal=minimal,
    )


def mdm_level(
    family: str,
    *,
    problems: str | None = None,
    data: str | None = None,
    risk: str | None = None,
    minutes: int | None = None,
    year: int = 2025,
    medicare: bool = True,
    minimal: bool = False,
) -> EmResult:
    """The code of an E/M family from MDM elements and/or total minutes."""
    family = _family(family)
    rule = FAMILY_RULES[family]
    _check_year(family, year)
    elements = (problems, data, risk)
    if minimal:
        given = any(elements) or minutes is not None
        return _with_notes(_minimal(family, rule, year, medicare, given=given), rule, medicare)
    if not any(e is not None for e in elements) and minutes is None:
        raise InputError("give the three MDM elements (problems, data, risk), or minutes")
    by_mdm = _by_mdm(family, rule, year, medicare, problems, data, risk)
    by_time = _by_time(family, rule, year, medicare, minutes, required=by_mdm is None)
    chosen = _better(by_mdm, by_time)
    return _with_notes(chosen, rule, medicare)


def family_for(family: str | None, patient: str | None) -> Family:
    """The E/M family of a visit from the names users give: `office` (the default) or `home`
    with patient `new`/`established`, or one of the other families without a patient."""
    name = (family or "office").strip().lower()
    if patient is not None and patient not in PATIENTS:
        raise InputError(f"patient must be new or established, not {patient!r}")
    if name in PATIENT_FAMILIES:
        if patient is None:
            raise InputError(f"the {name} family needs patient new or established")
        new, established = PATIENT_FAMILIES[name]
        return new if patient == "new" else established
    if name not in FAMILY_CHOICES:
        raise InputError(f"unknown E/M family {family!r}; use one of {', '.join(FAMILY_CHOICES)}")
    if patient is not None:
        raise InputError(f"patient new/established does not apply to the {name} family")
    return _family(name)


def _family(name: str) -> Family:
    for family in FAMILIES:
        if family == name:
            return family
    raise InputError(f"unknown E/M family {name!r}; use one of {', '.join(FAMILY_CHOICES)}")


def _check_year(family: Family, year: int) -> None:
    if year < FIRST_YEAR:
        raise InputError(
            f"{year}: E/M leveling before 2021 followed the 1995/1997 documentation "
            "guidelines, which medref does not support; give a year from 2021 on"
        )
    if not family.startswith("office") and year < FRAMEWORK_2023:
        raise InputError(
            f"{year}: the {FAMILY_RULES[family].label} family moved to MDM/time leveling in "
            "2023; earlier years used the 1995/1997 guidelines, which medref does not support"
        )


def _rank(element: str, value: str) -> int:
    scale = ELEMENT_SCALES[element]
    normalized = " ".join(value.lower().split())
    if normalized in scale:
        return scale.index(normalized)
    if normalized in LEVEL_WORDS:
        return LEVEL_WORDS[normalized]
    raise InputError(
        f"{element} must be one of {', '.join(scale)} (or an MDM level word: "
        f"{', '.join(MDM_LEVELS)}), not {value!r}"
    )


def _minimal(family: Family, rule: FamilyRule, year: int, medicare: bool, given: bool) -> EmResult:
    if rule.minimal_code is None:
        raise InputError(
            f"the {rule.label} family has no code without MDM or time "
            "(only 99211 for established office patients and 99281 in the ED)"
        )
    if given:
        raise InputError(
            f"{rule.minimal_code} is selected on its own: leave out the MDM elements and minutes"
        )
    return EmResult(
        family,
        rule.minimal_code,
        f"{rule.label}, minimal service (no MDM or time required)",
        "minimal",
        ("minimal",),
        year,
        medicare,
        notes=(f"{rule.minimal_code} was selected explicitly; it needs no MDM or time",),
    )


def _by_mdm(
    family: Family,
    rule: FamilyRule,
    year: int,
    medicare: bool,
    problems: str | None,
    data: str | None,
    risk: str | None,
) -> EmResult | None:
    given = {"problems": problems, "data": data, "risk": risk}
    if all(v is None for v in given.values()):
        return None
    known = {name: value for name, value in given.items() if value is not None}
    if len(known) < 2:
        raise InputError(
            "MDM is the level met by 2 of its 3 elements (problems, data, risk): give at "
            f"least two; given: {', '.join(known)}"
        )
    decision = decide_mdm(**known) if len(known) == 3 else decide_two(known)
    code = rule.codes[MDM_LEVELS.index(decision.level)]
    return EmResult(
        family,
        code,
        f"{rule.label}, {decision.level} MDM",
        "mdm",
        decision.deciding,
        year,
        medicare,
        mdm=decision,
    )


def _by_time(
    family: Family,
    rule: FamilyRule,
    year: int,
    medicare: bool,
    minutes: int | None,
    *,
    required: bool,
) -> EmResult | None:
    if minutes is None:
        return None
    if minutes <= 0:
        raise InputError(f"minutes must be a positive number of total minutes, not {minutes}")
    if rule.minutes is None:
        raise InputError(
            f"the {rule.label} family is leveled by MDM only; time does not select its codes"
        )
    distinct = list(dict.fromkeys(rule.codes))
    thresholds = list(zip(rule.minutes, distinct, strict=True))
    office_2021 = family in OFFICE_RANGES_2021 and year < 2024
    reached = [code for floor, code in thresholds if minutes >= floor]
    if not reached:
        if not required:
            return None
        floor, lowest = thresholds[0]
        hint = f"; or select {rule.minimal_code} explicitly" if rule.minimal_code else ""
        raise InputError(
            f"{minutes} minutes is under the {floor}-minute minimum of {lowest} "
            f"({_time_rule(family, year)}): level by MDM instead{hint}"
        )
    code = reached[-1]
    detail = _time_detail(family, code, thresholds, office_2021)
    prolonged = _prolonged(family, rule, year, minutes, medicare) if code == distinct[-1] else ()
    return EmResult(
        family,
        code,
        f"{rule.label}, {detail}",
        "time",
        ("time",),
        year,
        medicare,
        minutes=minutes,
        prolonged=prolonged,
        notes=(f"time rule: {_time_rule(family, year)}",),
    )


def _time_rule(family: Family, year: int) -> str:
    if family not in OFFICE_RANGES_2021:
        return "2023+ CPT rule: total time must meet or exceed the code's minimum"
    if year < 2024:
        return "2021-2023 CPT time ranges"
    return "2024+ CPT rule: total time must meet or exceed the code's minimum"


def _time_detail(
    family: Family, code: str, thresholds: list[tuple[int, str]], office_2021: bool
) -> str:
    if office_2021:
        ranges = OFFICE_RANGES_2021[family]
        low, high, _ = next(r for r in ranges if r[2] == code)
        beyond = ", time beyond it is prolonged" if code == ranges[-1][2] else ""
        return f"{low}-{high} minute range{beyond}"
    floor = next(f for f, c in thresholds if c == code)
    return f"{floor}+ minutes"


def _prolonged(
    family: Family, rule: FamilyRule, year: int, minutes: int, medicare: bool
) -> tuple[Prolonged, ...]:
    if family not in OFFICE_RANGES_2021:
        return ()
    top_floor = (rule.minutes or (0,))[-1]
    if medicare:
        top_of_range = OFFICE_RANGES_2021[family][-1][1]
        first = top_of_range + PROLONGED_STEP
        units = (minutes - top_of_range) // PROLONGED_STEP if minutes >= first else 0
        text = (
            f"CMS: {PROLONGED_MEDICARE} per full 15 minutes past {top_of_range} minutes, "
            f"the top of the level-5 time range; first at {first}"
        )
        code = PROLONGED_MEDICARE
    else:
        first = top_floor + PROLONGED_STEP
        units = (minutes - top_floor) // PROLONGED_STEP if minutes >= first else 0
        text = (
            f"CPT: {PROLONGED_CPT} per full 15 minutes past the {top_floor}-minute "
            f"level-5 minimum; first at {first}"
        )
        code = PROLONGED_CPT
    return (Prolonged(code, units, first, text),) if units else ()


def _better(by_mdm: EmResult | None, by_time: EmResult | None) -> EmResult:
    """The higher code wins; on a tie, time when it adds prolonged units, else MDM."""
    if by_mdm is None or by_time is None:
        chosen = by_mdm or by_time
        if chosen is None:
            raise InputError("give the three MDM elements (problems, data, risk), or minutes")
        return chosen
    if by_time.code > by_mdm.code or (by_time.code == by_mdm.code and by_time.prolonged):
        return replace(
            by_time, mdm=by_mdm.mdm, notes=(*by_time.notes, f"MDM alone gives {by_mdm.code}")
        )
    return replace(by_mdm, minutes=by_time.minutes, notes=(f"time alone gives {by_time.code}",))


def _with_notes(result: EmResult, rule: FamilyRule, medicare: bool) -> EmResult:
    notes = list(result.notes)
    if result.mdm is not None and len(result.mdm.elements) == 2:
        missing = next(e for e in ELEMENT_SCALES if e not in result.mdm.elements)
        notes.append(
            f"MDM from two elements: both meet {result.mdm.level}; {missing} was not given "
            "and could only raise the level to the higher of the two"
        )
    sources = [MANUAL, FAMILY_MANUALS[result.family]]
    if result.prolonged:
        sources.append(PROLONGED_MANUAL)
    if medicare and result.family.startswith("consult"):
        notes.append(
            "Medicare does not pay consultation codes; bill the visit with the "
            "matching office or hospital E/M code"
        )
    if result.basis == "time" and not result.family.startswith("office"):
        notes.append(
            "prolonged time for this family (CPT 99418/99417, Medicare "
            "G0316-G0318) is not computed here"
        )
    if result.code == rule.codes[-1] and result.minutes is None and rule.minutes:
        notes.append("prolonged time codes need time-based leveling: give minutes too")
    return replace(
        result, notes=tuple(notes), sources=tuple(dict.fromkeys((*sources, *VAULT_PAGES)))
    )
