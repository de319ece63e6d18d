"""Canonical references (`HCPCS:G0439`, `IOM:100-04/12/40.8`, `USC:42/1395y(a)(1)`).

Every record, chunk, citation and finding carries one. A reference matches its descendants:
`IOM:100-04/30/50` is answered by `IOM:100-04/30/50.5`, `USC:42/1395y` by
`USC:42/1395y(a)(1)(A)`.
"""

from __future__ import annotations

PREFIXES = (
    "HCPCS",
    "CPT",
    "MOD",
    "ICD10CM",
    "IOM",
    "NCD",
    "LCD",
    "ARTICLE",
    "USC",
    "PTP",
    "MUE",
    "AOC",
    "PFS",
    "GPCI",
    "LOCALITY",
    "POS",
    "WIKI",
)


def make(prefix: str, ident: str) -> str:
    if prefix not in PREFIXES:
        raise ValueError(f"unknown reference prefix {prefix!r}")
    return f"{prefix}:{ident}"


def split(ref: str) -> tuple[str, str]:
    prefix, sep, ident = ref.partition(":")
    if not sep:
        raise ValueError(f"not a canonical reference: {ref!r}")
    return prefix, ident


def matches(candidate: str, gold: str) -> bool:
    """True when `candidate` is `gold` or one of its descendants."""
    if candidate == gold:
        return True
    cp, cid = candidate.partition(":")[::2]
    gp, gid = gold.partition(":")[::2]
    if cp != gp or not cid.startswith(gid):
        return False
    rest = cid[len(gid) :]
    if gp == "IOM":
        return rest.startswith(".")
    if gp == "USC":
        return rest.startswith("(")
    if gp == "ICD10CM":
        # E11 is answered by E11.9; E11.6 by E11.65
        return rest[:1] in (".",) or (("." in gid) and rest.isalnum())
    return False


def parent(ref: str) -> str | None:
    """The reference one level up, for manual sections and statute subsections."""
    prefix, ident = split(ref)
    if prefix == "IOM":
        head, _, section = ident.rpartition("/")
        if "." in section:
            return f"IOM:{head}/{section.rsplit('.', 1)[0]}"
        return None
    if prefix == "USC" and ident.endswith(")"):
        return f"USC:{ident[: ident.rindex('(')]}"
    return None
