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
        # wait for the grandchild itself: the test process may have children of its own
        # (a test worker keeps PySpark's JVM), so a count of processes says nothing
        for _ in range(200):
            tree = process_tree(os.getpid())
            grandchildren = [pid for pid, stat in tree.items() if stat.parent == child.pid]
            if grandchildren:
                break
            time.sleep(0.05)
        assert os.getpid() in tree and child.pid in tree
        assert len(grandchildren) == 1
        # only the processes this test started: others of the worker may be zombies (0 KB)
        assert tree[child.pid].resident_kb > 0 and tree[grandchildren[0]].resident_kb > 0
    finally:
        child.kill()
        child.wait()
    assert process_stat(child.pid) is None  # reaped: gone from /proc
