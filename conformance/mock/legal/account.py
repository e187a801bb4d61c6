"""Legal variants of the account and its timing: latency, rate limits, lists that show writes late, other clients
writing, contacts already there."""
from __future__ import annotations

import itertools
import random
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

from starlette.responses import Response

from conformance.mock.registry import Hooks, only, rate_limited_every, variant
from conformance.mock.seeds import seed
from conformance.mock.store import DuplicatePhone, Store

LAG_SECONDS = 0.5


def _latency_spikes(n: int) -> Hooks:
    rng = random.Random(n)
    return {"latency": lambda delay, **_: delay + (rng.uniform(0.1, 0.5) if rng.randrange(n) == 0 else 0.0)}


def _lagging_lists(seconds: float = LAG_SECONDS) -> Hooks:
    """List reads come from a replica that shows the data as it was `seconds` ago; writes are immediate."""
    history: list[tuple[float, Store]] = []  # (when written, the data after that write), oldest first

    def opened(store: Store, **_: Any) -> Store:
        history.append((float("-inf"), store.snapshot()))
        return store

    def written(store: Store, **_: Any) -> Store:
        history.append((time.monotonic(), store.snapshot()))
        return store

    def replica(store: Store, **_: Any) -> Store:
        cutoff = time.monotonic() - seconds
        while len(history) > 1 and history[1][0] <= cutoff:
            history.pop(0)[1].close()
        return history[0][1]
    return {"opened": opened, "written": written, "list_store": replica}


