"""Closed claim ids remembered as hashes: membership is exact across buffer merges."""

from __future__ import annotations

import random

from medref.claims.seen import BUFFER, SeenIds


def test_ids_are_found_across_merges_and_unseen_ids_are_not() -> None:
    rng = random.Random(3)
    added = [f"CLM{rng.getrandbits(48):x}" for _ in range(2 * BUFFER + 1_000)]
    seen = SeenIds()
    for claim_id in added:
        seen.add(claim_id)
    assert seen.sorted is not None and len(seen.sorted) == 2 * BUFFER
    assert len(seen) == len(added)
    others = {f"OTHER{n}" for n in range(5_000)}
    probe = set(rng.sample(added, 3_000)) | others
    assert seen.present(probe) == probe - others
    assert all(claim_id in seen for claim_id in added[::997])
    assert not any(claim_id in seen for claim_id in list(others)[:100])


def test_the_array_stays_sorted_after_each_merge() -> None:
    seen = SeenIds()
    for n in range(3 * BUFFER):
        seen.add(f"{n:08d}")
    stored = seen.sorted
    assert stored is not None and bool((stored[1:] >= stored[:-1]).all())


def test_an_empty_memory_finds_nothing() -> None:
    seen = SeenIds()
    assert seen.present({"A", "B"}) == set() and "A" not in seen and len(seen) == 0
