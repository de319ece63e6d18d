"""Domain facts, once: code systems (CPT structure, HCPCS letter ranges, ICD-10 formats and
chapters, modifiers, code shapes), fee schedule indicator meanings and NCCI semantics, as small
pure modules that import nothing of the knowledge base. Parsers, rules and views read them.

    classify(raw)           -> Classification   what a string is, from its form
"""

from medref.codes.classify import Classification, classify
from medref.codes.systems import Hint, System

__all__ = ["Classification", "Hint", "System", "classify"]
