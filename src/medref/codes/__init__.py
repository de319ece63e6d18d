"""Code systems as small pure modules (CPT structure, HCPCS letter ranges, ICD-10 formats,
modifiers), plus the knowledge-base views that explain one code.

    classify(raw)           -> Classification   what a string is, from its form
    explain(kb, raw, on)    -> CodeCard         what the loaded tables say on a date
    diff(kb, source, a, b)  -> CodeDiff         codes added, deleted, changed
"""

from medref.codes.classify import Classification, classify
from medref.codes.diff import CodeDiff, diff
from medref.codes.explain import CodeCard, explain
from medref.codes.systems import Hint, System

__all__ = [
    "Classification",
    "CodeCard",
    "CodeDiff",
    "Hint",
    "System",
    "classify",
    "diff",
    "explain",
]
