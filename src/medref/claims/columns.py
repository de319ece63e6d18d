"""Column maps: read a claim CSV whose header uses other names (`cpt`, `dos`, `pos`).

A map is `FILE_COLUMN=our_column` pairs, comma-separated (`cpt=code,dos=date_of_service`);
`FILE_COLUMN=-` ignores a column the check does not need (charges, payer). A saved preset is a
name for a map, kept as JSON in the medref home (`column-maps.json`); `common` is built in.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from medref.errors import InputError

IGNORE = "-"
PRESETS_FILE = "column-maps.json"
NAME = re.compile(r"[A-Za-z0-9_.-]{1,40}")

BUILT_IN: dict[str, dict[str, str]] = {
    "common": {
        "claim": "claim_id",
        "claim_number": "claim_id",
        "claimid": "claim_id",
        "line_number": "line",
        "line_no": "line",
        "dos": "date_of_service",
        "service_date": "date_of_service",
        "from_date": "date_of_service",
        "cpt": "code",
        "hcpcs": "code",
        "cpt_hcpcs": "code",
        "procedure_code": "code",
        "mod": "modifiers",
        "mods": "modifiers",
        "modifier": "modifiers",
        "qty": "units",
        "unit": "units",
        "quantity": "units",
        "pos": "place_of_service",
        "dx": "diagnoses",
        "diagnosis": "diagnoses",
        "icd10": "diagnoses",
        "patient": "patient_id",
        "member_id": "patient_id",
        "mrn": "patient_id",
        "npi": "rendering_npi",
        "rendering_provider": "rendering_npi",
    }
}
"""Names claim exports commonly use for our columns (matched case-insensitively)."""


def parse_map(text: str, targets: tuple[str, ...]) -> dict[str, str]:
    """`cpt=code,dos=date_of_service` -> {'cpt': 'code', ...}, checked against our columns."""
    found: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        source, sep, target = part.partition("=")
        source, target = source.strip(), target.strip()
        if not sep or not source or not target:
            raise InputError(
                f"column map entry {part.strip()!r} is not FILE_COLUMN=our_column: write e.g. "
                "cpt=code,dos=date_of_service (or FILE_COLUMN=- to ignore a column)"
            )
        if target != IGNORE and target not in targets:
            raise InputError(
                f"column map entry {part.strip()!r}: {target!r} is not a claim column; the "
                f"columns are {', '.join(targets)} (or - to ignore)"
            )
        found[source] = target
    if not found:
        raise InputError("the column map is empty: write e.g. cpt=code,dos=date_of_service")
    return found


def presets(home: Path) -> dict[str, dict[str, str]]:
    """Built-in and saved presets."""
    path = home / PRESETS_FILE
    saved: dict[str, dict[str, str]] = {}
    if path.is_file():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: not a column map file ({exc}); fix or delete it") from None
        if not isinstance(loaded, dict):
            raise InputError(f"{path}: not a column map file; fix or delete it")
        saved = {str(k): {str(a): str(b) for a, b in dict(v).items()} for k, v in loaded.items()}
    return {**BUILT_IN, **saved}


def resolve_map(text: str, home: Path, targets: tuple[str, ...]) -> dict[str, str]:
    """A preset's name, or an inline map."""
    known = presets(home)
    if "=" not in text:
        found = known.get(text.strip())
        if found is None:
            raise InputError(
                f"no column map preset {text.strip()!r}; presets: {', '.join(sorted(known))}. "
                "Or give a map: cpt=code,dos=date_of_service"
            )
        return found
    return parse_map(text, targets)


def save_preset(home: Path, name: str, mapping: dict[str, str]) -> Path:
    if NAME.fullmatch(name) is None or name in BUILT_IN:
        raise InputError(
            f"preset name {name!r}: use letters, digits, _ . - (up to 40), not a built-in name"
        )
    path = home / PRESETS_FILE
    saved = {k: v for k, v in presets(home).items() if k not in BUILT_IN}
    saved[name] = mapping
    home.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def apply_map(header: list[str], mapping: dict[str, str]) -> list[str]:
    """The header with mapped names (case-insensitive match); ignored columns become `-`."""
    lowered = {key.lower(): value for key, value in mapping.items()}
    return [lowered.get(name.lower(), name) for name in header]
