"""``cxpulse worker`` whose recovery loses the first fetch of every active changelog
partition: the records are read, counted as taken and never applied, as a fetch
dropped across a rebalance would be (:mod:`cxpulse.streams.recovery_watch`).
Run as ``python -m tests.support.lossy_recovery_worker`` from the repository."""

from __future__ import annotations

import sys
from typing import Any

import cxpulse.streams.restore as restore
from cxpulse.cli import main

_restore = restore.restore
_lost: set[Any] = set()


def _lossy(app: Any, tp: Any, records: list[Any]) -> bool:
    if records and tp in app.tables.recovery.active_tps and tp not in _lost:
        _lost.add(tp)
        print(f"lost the fetch of {tp.topic}[{tp.partition}] "
              f"{records[0].offset}..{records[-1].offset}", flush=True)
        return True  # taken: the fetch loop moves past them
    return _restore(app, tp, records)


if __name__ == "__main__":
    restore.restore = _lossy  # the fetch loop looks it up at each fetch
    sys.exit(main(["worker"]))
