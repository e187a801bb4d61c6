"""Does the target keep what it is sent? Two creates side by side, then bounded re-reads of the list looking for them. A target
that answers creates but never lists them keeps no state (a stateless mock such as Prism), and every rule about
membership, totals or lifecycle would fail for that one reason."""
from __future__ import annotations

import time
from dataclasses import dataclass

from conformance.errors import BudgetExhausted, TargetUnusable, UnsafeRequest
from conformance.exchange import Exchange
from conformance.paging import walk

# A write may show in lists a little late (the docs promise no timing): re-read for up to 3 s in all.
BACKOFF_S = (0.0, 0.2, 0.4, 0.8, 1.6)
WALK_PAGES = 10


@dataclass(frozen=True)
class StateProbe:
    kept: bool | None  # None: the probe could not tell, and the run goes on as usual
    message: str
    exchange: Exchange | None = None


def probe_state(client, new_contact, list_id: str) -> StateProbe:
    try:
        return _probe(client, new_contact, list_id)
    except (BudgetExhausted, TargetUnusable, UnsafeRequest) as exc:
        return StateProbe(None, f"the state probe stopped: {exc}")


def _probe(client, new_contact, list_id: str) -> StateProbe:
    names = ("State Probe A", "State Probe B")
    contacts = new_contact.create_all([new_contact.body(name, lists=[list_id]) for name in names])
    unlisted = [name for name, contact in zip(names, contacts) if contact.exchange.status != 201]
    # lists may have to exist before use
    contacts = [c for c in contacts if c.exchange.status == 201] + new_contact.create_all(
        [new_contact.body(name) for name in unlisted])
    created = []
    for contact in contacts:
        body = contact.exchange.json_or_none()
        if contact.exchange.status != 201 or not isinstance(body, dict) or not isinstance(body.get("id"), str):
            return StateProbe(None, f"a create answered {contact.exchange.status or contact.exchange.error}")
        created.append((body["id"], contact.body))
    filtered = all("lists" in sent for _, sent in created)
    last = None
    for pause in BACKOFF_S:
        time.sleep(pause)
        if filtered:
            last = client.list(list_id=list_id, per_page=100)
            body = last.json_or_none()
            if last.status == 200 and isinstance(body, dict) and _shows(body.get("data"), created):
                return StateProbe(True, "the created contacts are listed", last)
        else:
            seen = walk(client, per_page=100, max_pages=WALK_PAGES)
            last = seen.last
            if _shows(seen.items, created):
                return StateProbe(True, "the created contacts are listed", last)
            if seen.inconclusive:
                return StateProbe(None, f"the account could not be read in full: {seen.inconclusive}", last)
    seen = walk(client, per_page=100, max_pages=WALK_PAGES) if filtered else None
    if seen is not None:
        if _shows(seen.items, created):
            return StateProbe(True, "the created contacts are listed (not under their list)", seen.last)
        if seen.inconclusive:
            return StateProbe(None, f"the account could not be read in full: {seen.inconclusive}", seen.last)
        last = seen.last
    ids = sorted({contact_id for contact_id, _ in created})
    return StateProbe(False, f"the target appears to keep no state: two creates were answered 201 ({', '.join(ids)}) "
                             "and neither contact was listed within 3 s, under its list or on the account. A stateless "
                             "mock? Check the contract alone with --profile contract", last)


def _shows(items: object, created: list[tuple[str, dict]]) -> bool:
    """Whether a listed item is one of the created contacts: the run-tagged name or the phone it was created with.
    Not the id: a stateless mock lists its examples, whose id may be the one every create answers, and a target
    that keeps the contact under another id than it answered still keeps it (CREATE-ID-… rules judge ids)."""
    if not isinstance(items, list):
        return False
    sent = {(body["name"], body["phone"]) for _, body in created}
    names, phones = {name for name, _ in sent}, {phone for _, phone in sent}
    return any(isinstance(item, dict) and (item.get("name") in names or item.get("phone") in phones)
               for item in items)
