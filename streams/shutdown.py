"""SIGTERM stops a worker within 30 s, whatever the broker's state (SPEC §3).

Faust's orderly stop commits offsets, flushes the producer and leaves the consumer
group; with the broker unreachable each of those waits on timeouts of its own, and
the process was seen running for more than 40 s, after which Kubernetes kills it
anyway. A watchdog thread, started by the first SIGTERM/SIGINT, ends the process
once the orderly stop has had :data:`STOP_WITHIN` seconds. Nothing is lost: table
writes and offsets that did not reach Kafka are simply read and applied again at
the next start (every family applies an event twice without effect).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import faust
from faust.exceptions import NotReady

log = logging.getLogger(__name__)

STOP_WITHIN = 25.0
"""Seconds the orderly stop may take before the process exits regardless."""


def _exit_now() -> None:
    log.warning("the worker did not stop within %.0f s (is Kafka reachable?); exiting now: "
                "what was not committed is read again at the next start", STOP_WITHIN)
    logging.shutdown()
    sys.stderr.flush()
    os._exit(1)


class BoundedStopWorker(faust.Worker):
    """A Faust worker whose stop on a signal is bounded by :data:`STOP_WITHIN`."""

    def _schedule_shutdown(self, signum: signal.Signals) -> None:
        if not self._signal_stop_time:
            watchdog = threading.Timer(STOP_WITHIN, _exit_now)
            watchdog.daemon = True
            watchdog.start()
        super()._schedule_shutdown(signum)


def unless_stopping(app: Any, tick: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """``tick`` for a timer, skipped once the app is stopping.

    Faust stops the agents, the consumer and then the producer before it cancels the
    timers, so a tick in that window sent to a stopped producer (``NotReady``) and
    the stop ended as a crash (a CRITICAL line on every SIGTERM after a revoke left
    something to send). Nothing is lost by skipping: what a tick sends (resent
    samples and answers, table writes) is derived again by the next start's rebuild,
    or its events are read again, being uncommitted.
    """
    async def guarded() -> None:
        if app.should_stop:
            return
        try:
            await tick()
        except NotReady:
            if not app.should_stop:
                raise
            log.debug("a tick met the stopped producer; skipped")
    return guarded