def _other_clients_writing(every: int = 4) -> Hooks:
    """Every `every`-th request, another client of the account creates a contact or deletes one it created."""
    rng = random.Random(every)
    requests = itertools.count(1)
    mine: list[str] = []

    def act(_: None, store: Store, **__: Any) -> None:
        if next(requests) % every:
            return
        if len(mine) >= 3 and rng.random() < 0.5:
            store.delete(mine.pop(0))
            return
        contact = {"id": f"cnt_other{rng.randrange(16**8):08x}", "name": f"Other Client {rng.randrange(1000)}",
                   "phone": f"+24499{rng.randrange(10**7):07d}", "email": None,
                   "lists": rng.choice([[], ["lst_abc123"]]),
                   "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        try:
            store.insert(contact, phone_key=contact["phone"])
        except DuplicatePhone:
            return
        mine.append(contact["id"])
    return {"request": act}


def _lagging_replicas(seconds: float = LAG_SECONDS) -> Hooks:
    """Each list read goes at random to the primary or to a replica `seconds` behind: no read-after-write and no
    monotonic reads (a contact may show, then not, until the replica catches up)."""
    lagging = _lagging_lists(seconds)
    rng = random.Random(7)

    def read_from(store: Store, **_: Any) -> Store:
        replica = lagging["list_store"](store)
        return replica if rng.random() < 0.5 else store
    return {**lagging, "list_store": read_from}


def _burst_limited(most: int) -> Hooks:
    """More than `most` requests in flight at once: the rest get 429 with Retry-After: 1 (a concurrency limiter).
    Every request takes 10 ms more, so requests sent together are in flight together."""
    in_flight = [0]

    def arrived(delay: float, **_: Any) -> float:
        in_flight[0] += 1
        return delay + 0.01

    def limited(value: bool, **_: Any) -> bool:
        return value or in_flight[0] > most

    def response(answer: Response, **_: Any) -> Response:
        in_flight[0] -= 1
        return answer
    return {"latency": arrived, "rate_limited": limited, "response": response}


def _two_seconds_ahead(value: str, **_: Any) -> str:
    return format_datetime(datetime.now(timezone.utc) + timedelta(seconds=2), usegmt=True)


variant("occasional_429", "Every 80th request is rate limited with Retry-After: 1 (P: 429 with Retry-After).",
        rate_limited_every(80))
variant("retry_after_http_date", "Every 60th request is rate limited with Retry-After as an HTTP date 2 s ahead "
        "(P says 'number of seconds'; RFC 9110 allows either form and clients must take both).",
        rate_limited_every(60, retry_after=_two_seconds_ahead))
variant("latency_spikes", "One request in twenty takes 0.1-0.5 s longer.", lambda: _latency_spikes(20))
variant("lagging_lists", f"The list endpoint is eventually consistent: it shows creates and deletes {LAG_SECONDS} s "
        "late (=SECONDS to change; C and P say nothing of when a write becomes visible).", _lagging_lists)
variant("other_clients_writing", "Another client of the account creates and deletes its own contacts every few "
        "requests while the run goes on (an account is shared; C: 'contacts on your account').",
        _other_clients_writing)
variant("existing_contacts", "The account already holds 62 contacts, among them the docs' Maria Santos "
        "(+244912345678, lst_abc123) and João Ferreira (+244923456789), some in lst_abc123 and lst_def456.",
        only("opened", lambda store, **_: seed(store)))
variant("lagging_replicas", f"Each list read goes at random to the primary or to a replica {LAG_SECONDS} s behind "
        "(=SECONDS to change): a write may show, then not, for a moment (C and P promise neither read-after-write "
        "nor monotonic reads).", _lagging_replicas)
variant("burst_limited", "More than 4 requests in flight at once: the others get 429 with Retry-After: 1 (P: "
        "per-account limits, 429 with Retry-After; how a limit is counted is not said).",
        lambda: _burst_limited(4))
variant("retry_after_zero", "Every 40th request is rate limited with Retry-After: 0 (RFC 9110's delay-seconds is any "
        "number of seconds, 0 included: retry at once).", rate_limited_every(40, retry_after=lambda value, **_: "0"))
variant("rate_limit_code_too_many_requests", "Every 40th request is rate limited with Retry-After: 1 and error "
        "'too_many_requests' (the Contacts tables name no 429 and no code for it; the messages page's "
        "rate_limit_exceeded is another API's).",
        rate_limited_every(40, error_body=lambda body, status, **_: {**body, "error": "too_many_requests"}
                           if status == 429 else body))


def _large_account(size: int) -> Hooks:
    """The account holds `size` contacts of its owner's, an hour apart, from before the run."""
    def opened(store: Store, **_: Any) -> Store:
        start = datetime(2025, 1, 1, tzinfo=timezone.utc)
        for n in range(size):
            store.insert({"id": f"cnt_acct{n:08d}", "name": f"Cliente {n}", "phone": f"+24494{n:07d}",
                          "email": f"cliente{n}@example.ao" if n % 3 else None, "lists": [],
                          "created_at": (start + timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M:%SZ")},
                         phone_key=f"+24494{n:07d}")
        return store
    return {"opened": opened}


def _old_contacts_purged(every: int) -> Hooks:
    """A retention job of the account's owner deletes its oldest contact from before the run every `every`
    requests."""
    requests = itertools.count(1)

    def act(_: None, store: Store, **__: Any) -> None:
        if next(requests) % every == 0 and (oldest := store.first(
                "SELECT id FROM contacts WHERE id LIKE 'cnt_old%' AND deleted = 0 ORDER BY created_at")):
            store.delete(oldest[0])
    return {"opened": lambda store, **_: seed(store), "request": act}


def _sequential_ids() -> Hooks:
    counter = itertools.count(1001)
    return {"new_id": lambda fresh, **_: f"cnt_{next(counter)}"}


variant("large_account", "The account already holds 1200 contacts of its owner's, more than a walk of 10 pages of 100 "
        "reads (C: the contacts on your account; nothing bounds how many).", lambda: _large_account(1200))
variant("old_contacts_purged", "The account holds 62 contacts from before the run, and its owner's retention job "
        "deletes the oldest of them every 7 requests while the run goes on (an account is shared; C: 'contacts on "
        "your account').", lambda: _old_contacts_purged(7))
variant("sequential_ids", "Ids are cnt_ and a decimal sequence (cnt_1001, cnt_1002, …), never reused (C: the unique "
        "contact identifier, prefixed with cnt_; how the rest is made is not said).", _sequential_ids)
