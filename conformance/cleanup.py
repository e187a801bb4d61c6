"""`conformance cleanup`: delete contacts that earlier (crashed) runs left behind, found by their run tag."""
from __future__ import annotations

import sys

from conformance.paging import tagged_ids, walk
from conformance.client import Client, TargetUnusable
from conformance.config import resolve

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
    leaked = client.cleanup()
    print(f"found {len(ids)} contacts tagged by {'any run' if all_runs else f'run {run_tag}'}; "
          f"deleted {len(ids) - len(leaked)}" + (f"; could not delete {', '.join(leaked)}" if leaked else ""))
    return 1 if leaked else 0
