"""Leaving nothing behind: the end of every run deletes what it created, and `conformance cleanup` deletes what earlier
(crashed) runs left, found by their run tag, the same way."""
from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

from conformance.client import Client
from conformance.config import resolve
from conformance.errors import BudgetExhausted, TargetUnusable, UnsafeRequest
from conformance.paging import tagged_ids, walk
from conformance.settling import settled

MAX_PAGES = 200


def cleanup(base_url: str, api_key: str | None, run_tag: str | None, all_runs: bool) -> int:
    config = resolve(base_url=base_url, api_key=api_key, allow_writes=True)
    client = Client(config)
    try:
        result = walk(client, per_page=100, max_pages=MAX_PAGES)
    except TargetUnusable as exc:
        print(f"conformance cleanup: {exc}", file=sys.stderr)
        return 3
    if result.inconclusive:
        print(f"conformance cleanup: could not list the account's contacts: {result.inconclusive}", file=sys.stderr)
        return 3
    ids = tagged_ids(result.items, None if all_runs else run_tag)
    for contact_id in ids:
        client.ledger.created.add(contact_id)  # tagged by this checker: the only ids it may delete
    leaked = delete_leftovers(client)
    print(f"found {len(ids)} contacts tagged by {'any run' if all_runs else f'run {run_tag}'}; "
          f"deleted {len(ids) - len(leaked)}" + (f"; could not delete {', '.join(leaked)}" if leaked else ""))
    return 1 if leaked else 0


def delete_leftovers(client: Client, verify: bool = True) -> list[str]:
    """Delete everything this run created and has not deleted; returns the ids left on the account.

    A create whose answer never arrived (interrupted, timed out) may still have created a contact, and a
    target may answer a DELETE without deleting: so the account is searched for contacts carrying this run's
    tag before (when a create is uncertain) and after the deletes; a contact still listed counts as left only
    once the settle time is over (lists may show a delete late). Without `verify` (a target that keeps no
    state, whose list shows examples rather than what it was sent) the deletes are sent and nothing is searched."""
    client.drain()
    client.session.unmetered = True
    if verify and client.ledger.uncertain_creates:
        client.ledger.created.update(_tagged_on_account(client))

    def removed(contact_id: str) -> bool:
        try:
            return client.delete(contact_id).status in (200, 204, 404)
        except (UnsafeRequest, BudgetExhausted, TargetUnusable):
            return False

    def not_removed(ids: list[str]) -> list[str]:
        with ThreadPoolExecutor(client.config.concurrency) as pool:  # the session still bounds what is in flight
            return [contact_id for contact_id, ok in zip(ids, pool.map(removed, ids)) if not ok]
    failed = not_removed(client.ledger.live)
    if not verify:
        return []

    def left() -> list[str]:
        return settled(lambda: _tagged_on_account(client, also=client.ledger.created), lambda ids: not ids,
                       client.config.settle, client.ledger.settle_waits)
    still_there = left() if client.ledger.created else []
    if still_there:  # deleted and back (a create revived it), or never answered as made (a refusal stored it)
        client.ledger.created.update(still_there)
        failed += not_removed(still_there)
        still_there = left()
    return list(dict.fromkeys(failed + still_there))


def _tagged_on_account(client: Client, also: set[str] = frozenset(), max_pages: int = 50) -> list[str]:
    """Ids of contacts on the account carrying this run's tag (or among `also`), as far as a bounded walk sees."""
    try:
        found = walk(client, per_page=100, max_pages=max_pages)
    except (BudgetExhausted, TargetUnusable, UnsafeRequest):
        return []
    ids = tagged_ids(found.items, client.config.run_tag) + [i for i in found.ids if i in also]
    return [i for i in ids if not client.ledger.theirs(i)]  # an upsert gave another's contact the run's tag
