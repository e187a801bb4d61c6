"""Hook builders several areas of faults share."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from conformance.mock.registry import Hooks

ISO_SECONDS = "%Y-%m-%dT%H:%M:%SZ"


def without(key: str) -> Callable[..., dict]:
    return lambda body, **_: {k: v for k, v in body.items() if k != key}


def meta_changed(**changes: Callable[[Any], Any]) -> Callable[..., dict]:
    return lambda body, **_: {**body, "meta": {**body["meta"], **{k: f(body["meta"][k]) for k, f in changes.items()}}}


def seconds_later(timestamp: str, seconds: int) -> str:
    return (datetime.strptime(timestamp, ISO_SECONDS) + timedelta(seconds=seconds)).strftime(ISO_SECONDS)


def soft_delete(**more: Callable[..., Any]) -> Callable[[], Hooks]:
    """Deletes only flag the row (phone freed, memberships removed), plus the given hooks."""
    return lambda: {"delete_mode": lambda mode, **_: ("soft", "remove"), **more}
