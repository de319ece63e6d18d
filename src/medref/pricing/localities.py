"""Find a Medicare payment locality from what a person types: the MAC and locality number
(`01112-05`, `0111205`, `1112-5`), a state and locality number (`CA-05`), a state with one
locality (`AL`), or words of its name (`manhattan`, `CA san francisco`). No ZIP codes.

An answer that fits several localities is an error listing them, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from medref.errors import InputError
from medref.pricing.rates import Gpci

MAC_LOCALITY = re.compile(r"(\d{4,5})[-\s/]?(\d{1,2})")
STATE_LOCALITY = re.compile(r"([A-Za-z]{2})[-\s/:]+(\d{1,2})")
SHOWN = 8


def find_locality(text: str, gpcis: Iterable[Gpci]) -> Gpci:
    """The one locality `text` names."""
    query = text.strip()
    if not query:
        raise InputError("the locality is empty: give a MAC-locality number such as 01112-05")
    known = list(gpcis)
    if not known:
        raise InputError("no GPCI release is loaded: build the knowledge base with the PFS files")
    match = MAC_LOCALITY.fullmatch(query)
    if match is not None:
        ident = f"{int(match[1]):05d}-{int(match[2]):02d}"
        return one(query, [g for g in known if g.id == ident], known)
    match = STATE_LOCALITY.fullmatch(query)
    if match is not None:
        state, number = match[1].upper(), f"{int(match[2]):02d}"
        return one(query, [g for g in known if g.state == state and g.locality == number], known)
    words = re.findall(r"[a-z0-9.+/]+", query.lower())
    state = words[0].upper() if words and len(words[0]) == 2 else None
    if state is not None and any(g.state == state for g in known):
        in_state = [g for g in known if g.state == state]
        rest = words[1:]
        if not rest:
            return one(query, in_state, known)
        return one(query, [g for g in in_state if all(w in g.name.lower() for w in rest)], known)
    return one(query, [g for g in known if all(w in g.name.lower() for w in words)], known)


def one(query: str, found: list[Gpci], known: list[Gpci]) -> Gpci:
    if len(found) == 1:
        return found[0]
    if not found:
        raise InputError(
            f"no Medicare payment locality matches {query!r}: give a MAC-locality number "
            "(01112-05), a state and locality number (CA-05) or words of the locality name "
            "(see `medref price --localities`)"
        )
    shown = "; ".join(g.label for g in found[:SHOWN])
    more = f" and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    raise InputError(f"{query!r} fits {len(found)} localities: {shown}{more}; name one")
