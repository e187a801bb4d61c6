"""Inputs drawn from hypothesis strategies by the run's seed, up front, so a case can send them side by side.

A case that sends a batch and judges each answer never replays a request: on a live target a replay meets the state
the first send made (a 409 where a 422 was due) and hypothesis calls the result flaky. The same seed draws the same
inputs, whatever the concurrency."""
from __future__ import annotations

import encodings
import importlib
import os
import pkgutil
import tempfile
import threading
import zlib
from pathlib import Path
from typing import TypeVar

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis import strategies as st
from phonenumbers import PhoneMetadata

from conformance.concurrency import Slots

T = TypeVar("T")


class Turns:
    """One thread at a time, the waiting one of the highest priority first; the thread that holds it may take it
    again (schemathesis' work, which takes it, draws through hypothesis, which takes it too)."""

    def __init__(self) -> None:
        self._slot = Slots(1)
        self._owner: int | None = None
        self._depth = 0

    def acquire(self) -> None:
        if self._owner == threading.get_ident():
            self._depth += 1
            return
        self._slot.__enter__()
        self._owner, self._depth = threading.get_ident(), 1

    def release(self) -> None:
        self._depth -= 1
        if not self._depth:
            self._owner = None
            self._slot.__exit__(None, None, None)

    def held(self) -> bool:
        """Whether the calling thread holds it."""
        return self._owner == threading.get_ident()

    def __enter__(self) -> None:
        self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


# One hypothesis run at a time: cases run side by side, but a hypothesis run seeds and restores the process' one
# global `random` around every example, and two runs at once would draw from each other's state. It also builds
# syntax trees (to name a lambda, to read a module's constants), which CPython 3.11 cannot do in two threads at
# once (see side_by_side.py): whatever else builds them in a case's thread takes this turn too.
HYPOTHESIS = Turns()


def import_before_cases() -> None:
    """hypothesis reads `sys.modules` while it draws (to name a lambda in a statistic of a retried draw), and an
    import in another thread meanwhile raises "dictionary changed size during iteration" out of the draw. Cases
    import only inside hypothesis' turn (schemathesis' and hypothesis' own lazy imports happen there), except what
    phonenumbers loads per region and codecs load per encoding (a target names any charset): both loaded here, in the
    main thread, before cases run side by side."""
    PhoneMetadata.load_all()
    for codec in pkgutil.iter_modules(encodings.__path__):
        try:
            importlib.import_module(f"encodings.{codec.name}")
        except ImportError:  # another platform's codec (mbcs, oem)
            continue


def keep_hypothesis_cache() -> Path | None:
    """hypothesis keeps what it computes once (its Unicode tables, the constants of the code it draws for) in a
    .hypothesis folder of the current directory: a run from a fresh directory spent a second rebuilding them, and
    left that folder in the user's project. It goes in the user's cache instead, unless the user chose a place."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return None
    for folder in _cache_folders():
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            set_hypothesis_home_dir(folder)
            return folder
    return None


def _cache_folders() -> list[Path]:
    folders = []
    try:  # no HOME and no account entry (a bare container user): the temporary folder only
        folders.append(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "zexa-conformance"
                       / "hypothesis")
    except (RuntimeError, KeyError):
        pass
    user = os.getuid() if hasattr(os, "getuid") else 0
    return folders + [Path(tempfile.gettempdir()) / f"zexa-conformance-{user}" / "hypothesis"]


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

    with HYPOTHESIS:
        collect()
    return found[:count]
