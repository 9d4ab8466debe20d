"""Peer rows of ``python -m bench``: other libraries doing the simplest windowed job.

The ratio worker / baseline says what cxpulse costs over a bare consumer; peers say whether
that cost is ours or the ecosystem's. Each peer runs as a subprocess on the topics the
bench already published, from offset 0, and prints its events/s as JSON. Quix Streams is
not a cxpulse dependency: it gets its own venv, created once under ``.bench-venvs/quix``
(gitignored); if that cannot be built, its row says why instead of failing the bench.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import venv
from pathlib import Path

from cxpulse.config import Settings
from cxpulse.families import EVENT_TOPICS

HERE = Path(__file__).parent
QUIX_VENV = HERE.parent / ".bench-venvs" / "quix"
PEERS = ("faust", "quix")
LABELS = {"faust": "peer: bare Faust 0.15, windowed count (take_events, memory table)",
          "quix": "peer: Quix Streams, tumbling_window(60 s).count() (RocksDB)"}


class NotMeasured(Exception):
    """A peer could not run here; the message is the row's reason."""


def _python(path: Path) -> Path:
    return path / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def quix_python(root: Path = QUIX_VENV) -> Path:
    """The Python of a venv with ``quixstreams`` (latest pip resolves), made on first use."""
    python = _python(root)
    if python.exists() and subprocess.run([str(python), "-c", "import quixstreams"],
                                          capture_output=True).returncode == 0:
        return python
    print(f"creating {root} with quixstreams...", file=sys.stderr, flush=True)
    try:
        venv.create(root, with_pip=True, clear=True)
        done = subprocess.run([str(python), "-m", "pip", "install", "-q", "quixstreams"],
                              capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.SubprocessError) as exc:
        raise NotMeasured(f"no venv for quixstreams ({exc})") from exc
    if done.returncode:
        tail = done.stderr.strip().splitlines()[-1:] or ["pip failed"]
        raise NotMeasured(f"pip install quixstreams failed: {tail[0]}")
    return python


def _run(cmd: list[str], log: Path, timeout: float) -> float:
    """Run one peer; its events/s from the JSON line it prints."""
    with log.open("wb") as err:
        try:
            done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise NotMeasured(f"no result within {timeout:.0f} s (log {log})") from exc
    for line in reversed(done.stdout.decode(errors="replace").splitlines()):
        if '{"rate"' in line:  # a spinner's escape codes may precede it
            return float(json.loads(line[line.index("{"):])["rate"])
    raise NotMeasured(f"exit {done.returncode} without a result (log {log})")


def measure(peer: str, bootstrap: str, prefix: str, expected: int, tmp: Path,
            run: int) -> float:
    """Events/s of ``peer`` reading every event topic from offset 0 to ``expected`` events."""
    topics = [prefix + t for t in EVENT_TOPICS]
    timeout = 300 + expected / 1000
    log = tmp / f"peer-{peer}-{run}.log"
    if peer == "faust":
        return _run([sys.executable, "-m", "bench.peer_faust", "--bootstrap", bootstrap,
                     "--topics", *topics, "--partitions", str(Settings().partitions),
                     "--expected", str(expected),
                     "--datadir", str(tmp / f"peer-faust-{run}-{time.time_ns()}")], log, timeout)
    if peer == "quix":
        state = tmp / f"peer-quix-{run}-{time.time_ns()}"
        return _run([str(quix_python()), str(HERE / "peer_quix.py"), "--bootstrap", bootstrap,
                     "--topics", *topics, "--expected", str(expected),
                     "--state-dir", str(state)], log, timeout)
    raise ValueError(f"unknown peer {peer!r}")
