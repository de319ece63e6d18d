"""What the ICD-10-CM readers (tabular XML, order file, reshaped CSV) hand over: one
`IcdCode` per code, and the words its record text is made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# data key -> label in the record text, in the order the tabular list prints them
NOTE_LABELS = {
    "inclusion_terms": "Inclusion terms",
    "includes": "Includes",
    "excludes1": "Excludes1 (not coded here)",
    "excludes2": "Excludes2 (not included here)",
    "code_first": "Code first",
    "use_additional": "Use additional code",
    "code_also": "Code also",
    "notes": "Notes",
    "seventh_character_note": "7th character note",
    "visual_impairment": "Categories of visual impairment",
}

INCLUSION_LINES = (f"{NOTE_LABELS['inclusion_terms']}:", f"{NOTE_LABELS['includes']}:")
"""Lines of a code's record text that list what the code includes: other names of the
condition ("Tennis elbow" at M77.1), which by the classification's convention apply to
every code below it too."""


def inclusion_terms(text: str) -> list[str]:
    """The terms a code's record text lists on its inclusion lines, one by one."""
    return [
        term.strip()
        for line in text.split("\n")
        if line.startswith(INCLUSION_LINES)
        for term in line.partition(":")[2].split("; ")
        if term.strip()
    ]


@dataclass(slots=True)
class IcdCode:
    code: str
    """Dotted, as printed: `E11.9`, `S72.001A`."""
    title: str
    billable: bool
    parent: str | None
    """Dotted code of the enclosing code; None for a category."""
    data: dict[str, Any] = field(default_factory=dict)
    """billable, children, and what the source gives: chapter and block, the note lists of
    NOTE_LABELS (only those the code has: 98k codes of mostly empty lists cost seconds),
    seventh_characters, or the order file's short description."""


def describe(entry: IcdCode) -> str:
    """The record text: code and description, then its notes and 7th characters in words."""
    lines = [f"ICD-10-CM {entry.code}: {entry.title}"]
    lines.append("Billable (valid for claims)." if entry.billable else "Header: not billable.")
    for key, label in NOTE_LABELS.items():
        notes = entry.data.get(key)
        if notes:
            lines.append(f"{label}: " + "; ".join(notes))
    characters: dict[str, str] = entry.data.get("seventh_characters") or {}
    own = entry.data.get("seventh_character")
    if own:
        lines.append(f"7th character {own}: {characters[own]}")
    elif characters:
        listed = "; ".join(f"{char} {meaning}" for char, meaning in characters.items())
        lines.append(f"7th characters: {listed}")
    return "\n".join(lines)
