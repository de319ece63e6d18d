"""What changed between two releases of a code set (HCPCS, ICD-10-CM): codes added, deleted,
and changed with the fields that changed.

Releases read from different layouts carry different data fields (the reshaped FY2025
ICD-10-CM CSV has no excludes notes, the tabular XML has), so a field counts as changed only
when both releases have it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from medref.errors import InputError
from medref.kb.store import KnowledgeBase

DIFF_SOURCES = ("hcpcs", "icd10cm")
SHOWN_FIELDS = frozenset(
    {
        "title",
        "billable",
        "effective",
        "terminated",
        "short_description",
        "long_description",
        "coverage",
        "pricing_indicators",
        "betos",
        "action_code",
        "termination_date",
    }
)
"""Fields whose before/after values a diff prints; other changed fields are only named."""


@dataclass(frozen=True, slots=True)
class CodeChange:
    code: str
    ref: str
    fields: list[str]
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass
class CodeDiff:
    source: str
    release_a: str
    release_b: str
    added: list[dict[str, str]] = field(default_factory=list)
    deleted: list[dict[str, str]] = field(default_factory=list)
    changed: list[CodeChange] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def diff(kb: KnowledgeBase, source: str, release_a: str, release_b: str) -> CodeDiff:
    """Codes of `source` added, deleted and changed from `release_a` to `release_b`."""
    if source not in DIFF_SOURCES:
        raise InputError(f"diff covers {', '.join(DIFF_SOURCES)}, not {source!r}")
    loaded = [info.release for info in kb.releases(source)]
    for release in (release_a, release_b):
        if release not in loaded:
            raise InputError(
                f"{source} release {release!r} is not loaded; loaded: {', '.join(loaded) or 'none'}"
            )
    result = CodeDiff(source, release_a, release_b)
    result.added = _only_in(kb, source, release_b, release_a)
    result.deleted = _only_in(kb, source, release_a, release_b)
    result.changed = _changed(kb, source, release_a, release_b)
    return result


def _only_in(kb: KnowledgeBase, source: str, present: str, absent: str) -> list[dict[str, str]]:
    rows = kb.conn.execute(
        "SELECT code, ref, title FROM records WHERE source = ? AND release = ? AND ref NOT IN "
        "(SELECT ref FROM records WHERE source = ? AND release = ?) ORDER BY code",
        (source, present, source, absent),
    ).fetchall()
    return [{"code": code, "ref": ref, "title": title} for code, ref, title in rows]


def _changed(kb: KnowledgeBase, source: str, release_a: str, release_b: str) -> list[CodeChange]:
    rows = kb.conn.execute(
        "SELECT a.code, a.ref, a.title, b.title, a.effective, b.effective, a.terminated, "
        "b.terminated, a.data, b.data FROM records a JOIN records b ON a.ref = b.ref "
        "WHERE a.source = ? AND a.release = ? AND b.source = ? AND b.release = ? AND "
        "(a.title != b.title OR a.data != b.data OR a.effective IS NOT b.effective "
        "OR a.terminated IS NOT b.terminated) ORDER BY a.code",
        (source, release_a, source, release_b),
    ).fetchall()
    changes = []
    for code, ref, title_a, title_b, eff_a, eff_b, term_a, term_b, data_a, data_b in rows:
        before = {"title": title_a, "effective": eff_a, "terminated": term_a, **json.loads(data_a)}
        after = {"title": title_b, "effective": eff_b, "terminated": term_b, **json.loads(data_b)}
        fields = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
        if fields:
            shown = [k for k in fields if k in SHOWN_FIELDS]
            changes.append(
                CodeChange(
                    code, ref, fields, {k: before[k] for k in shown}, {k: after[k] for k in shown}
                )
            )
    return changes
