"""Hook builders, SQL and patterns several areas of faults share."""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from conformance.mock.registry import Hooks
from conformance.mock.store import LIVE, REMOVE_MEMBERSHIPS, Query

ISO_SECONDS = "%Y-%m-%dT%H:%M:%SZ"
# A soft delete flags the row instead of removing it, and frees its phone (or keeps it taken)
SOFT_DELETE = "UPDATE contacts SET deleted = 1, phone_key = NULL WHERE id = :id"
SOFT_DELETE_KEEPING_PHONE = "UPDATE contacts SET deleted = 1, phone_key = phone_key WHERE id = :id"
# Invisible characters a phone pasted from a spreadsheet or a right-to-left page carries: no-break spaces, zero-width
# spaces and joiners, bidirectional marks, the byte order mark
INVISIBLE = re.compile("[\u00a0\u202f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def without(key: str) -> Callable[..., dict]:
    return lambda body, **_: {k: v for k, v in body.items() if k != key}


def meta_changed(**changes: Callable[[Any], Any]) -> Callable[..., dict]:
    return lambda body, **_: {**body, "meta": {**body["meta"], **{k: f(body["meta"][k]) for k, f in changes.items()}}}


def seconds_later(timestamp: str, seconds: int) -> str:
    return (datetime.strptime(timestamp, ISO_SECONDS) + timedelta(seconds=seconds)).strftime(ISO_SECONDS)


def soft_delete(**more: Callable[..., Any]) -> Callable[[], Hooks]:
    """Deletes only flag the row (phone freed, memberships removed), plus the given hooks."""
    return lambda: {"delete_mode": lambda mode, **_: (SOFT_DELETE, REMOVE_MEMBERSHIPS), **more}


def deleted_members_counted(query: Query) -> Query:
    """A list filter that forgets the deleted flag: soft-deleted contacts still count as their lists' members."""
    return dataclasses.replace(query, where=query.where.replace(f" AND {LIVE}", ""))


def deleted_rows_counted(query: Query) -> Query:
    """The unfiltered list forgets the deleted flag: soft-deleted contacts still count."""
    return query if query.list_id is not None else dataclasses.replace(query, where=query.where.replace(LIVE, "1"))
