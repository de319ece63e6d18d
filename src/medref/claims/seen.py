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
        """Those of `claim_ids` already added, looked up together: one binary search of the
        sorted array per batch of rows, whose temporaries are the size of the batch (not of
        the array, as a set-membership test over the two would be)."""
        keys = {claim_id: hash(claim_id) & MASK for claim_id in claim_ids}
        recent = self.recent
        found = {claim_id for claim_id, key in keys.items() if key in recent}
        stored = self.sorted
        if stored is not None and len(stored) and keys:
            import numpy as np

            ids = list(keys)
            wanted = np.fromiter((keys[i] for i in ids), dtype=np.uint64, count=len(ids))
            at = np.searchsorted(stored, wanted)
            np.minimum(at, len(stored) - 1, out=at)
            found.update(ids[i] for i in np.flatnonzero(stored[at] == wanted))
        return found

    def merge(self) -> None:
        """The buffer joins the array, sorted in place: at most the old and the new array are
        held at once."""
        import numpy as np

        fresh = np.fromiter(self.recent, dtype=np.uint64, count=len(self.recent))
        merged = fresh if self.sorted is None else np.concatenate((self.sorted, fresh))
        self.sorted = None
        merged.sort()
        self.sorted = merged
        self.recent.clear()

    def __len__(self) -> int:
        return len(self.recent) + (0 if self.sorted is None else len(self.sorted))
