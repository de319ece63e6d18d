"""The shapes of codes as the CMS tables write them, for readers that check a cell."""

from __future__ import annotations

import re

PROCEDURE_CODE = re.compile(r"[0-9A-Z]{5}")
"""A HCPCS Level I (CPT) or Level II code: five upper-case letters or digits."""

LEVEL_II_CODE = re.compile(r"[A-V]\d{4}")
"""A HCPCS Level II code: a letter A-V and four digits."""
