"""Eventual visibility: the docs promise no read-after-write, so a list that disagrees with what the run knows is read
again with bounded back-off before it is judged."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
FIRST_PAUSE = 0.1


def settled(read: Callable[[], T], agrees: Callable[[T], bool], settle_s: float,
            waits: list[float] | None = None) -> T:
    """Read until `agrees` holds or a read that started `settle_s` seconds after the first has been made; the last
    read is returned either way, and the time waited is appended to `waits` when there was any. The last read starts
    after the settle time however long each read takes: a slow answer never cuts the target's time short."""
    started = time.monotonic()
    result, pause, reread, last_started = read(), FIRST_PAUSE, False, started
    while not agrees(result) and last_started - started < settle_s:
        time.sleep(max(0.0, min(pause, settle_s - (time.monotonic() - started))))
        pause, reread, last_started = pause * 2, True, time.monotonic()
        result = read()
    if reread and waits is not None:
        waits.append(round(time.monotonic() - started, 3))
    return result
