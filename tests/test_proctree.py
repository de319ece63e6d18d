"""The process tree a benchmark measures, from /proc: children count, gone ones do not."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from medref.proctree import process_stat, process_tree


def test_a_child_and_its_child_are_in_the_tree() -> None:
    script = (
        "import subprocess, sys; "
        "subprocess.run([sys.executable, '-c', 'import time; time.sleep(3)'])"
    )
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        for _ in range(100):
            tree = process_tree(os.getpid())
            if len(tree) >= 3:
                break
            time.sleep(0.05)
        assert os.getpid() in tree and child.pid in tree
        grandchildren = [pid for pid, stat in tree.items() if stat.parent == child.pid]
        assert len(grandchildren) == 1
        assert all(stat.resident_kb > 0 for stat in tree.values())
    finally:
        child.kill()
        child.wait()
    assert process_stat(child.pid) is None  # reaped: gone from /proc
