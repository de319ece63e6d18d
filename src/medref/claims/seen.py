"""Claim ids already closed, remembered in 8 bytes each.

Rows of one claim may arrive out of order within a window; a claim that comes back after it
was checked must be reported, so the reader remembers every closed claim id. A set of strings
costs ~100 bytes an id (1.9 million claims of a 5.8 million-line file: ~200 MB); here an id is
a 64-bit hash, buffered in a small set and merged into one sorted array, so the same file
costs ~15 MB. A hash collision (odds about n^2 / 2^65, ~1 in 10 million for 2 million ids)
could only make a claim be reported as resumed: loud, never silent.
"""

from __future__ import annotations

from typing import Any

BUFFER = 65_536
MASK = (1 << 64) - 1


class SeenIds:
    def __init__(self) -> None:
        self.recent: set[int] = set()
        self.sorted: Any = None
        """numpy uint64 array, sorted (numpy imported on the first merge)."""

    def add(self, claim_id: str) -> None:
        self.recent.add(hash(claim_id) & MASK)
        if len(self.recent) >= BUFFER:
            self.merge()

    def __contains__(self, claim_id: str) -> bool:
        key = hash(claim_id) & MASK
        if key in self.recent:
            return True
        found = self.sorted
        if found is None or not len(found):
            return False
        import numpy as np

        at = int(np.searchsorted(found, np.uint64(key)))
        return at < len(found) and int(found[at]) == key

    def present(self, claim_ids: set[str]) -> set[str]:
        """Those of `claim_ids` already added, looked up together (one array search per
        batch of rows instead of one per claim)."""
        keys = {claim_id: hash(claim_id) & MASK for claim_id in claim_ids}
        recent = self.recent
        found = {claim_id for claim_id, key in keys.items() if key in recent}
        if self.sorted is not None and len(self.sorted) and keys:
            import numpy as np

            ids = list(keys)
            wanted = np.fromiter((keys[i] for i in ids), dtype=np.uint64, count=len(ids))
            hits = np.isin(wanted, self.sorted, assume_unique=False)
            found.update(ids[at] for at in np.flatnonzero(hits))
        return found

    def merge(self) -> None:
        import numpy as np

        fresh = np.fromiter(self.recent, dtype=np.uint64, count=len(self.recent))
        self.sorted = fresh if self.sorted is None else np.union1d(self.sorted, fresh)
        self.recent.clear()

    def __len__(self) -> int:
        return len(self.recent) + (0 if self.sorted is None else len(self.sorted))
