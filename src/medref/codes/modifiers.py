"""Modifiers that matter to NCCI edits and Medicare payment, in our own short words.

Flags follow the NCCI Policy Manual (chapter 1): anatomic and global-surgery modifiers and
27, 59, 91, XE, XP, XS, XU are the NCCI-associated modifiers that may bypass a PTP edit
with modifier indicator 1. For Level II (letter) modifiers the knowledge base record
`MOD:xx` from the HCPCS file is the official wording; this table adds the flags.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Modifier:
    code: str
    summary: str
    ncci_associated: bool = False
    """May bypass a PTP edit whose modifier indicator is 1."""
    anatomic: bool = False
    global_surgery: bool = False
    payment_modifier: bool = False
    """Changes how the fee schedule prices the line (percentages, components, splits)."""
    level: str = "cpt"
    """`cpt` (Level I, 2 digits; wording ours) or `hcpcs` (Level II)."""

    @property
    def ref(self) -> str:
        return f"MOD:{self.code}"

    def flags(self) -> list[str]:
        named = {
            "ncci_associated": self.ncci_associated,
            "anatomic": self.anatomic,
            "global_surgery": self.global_surgery,
            "payment_modifier": self.payment_modifier,
        }
        return [name for name, on in named.items() if on]


def _cpt(code: str, summary: str, **flags: bool) -> Modifier:
    return Modifier(code, summary, level="cpt", **flags)


def _hcpcs(code: str, summary: str, **flags: bool) -> Modifier:
    return Modifier(code, summary, level="hcpcs", **flags)


def _anatomic(code: str, summary: str) -> Modifier:
    return _hcpcs(code, summary, ncci_associated=True, anatomic=True)


_GLOBAL = {"ncci_associated": True, "global_surgery": True}

_TABLE: tuple[Modifier, ...] = (
    _cpt(
        "22",
        "Substantially greater work than usual; payment reviewed case by case",
        payment_modifier=True,
    ),
    _cpt("23", "General anesthesia for a service that usually needs none or local"),
    _cpt("24", "Unrelated E/M by the same physician in a postoperative period", **_GLOBAL),
    _cpt(
        "25",
        "Significant, separately identifiable E/M on the day of a procedure or other service",
        **_GLOBAL,
    ),
    _cpt("26", "Professional component only", payment_modifier=True),
    _cpt("27", "Another outpatient hospital E/M encounter on the same date", ncci_associated=True),
    _cpt("32", "Service mandated by a payer, regulator or other third party"),
    _cpt("33", "Preventive service (cost sharing waived where the law says so)"),
    _cpt("47", "Anesthesia given by the surgeon"),
    _cpt("50", "Bilateral procedure done in the same session", payment_modifier=True),
    _cpt("51", "Multiple procedures in the same session", payment_modifier=True),
    _cpt("52", "Service reduced at the physician's choice", payment_modifier=True),
    _cpt("53", "Procedure stopped for the patient's safety", payment_modifier=True),
    _cpt(
        "54",
        "Surgical care only; others do the pre- and postoperative care",
        global_surgery=True,
        payment_modifier=True,
    ),
    _cpt("55", "Postoperative management only", global_surgery=True, payment_modifier=True),
    _cpt("56", "Preoperative management only", global_surgery=True, payment_modifier=True),
    _cpt(
        "57",
        "E/M that resulted in the decision for major surgery (day before or day of)",
        **_GLOBAL,
    ),
    _cpt(
        "58",
        "Staged, related or therapy procedure by the same physician in a postoperative period",
        **_GLOBAL,
    ),
    _cpt(
        "59",
        "Distinct procedural service (use an X modifier when one describes it better)",
        ncci_associated=True,
    ),
    _cpt("62", "Two surgeons each doing a distinct part of one procedure", payment_modifier=True),
    _cpt("63", "Procedure on an infant weighing under 4 kg"),
    _cpt("66", "Surgical team of several physicians", payment_modifier=True),
    _cpt("73", "Outpatient or ASC procedure stopped before anesthesia", payment_modifier=True),
    _cpt("74", "Outpatient or ASC procedure stopped after anesthesia began", payment_modifier=True),
    _cpt("76", "Same procedure repeated by the same physician on the same day"),
    _cpt("77", "Same procedure repeated by another physician on the same day"),
    _cpt(
        "78",
        "Unplanned return to the operating room for a related procedure in a "
        "postoperative period (intraoperative share paid)",
        payment_modifier=True,
        **_GLOBAL,
    ),
    _cpt("79", "Unrelated procedure by the same physician in a postoperative period", **_GLOBAL),
    _cpt("80", "Assistant surgeon", payment_modifier=True),
    _cpt("81", "Minimum assistant surgeon", payment_modifier=True),
    _cpt("82", "Assistant surgeon when no qualified resident was available", payment_modifier=True),
    _cpt("90", "Laboratory test done by an outside (reference) laboratory"),
    _cpt(
        "91",
        "Clinical laboratory test repeated on the same day for a new result",
        ncci_associated=True,
    ),
    _cpt("92", "Laboratory test on a single-use or portable kit (alternative platform)"),
    _cpt("93", "Synchronous telemedicine over audio only"),
    _cpt("95", "Synchronous telemedicine over real-time audio and video"),
    _cpt("96", "Habilitative service"),
    _cpt("97", "Rehabilitative service"),
    _cpt("99", "More than one modifier applies"),
    _hcpcs(
        "AS", "Assistant at surgery by a PA, NP or clinical nurse specialist", payment_modifier=True
    ),
    _hcpcs("TC", "Technical component only", payment_modifier=True),
    _hcpcs("XE", "Separate encounter on the same day", ncci_associated=True),
    _hcpcs("XP", "Separate practitioner", ncci_associated=True),
    _hcpcs("XS", "Separate organ or structure", ncci_associated=True),
    _hcpcs(
        "XU",
        "Unusual service that does not overlap the usual components of the main service",
        ncci_associated=True,
    ),
    _anatomic("LT", "Left side of the body"),
    _anatomic("RT", "Right side of the body"),
    _anatomic("E1", "Upper left eyelid"),
    _anatomic("E2", "Lower left eyelid"),
    _anatomic("E3", "Upper right eyelid"),
    _anatomic("E4", "Lower right eyelid"),
    _anatomic("FA", "Left hand, thumb"),
    _anatomic("F1", "Left hand, second digit"),
    _anatomic("F2", "Left hand, third digit"),
    _anatomic("F3", "Left hand, fourth digit"),
    _anatomic("F4", "Left hand, fifth digit"),
    _anatomic("F5", "Right hand, thumb"),
    _anatomic("F6", "Right hand, second digit"),
    _anatomic("F7", "Right hand, third digit"),
    _anatomic("F8", "Right hand, fourth digit"),
    _anatomic("F9", "Right hand, fifth digit"),
    _anatomic("TA", "Left foot, great toe"),
    _anatomic("T1", "Left foot, second digit"),
    _anatomic("T2", "Left foot, third digit"),
    _anatomic("T3", "Left foot, fourth digit"),
    _anatomic("T4", "Left foot, fifth digit"),
    _anatomic("T5", "Right foot, great toe"),
    _anatomic("T6", "Right foot, second digit"),
    _anatomic("T7", "Right foot, third digit"),
    _anatomic("T8", "Right foot, fourth digit"),
    _anatomic("T9", "Right foot, fifth digit"),
    _anatomic("LC", "Left circumflex coronary artery"),
    _anatomic("LD", "Left anterior descending coronary artery"),
    _anatomic("LM", "Left main coronary artery"),
    _anatomic("RC", "Right coronary artery"),
    _anatomic("RI", "Ramus intermedius coronary artery"),
    _hcpcs("GA", "Liability notice (ABN) on file because policy requires one"),
    _hcpcs("GZ", "Expected to be denied as not reasonable and necessary; no ABN on file"),
    _hcpcs("GY", "Statutorily excluded or not a Medicare benefit"),
    _hcpcs("GX", "Voluntary liability notice given for a service excluded by statute"),
    _hcpcs("FS", "Split (or shared) E/M visit by a physician and an NPP"),
    _hcpcs("GT", "Telehealth over interactive audio and video (institutional claims)"),
    _hcpcs("JW", "Drug amount discarded from a single-dose container"),
    _hcpcs("JZ", "No drug amount discarded from a single-dose container"),
)

MODIFIERS: dict[str, Modifier] = {item.code: item for item in _TABLE}

CPT_MODIFIER_NUMBERS = frozenset(code for code, item in MODIFIERS.items() if item.level == "cpt")
"""The two-digit Level I modifiers: a two-digit input is a modifier only if it is one of these."""


def lookup(code: str) -> Modifier | None:
    return MODIFIERS.get(code.upper())


def ncci_bypass_modifiers() -> frozenset[str]:
    """Modifiers that may bypass a PTP edit with modifier indicator 1."""
    return frozenset(code for code, item in MODIFIERS.items() if item.ncci_associated)
