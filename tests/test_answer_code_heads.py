"""What a code question names and what a HCPCS descriptor names first (answer/codes.py)."""

from __future__ import annotations

import pytest

from medref.answer.codes import descriptor_head, question_subject
from medref.answer.text import terms
from medref.kb import KnowledgeBase

pytestmark = pytest.mark.kb


@pytest.mark.parametrize(
    ("focus", "subject"),
    [
        ("HCPCS code for a hospital bed for home use", ["hospital", "bed"]),
        (
            "what's the code for blood sugar test strips for a home glucose monitor",
            ["blood", "sugar", "test", "strip"],
        ),
        ("Rocephin injection hcpcs", ["rocephin", "injection"]),
        ("ICD-10 code for pink eye", ["pink", "eye"]),
        ("What is HCPCS code E0100?", []),
    ],
)
def test_the_subject_is_the_first_stretch_that_names_something(
    focus: str, subject: list[str]
) -> None:
    expected = [t for word in subject for t in terms(word)]
    assert question_subject(focus) == expected


@pytest.mark.parametrize(
    ("ref", "head"),
    [
        ("HCPCS:E0100", "cane"),  # "Cane, includes canes of all materials, ..."
        ("HCPCS:A4636", "replacement"),  # "Replacement, handgrip, cane, crutch, or walker"
        ("HCPCS:A4253", "blood glucose test or reagent strips"),  # "... for home ... monitor"
        ("HCPCS:E0316", "safety enclosure frame/canopy"),  # "... for use with hospital bed"
    ],
)
def test_the_head_is_what_the_descriptor_names_before_qualifying_it(
    kb: KnowledgeBase, ref: str, head: str
) -> None:
    record = kb.get(ref)
    assert record is not None
    assert descriptor_head(record) == terms(head)
