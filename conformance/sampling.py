"""Inputs drawn from hypothesis strategies by the run's seed, up front, so a case can send them side by side.

A case that sends a batch and judges each answer never replays a request: on a live target a replay meets the state
the first send made (a 409 where a 422 was due) and hypothesis calls the result flaky. The same seed draws the same
inputs, whatever the concurrency."""
from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
import zlib
from typing import TypeVar

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from conformance import case_context

T = TypeVar("T")
class _Turns:
    """One hypothesis run at a time, the waiting one of the highest priority first (case_context): cases run side
    by side, but hypothesis compiles code while it draws, and CPython 3.11's compiler is not safe from two threads at
    once ("SystemError: AST constructor recursion depth mismatch")."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._owner: int | None = None
        self._queue: list[tuple[int, int]] = []
        self._arrivals = itertools.count()

    @contextmanager
    def turn(self) -> Iterator[None]:
        me = threading.get_ident()
        if self._owner == me:
            yield
            return
        ticket = (case_context.current().priority, next(self._arrivals))
        with self._cv:
            heapq.heappush(self._queue, ticket)
            try:
                self._cv.wait_for(lambda: self._owner is None and self._queue[0] == ticket)
            except BaseException:  # interrupted while waiting: the next in line must not wait for this one
                self._queue.remove(ticket)
                heapq.heapify(self._queue)
                self._cv.notify_all()
                raise
            heapq.heappop(self._queue)
            self._owner = me
        try:
            yield
        finally:
            with self._cv:
                self._owner = None
                self._cv.notify_all()


HYPOTHESIS = _Turns()

def draws(strategy: st.SearchStrategy[T], count: int, run_seed: int, purpose: str) -> list[T]:
    """Up to `count` distinct values of `strategy`, the same ones for the same seed and purpose."""
    found: list[T] = []

    @settings(max_examples=max(1, count), phases=[Phase.generate], database=None, deadline=None,
              suppress_health_check=list(HealthCheck), derandomize=False)
    @seed(run_seed ^ zlib.crc32(purpose.encode()))
    @given(strategy)
    def collect(value: T) -> None:
        if value not in found:
            found.append(value)

    with HYPOTHESIS.turn():
        collect()
    return found[:count]
