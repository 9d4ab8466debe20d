"""A stopping worker's log stays clean: DataSketches' bindings (nanobind) print every
HLL sketch still alive at interpreter shutdown as a leak "likely caused by a reference
counting issue". A worker's state is still referenced then (frozen out of the
collector, held by Faust's threads and tasks), so the sketches are released at exit."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

USERS = """
    from zoneinfo import ZoneInfo
    from cxpulse.core.active_users import ActiveUsers

    users = ActiveUsers({}, ZoneInfo("UTC"))
    users.advance(1_795_300_000.0)
    for n in range(100):
        users.observe(f"U-{n}", 1_795_299_000.0 + n, n % 6)
    print(users.counts(1_795_300_000.0)["7d"])
"""

HOLDERS = {
    "a frozen cycle": """
        from cxpulse.gc_pause import StateFreezer

        class App:
            pass

        app = App()
        app.me = app  # a cycle, as an app and its agents hold each other
        app.users = users
        del users
        StateFreezer().tick()
    """,
    "a thread still running": """
        import threading, time

        def hold(state):
            while True:
                time.sleep(1)

        threading.Thread(target=hold, args=(users,), daemon=True).start()
        del users
    """,
}


@pytest.mark.parametrize("holder", sorted(HOLDERS))
def test_no_sketch_is_reported_leaked_when_the_process_exits(holder: str) -> None:
    script = textwrap.dedent(USERS) + textwrap.dedent(HOLDERS[holder])
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=root, env={"PYTHONPATH": str(root)}, check=True)
    assert done.stdout.strip() == "100"
    assert "leaked" not in done.stderr, done.stderr[:500]
