"""``cxpulse check FILE.jsonl``: validate recorded events the way the worker does.

Each line is decoded and checked against the contract (the same compiled JSON
Schema checks the worker runs), so upstream teams can test their producers'
output before sending it. Prints a summary per rejection reason.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from cxpulse.schemas.events import Rejection, decode

EXAMPLES = 5
"""Line numbers shown per reason."""


@dataclass
class CheckReport:
    good: int = 0
    duplicates: int = 0
    """Valid lines whose id an earlier line already had (counted once by workers)."""
    types: Counter[str] = field(default_factory=Counter)
    bad: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    """Reason -> line numbers."""

    @property
    def bad_lines(self) -> int:
        return sum(len(lines) for lines in self.bad.values())


def check_file(path: Path) -> CheckReport:
    report = CheckReport()
    seen: set[str] = set()
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            result = decode(line.rstrip(b"\r\n"))
            if isinstance(result, Rejection):
                report.bad[result.reason].append(number)
            elif result.id in seen:
                report.duplicates += 1
            else:
                seen.add(result.id)
                report.good += 1
                report.types[result.type] += 1
    return report


def print_report(path: Path, report: CheckReport, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    total = report.good + report.duplicates + report.bad_lines
    print(f"{path}: {total} events, {report.good} valid, {report.duplicates} duplicate ids, "
          f"{report.bad_lines} bad", file=out)
    for event_type, n in sorted(report.types.items()):
        print(f"  valid  {n:>8}  {event_type}", file=out)
    for reason, lines in sorted(report.bad.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        shown = ", ".join(map(str, lines[:EXAMPLES])) + (", ..." if len(lines) > EXAMPLES else "")
        print(f"  bad    {len(lines):>8}  {reason}  (lines {shown})", file=out)
