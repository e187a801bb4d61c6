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
    """Read until `agrees` holds or `settle_s` seconds have passed; the last read is returned either way, and the
    time waited is appended to `waits` when there was any."""
    started = time.monotonic()
    result, pause, reread = read(), FIRST_PAUSE, False
    while not agrees(result):
        left = settle_s - (time.monotonic() - started)
        if left <= 0:
            break
        time.sleep(min(pause, left))
        pause, reread = pause * 2, True
        result = read()
    if reread and waits is not None:
        waits.append(round(time.monotonic() - started, 3))
    return result
