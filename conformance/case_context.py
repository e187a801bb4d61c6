"""Which case (or shared fixture) the current thread works for: its own exchanges (the evidence of its verdict) and
its own random draws (phones, made-up ids), so cases that run side by side send the same data and keep the same
evidence whatever ran next to them. The context follows a case into the threads it gathers on (`carried`)."""
from __future__ import annotations

import contextvars
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")
SESSION = "session"  # work outside any case: the probes at session start, cleanup
PARTITIONS = 128  # the phone tails of a region are split among this many contexts


@dataclass
class CaseContext:
    key: str
    ordinal: int
    seed: int
    exchanges: list = field(default_factory=list)
    priority: int = 0  # for a slot in flight: lower goes first (see concurrency.InFlightLimit)
    metered: bool = True  # counts against the request budget (cleanup does not)
    _tails: dict = field(default_factory=dict)
    _streams: dict = field(default_factory=dict)

    def rng(self, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}:{self.key}:{purpose}")

    def stream(self, purpose: str) -> random.Random:
        """The context's one generator for `purpose`, carried on from draw to draw."""
        return self._streams.setdefault(purpose, self.rng(purpose))

    def phone_tail(self, region: str, space: int) -> int:
        """The next tail for a number of `region`: first from this context's own share of `space` (no other
        context draws those), then any."""
        if region not in self._tails:
            self._tails[region] = self._tail_order(region, space)
        return next(self._tails[region])

    def _tail_order(self, region: str, space: int):
        share = space // PARTITIONS
        base = (self.ordinal % PARTITIONS) * share
        rng = self.rng(f"phones:{region}")
        start = rng.randrange(share)
        for j in range(share):
            yield base + (start + j) % share
        while True:
            yield rng.randrange(space)


class _Registry:
    """Ordinals by key, fixed up front from the collected cases, so a context's share never depends on timing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.start(0)

    def start(self, seed: int) -> None:
        with self._lock:
            self.seed = seed
            self._ordinals: dict[str, int] = {SESSION: 0}
            self.session = CaseContext(SESSION, 0, seed)
            # deleting what cases are done with: after every other request, and outside every case's evidence
            self.tidy = CaseContext("cleanup", 0, seed, priority=1 << 30, metered=False)

    def register(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._ordinals.setdefault(key, len(self._ordinals))

    def context(self, key: str, priority: int = 0) -> CaseContext:
        with self._lock:
            ordinal = self._ordinals.setdefault(key, len(self._ordinals))
        return CaseContext(key, ordinal, self.seed, priority=priority)


REGISTRY = _Registry()
_CURRENT: contextvars.ContextVar[CaseContext | None] = contextvars.ContextVar("conformance_case", default=None)


def current() -> CaseContext:
    return _CURRENT.get() or REGISTRY.session


def run_as(context: CaseContext, call: Callable[[], T]) -> T:
    """Run `call` with `context` current, in a copy of the caller's context (the caller's stays as it was)."""
    def inside() -> T:
        _CURRENT.set(context)
        return call()
    return contextvars.copy_context().run(inside)


def carried(call: Callable[..., T]) -> Callable[..., T]:
    """`call`, bound to the context current where it was made: for work handed to another thread."""
    context = contextvars.copy_context()

    def bound(*args: Any, **kwargs: Any) -> T:
        return context.copy().run(call, *args, **kwargs)
    return bound
