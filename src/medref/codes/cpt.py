"""CPT structure: categories, sections and Surgery subsections by number range.

Numbers and structure only. CPT descriptors are the AMA's and never live here; a licensed
user may point `settings.cpt_descriptors` at their own file (see `descriptors.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from medref.codes.systems import System


@dataclass(frozen=True, slots=True)
class CodeRange:
    """An inclusive range of 5-digit CPT numbers with its name."""

    first: int
    last: int
    name: str

    def __contains__(self, number: object) -> bool:
        return isinstance(number, int) and self.first <= number <= self.last

    @property
    def label(self) -> str:
        return f"{self.name} ({self.first:05d}-{self.last:05d})"


SECTIONS: tuple[CodeRange, ...] = (
    CodeRange(100, 1999, "Anesthesia"),
    CodeRange(10000, 69990, "Surgery"),
    CodeRange(70000, 79999, "Radiology"),
    CodeRange(80000, 89999, "Pathology and Laboratory"),
    CodeRange(90000, 99199, "Medicine"),
    CodeRange(99201, 99499, "Evaluation and Management"),
    CodeRange(99500, 99607, "Medicine"),
)
"""Category I sections. 99201 was deleted in 2021 but stays in the E/M range it belonged to;
Pathology keeps its historical 80000 start (panels 80002-80019 appear in old NCCI rows)."""

SURGERY_SUBSECTIONS: tuple[CodeRange, ...] = (
    CodeRange(10004, 10021, "General"),
    CodeRange(10030, 19499, "Integumentary System"),
    CodeRange(20100, 29999, "Musculoskeletal System"),
    CodeRange(30000, 32999, "Respiratory System"),
    CodeRange(33016, 37799, "Cardiovascular System"),
    CodeRange(38100, 38999, "Hemic and Lymphatic Systems"),
    CodeRange(39000, 39599, "Mediastinum and Diaphragm"),
    CodeRange(40490, 49999, "Digestive System"),
    CodeRange(50010, 53899, "Urinary System"),
    CodeRange(54000, 55899, "Male Genital System"),
    CodeRange(55920, 55980, "Reproductive System and Intersex"),
    CodeRange(56405, 58999, "Female Genital System"),
    CodeRange(59000, 59899, "Maternity Care and Delivery"),
    CodeRange(60000, 60699, "Endocrine System"),
    CodeRange(61000, 64999, "Nervous System"),
    CodeRange(65091, 68899, "Eye and Ocular Adnexa"),
    CodeRange(69000, 69979, "Auditory System"),
    CodeRange(69990, 69990, "Operating Microscope"),
)

SUFFIX_SYSTEMS: dict[str, System] = {
    "F": "cpt-category-2",
    "T": "cpt-category-3",
    "U": "cpt-pla",
    "M": "cpt-maaa",
    "A": "cpt-category-1",
}
"""4 digits + a letter. `A` marks Category I vaccine administration codes (0001A ...)."""

SUFFIX_CATEGORIES = {
    "F": "Performance measurement (Category II; not required for billing)",
    "T": "Emerging technology (Category III; temporary)",
    "U": "Proprietary laboratory analyses (PLA)",
    "M": "Multianalyte assays with algorithmic analyses (MAAA)",
    "A": "Medicine: vaccine administration (Category I, 'A' suffix)",
}


def section(number: int) -> CodeRange | None:
    """The Category I section holding a 5-digit number, None for numbers outside all."""
    return next((found for found in SECTIONS if number in found), None)


def surgery_subsection(number: int) -> CodeRange | None:
    return next((found for found in SURGERY_SUBSECTIONS if number in found), None)
