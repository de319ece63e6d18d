"""The NCCI edit tables as six sources sharing the mirror folder `ncci/<release>/`, one module
per table: procedure-to-procedure pairs (`ncci_ptp`), medically unlikely edits (`ncci_mue`)
and add-on code edits (`ncci_aoc`); `ncci_tables` holds what they share.
"""

from __future__ import annotations

from medref.sources.ncci_aoc import ADD_ON_CODES
from medref.sources.ncci_mue import DME_MUE, OUTPATIENT_MUE, PRACTITIONER_MUE
from medref.sources.ncci_ptp import OUTPATIENT_PTP, PRACTITIONER_PTP
from medref.sources.ncci_tables import NcciSource

PTP_SETTINGS = {PRACTITIONER_PTP.name: "practitioner", OUTPATIENT_PTP.name: "outpatient"}
"""The care setting each PTP table governs, by source name."""

SOURCES = [
    PRACTITIONER_PTP,
    OUTPATIENT_PTP,
    PRACTITIONER_MUE,
    OUTPATIENT_MUE,
    DME_MUE,
    ADD_ON_CODES,
]

__all__ = ["PTP_SETTINGS", "SOURCES", "NcciSource"]
