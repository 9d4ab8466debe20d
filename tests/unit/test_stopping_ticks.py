"""A timer's tick is skipped once the app stops: its producer may be gone already."""

from __future__ import annotations

import faust
import pytest
from faust.exceptions import NotReady

from cxpulse.streams.shutdown import unless_stopping


class Ticks:
    def __init__(self, app: faust.App, stop_midway: bool = False) -> None:
        self.app, self.stop_midway, self.ran = app, stop_midway, 0

    async def tick(self) -> None:
        self.ran += 1
        if self.stop_midway:
            self.app._stopped.set()  # the app began to stop while the tick awaited a send
        raise NotReady("Producer service not yet started")


async def test_a_running_app_ticks_and_its_errors_surface() -> None:
    ticks = Ticks(faust.App("ticks-running"))
    with pytest.raises(NotReady):
        await unless_stopping(ticks.app, ticks.tick)()
    assert ticks.ran == 1


async def test_a_stopping_app_does_not_tick() -> None:
    ticks = Ticks(faust.App("ticks-stopping"))
    ticks.app._stopped.set()
    await unless_stopping(ticks.app, ticks.tick)()
    assert ticks.ran == 0


async def test_a_tick_that_meets_the_stopped_producer_ends_quietly() -> None:
    ticks = Ticks(faust.App("ticks-midway"), stop_midway=True)
    await unless_stopping(ticks.app, ticks.tick)()
    assert ticks.ran == 1
