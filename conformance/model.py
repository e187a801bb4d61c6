"""The model of the stateful test as plain data: every contact this run made (as sent and as answered), the run's own
list ids, and the invariants that compare what the target answers with it. No I/O here: the driver
(cases/test_model.py) sends the requests and hands the answers in.

Each invariant holds only where the docs are explicit. The model never assumes an order, read-after-write, or that
the unfiltered list holds only the run's contacts; extra fields in any answer are free."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from conformance.judgements import (DEFAULT_PER_PAGE, MAX_PER_PAGE, created_at_order_problem, created_at_problems,
                                    echo_problems, email_matches, id_problem, judge_list, meta_of, page_of,
                                    parse_instant)
from conformance.paging import as_key

FIELDS = ("id", "name", "phone", "email", "created_at")
# What a list that shows writes late gets wrong for a while; anything else (a changed field, a stranger in a
# list) no wait can mend.
LAG_SENSITIVE = frozenset({"LIST-SHOWS-CREATED", "DELETE-ONLY-THE-GIVEN-ID", "DELETE-REMOVED-FROM-LISTS",
                           "DELETE-GONE-FROM-LIST", "LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGES-PARTITION",
                           "LIST-PAGE-PAST-END-EMPTY"})


@dataclass(frozen=True)
class Finding:
    requirement: str
    message: str
    exchange: Any = None
    settles: bool = True  # False: no wait can mend it (one answer contradicts itself), so a later read does not clear it


@dataclass
class Contact:
    sent: dict
    answer: dict
    lists: tuple[str, ...]
    deleted: bool = False
    uncertain: bool = False  # a delete of it answered something unexpected: its state is unknown

    @property
    def id(self) -> str:
        return self.answer["id"]

    @property
    def live(self) -> bool:
        return not self.deleted and not self.uncertain


@dataclass
class Model:
    lists: tuple[str, ...]  # the run's own list ids; several share prefixes (m1, m10, m1x)
    exclusive: bool  # the lists hold only this run's contacts (no --list-ids)
    contacts: dict[str, Contact] = field(default_factory=dict)
    seen: set[tuple[str | None, str]] = field(default_factory=set)  # (list id or None, contact id) once listed

    def add(self, contact: Contact) -> None:
        self.contacts[contact.id] = contact

    def members(self, list_id: str) -> list[Contact]:
        return [c for c in self.contacts.values() if c.live and list_id in c.lists]

    def live(self) -> list[Contact]:
        return [c for c in self.contacts.values() if c.live]


def stated_per_page(first) -> int:
    """The page size a page read without per_page states, when it is one a request may ask for; else the default."""
    size = (meta_of(first) or {}).get("per_page")
    return size if type(size) is int and 1 <= size <= MAX_PER_PAGE else DEFAULT_PER_PAGE


@dataclass
class Listing:
    """One read of GET /contacts (a list filter or none) across all its pages, and one page past the end."""
    list_id: str | None
    per_page: int
    pages: list = field(default_factory=list)  # Exchanges, page 1 first
    past_end: Any = None
    complete: bool = True  # False when the walk stopped short (an account too large to walk)
    per_page_sent: bool = True  # False: read as a client that names no page size, per_page the documented default

    def bodies(self) -> list[dict] | None:
        pages = [page_of(e) for e in self.pages]
        ok = all(page is not None and isinstance(page[1].get("total"), int) for page in pages)
        return [e.json_or_none() for e in self.pages] if ok and pages else None

    def page_count(self) -> int | None:
        bodies = self.bodies()
        return max(1, math.ceil(bodies[0]["meta"]["total"] / self.per_page)) if bodies else None


# --- creates ------------------------------------------------------------------------------------------------

def check_create_answer(sent: dict, exchange) -> list[Finding]:
    """A 201 echoes exactly what was sent (judgements.contacts.echo_problems), under an id prefixed cnt_ (every
    contact's: a target may mint ids on more than one path)."""
    answer = exchange.json_or_none() or {}
    found = [Finding(j.requirement, j.problem, exchange) for j in echo_problems(sent, answer)]
    if problem := id_problem(answer.get("id")):
        found.append(Finding("CREATE-ID-CNT-PREFIX", problem, exchange))
    return found


def check_created_at(exchange, received_at: datetime, later: list = ()) -> list[Finding]:
    """created_at is when the contact was made (judgements.contacts.created_at_problems)."""
    return [Finding(j.requirement, j.problem, exchange) for j in created_at_problems(exchange, received_at, later)]


def check_created_at_order(creates: list) -> list[Finding]:
    """Contacts made one after the other have their created_at in that order (judgements.created_at_order_problem);
    each answer may stand on its own within the Date slack and the pair still contradict each other."""
    problem, later = created_at_order_problem(creates)
    return [Finding("CREATE-CREATED-AT-MATCHES-DATE", problem, later, settles=False)] if problem else []


# --- lists --------------------------------------------------------------------------------------------------

def _same_field(name: str, answered: object, listed: object) -> bool:
    if name == "created_at":
        a, b = parse_instant(answered), parse_instant(listed)
        return a == b if a is not None and b is not None else answered == listed
    if name == "email" and isinstance(answered, str):  # the same address: a domain's case is not part of it
        return email_matches(answered, listed)
    return answered == listed


def check_item(contact: Contact, item: dict, exchange) -> list[Finding]:
    """A listed contact shows exactly what its create answered (a missing email is the same as a null one, and an
    email's domain may differ in case)."""
    differ = [f"{name}: created {contact.answer.get(name)!r}, listed {item.get(name)!r}" for name in FIELDS
              if not _same_field(name, contact.answer.get(name), item.get(name))]
    if differ:
        return [Finding("LIST-ITEM-MATCHES-CREATE", f"contact {contact.id} as listed differs from its create: "
                        + "; ".join(differ), exchange)]
    return []


def check_listing(model: Model, listing: Listing) -> list[Finding]:
    """Every invariant of one list read against the model. A read that is not a well-formed list gives no finding
    here (LIST-RESPONSE-SHAPE judges that); one whose pages do not add up (or that stopped short) shows no verdict
    on which contacts are missing, only its own fault."""
    bodies = listing.bodies()
    if bodies is None:
        return []
    where = f"list_id={listing.list_id}" if listing.list_id else "the unfiltered list"
    last = listing.pages[-1]
    found: list[Finding] = []
    totals = [b["meta"]["total"] for b in bodies]
    items = [(item, exchange) for body, exchange in zip(bodies, listing.pages)
             for item in body["data"] if isinstance(item, dict)]
    ids = [as_key(item.get("id")) for item, _ in items]
    filtered = listing.list_id is not None
    expected = model.members(listing.list_id) if filtered else model.live()
    # The pages hold exactly the contacts the model expects, each once, every page with one total, yet that total
    # differs from how many the pages hold: one read contradicts itself, which neither lag nor other clients explain
    # (pages read under one total add up to it). The total is what is wrong, not the pages.
    exact = (listing.complete and len(set(totals)) == 1 and len(set(ids)) == len(ids)
             and all(len(b["data"]) <= listing.per_page for b in bodies))
    if filtered:
        exact = exact and model.exclusive and set(ids) == {c.id for c in expected}
    else:  # other clients' contacts are unknown: judged on a single page only, where no page boundary can hide one
        live_ids, gone_ids = {c.id for c in expected}, {c.id for c in model.contacts.values() if c.deleted}
        exact = exact and len(bodies) == 1 and live_ids <= set(ids) and not gone_ids & set(ids)
    if exact and totals[0] != len(ids):
        found.append(Finding("LIST-TOTAL-COUNTS-MATCHES", f"{where}: meta.total is {totals[0]}, but the "
                             f"{len(bodies)} page(s) of per_page={listing.per_page} read under that total hold "
                             f"{len(ids)} contacts, " + ("exactly the list's members" if filtered else
                                                         "every contact this run made and still holds")
                             + " and each once", last, settles=False))
        return found + _items(model, listing, items, where)
    partition = _partition(listing, bodies, totals, ids, where) if listing.complete else []
    if filtered:  # nobody else writes to the run's lists, so their pages must add up
        found += partition
    elif len(set(totals)) > 1:
        return []  # other clients changed the account mid-walk: membership of the unfiltered list is not judgeable
    elif len(set(ids)) != len(ids):  # under one total; a create and a delete of another client between two pages
        # could shift one, but not on every read again: a settling read judges it once more first
        repeated = sorted({i for i in ids if ids.count(i) > 1}, key=str)
        found.append(Finding("LIST-PAGES-PARTITION", f"{where} at per_page={listing.per_page} shows {repeated[:5]} "
                             f"on more than one page, every page under meta.total {totals[0]}", last))
    elif overcounted := _more_than_total(model, listing, bodies, ids, totals[0]):
        # pages read under one total hold each of more contacts than it counts, and pages before the last are full:
        # the total is what is wrong (a walk that trusts it stops short), not the pages
        found.append(Finding("LIST-TOTAL-COUNTS-MATCHES", f"{where}: meta.total is {totals[0]} on every page, but "
                             f"the {len(bodies)} page(s) of per_page={listing.per_page} read under it hold "
                             f"{overcounted} contacts, each once, every page before the last full", last,
                             settles=False))
        return found + _items(model, listing, items, where)
    elif listing.complete and len(ids) != totals[0]:  # each once, under one total: another client's create and
        # delete between two pages shift a contact but leave the count; pages short of their per_page do not
        short = [n for n, b in enumerate(bodies, 1) if n < len(bodies) and len(b["data"]) < listing.per_page]
        found.append(Finding("LIST-PAGES-PARTITION", f"{where}: {len(bodies)} page(s) of per_page={listing.per_page} "
                             f"hold {len(ids)} contacts, each once, every page under meta.total {totals[0]}"
                             + (f"; pages {short} hold fewer than per_page and are not the last" if short else ""),
                             last))
    found += _items(model, listing, items, where)
    for contact in expected if listing.complete and not partition else ():
        if contact.id not in ids:
            vanished = (listing.list_id, contact.id) in model.seen or (
                not filtered and any(seen_id == contact.id for _, seen_id in model.seen))
            requirement = "DELETE-ONLY-THE-GIVEN-ID" if vanished else "LIST-SHOWS-CREATED"
            why = "was listed before and only other ids were deleted since" if vanished else "was created with 201"
            found.append(Finding(requirement, f"{where} does not show {contact.id}, which {why}", last))
    if filtered:
        want = len(expected)
        if (model.exclusive and totals[0] != want) or totals[0] < want:
            found.append(Finding("LIST-TOTAL-COUNTS-MATCHES", f"{where}: meta.total is {totals[0]}, the list holds "
                                 f"{'' if model.exclusive else 'at least '}{want} of this run's contacts", last))
    return found


def total_undercounts(model: Model, listing: Listing) -> bool:
    """Whether a walk of the unfiltered list shows that its total counts fewer contacts than the account holds (as
    check_listing finds it): another walk of the same moment that stops where that total says may stop short."""
    bodies = listing.bodies()
    if listing.list_id is not None or bodies is None or len({b["meta"]["total"] for b in bodies}) > 1:
        return False
    ids = [as_key(item.get("id")) for body in bodies for item in body["data"] if isinstance(item, dict)]
    return len(set(ids)) == len(ids) and bool(_more_than_total(model, listing, bodies, ids, bodies[0]["meta"]["total"]))


def _more_than_total(model: Model, listing: Listing, bodies: list[dict], ids: list, total: int) -> int:
    """How many contacts a complete walk of the unfiltered list holds when that is more than its one total counts
    by more than one a page (each page's total and rows may be read a write apart), each once, every page before
    the last full and none of the run's deleted contacts among them; else 0."""
    gone = {c.id for c in model.contacts.values() if c.deleted}
    full = all(len(b["data"]) == listing.per_page for b in bodies[:-1]) and len(bodies[-1]["data"]) <= listing.per_page
    held = len(ids) if listing.complete and full and not gone & set(ids) else 0
    return held if held > total + len(bodies) else 0


def _items(model: Model, listing: Listing, items: list, where: str) -> list[Finding]:
    """What each listed item of the run shows: not deleted, in the list filtered on, as its create answered."""
    found = []
    filtered = listing.list_id is not None
    for item, exchange in items:
        contact = model.contacts.get(as_key(item.get("id")))
        if contact is None:
            if filtered and model.exclusive:
                found.append(Finding("LIST-FILTER-BY-LIST", f"{where} shows {item.get('id')}, which this run never "
                                     "put in that list", exchange))
            continue
        if contact.deleted:
            requirement = "DELETE-REMOVED-FROM-LISTS" if filtered else "DELETE-GONE-FROM-LIST"
            found.append(Finding(requirement, f"{where} still shows {contact.id}, deleted with 204", exchange))
            continue
        if filtered and listing.list_id not in contact.lists:
            found.append(Finding("LIST-FILTER-BY-LIST", f"{where} shows {contact.id}, whose lists are "
                                 f"{list(contact.lists)}", exchange))
        found += check_item(contact, item, exchange)
    return found


def check_account_total(model: Model, walks: list[Listing]) -> list[Finding]:
    """The unfiltered list walked at two page sizes, each walk under one total, both under the same one: when both
    show the same contacts, each once, every contact this run holds and none it deleted, those are the account's
    contacts (a page boundary that hid or repeated one would sit elsewhere at the other size), and meta.total must
    count exactly them. Single-page walks are judged in check_listing already."""
    seen = []
    for walk in walks:
        bodies = walk.bodies()
        if bodies is None or not walk.complete or len(bodies) < 2:
            return []
        ids = [as_key(item.get("id")) for body in bodies for item in body["data"] if isinstance(item, dict)]
        totals = {b["meta"]["total"] for b in bodies}
        if len(totals) > 1 or len(set(ids)) != len(ids):
            return []
        seen.append((totals.pop(), set(ids), walk))
    if len(seen) < 2 or len({total for total, _, _ in seen}) > 1 or any(ids != seen[0][1] for _, ids, _ in seen):
        return []
    total, ids, walk = seen[0]
    live, gone = {c.id for c in model.live()}, {c.id for c in model.contacts.values() if c.deleted}
    if total == len(ids) or not live <= ids or gone & ids:
        return []
    sizes = " and ".join(f"per_page={w.per_page} ({len(w.pages)} pages)" for _, _, w in seen)
    return [Finding("LIST-TOTAL-COUNTS-MATCHES", f"the unfiltered list: meta.total is {total} on every page, but "
                    f"walks at {sizes} both hold the same {len(ids)} contacts, each once (every contact this run "
                    "holds among them, none it deleted)", walk.pages[-1], settles=False)]


def check_page_meta(pages: list, where: str, rules: tuple[str, ...] = ("LIST-META-DESCRIBES-PAGE",)) -> list[Finding]:
    """Each page's meta names the page and the page size asked for, and (for the rules asked for too) the paging
    defaults and per_page's maximum hold (judgements.judge_list); the first page that breaks each rule is found. No
    wait mends it: it is one answer's own account of itself."""
    found: dict[str, Finding] = {}
    for exchange in pages:
        for judgement in judge_list(exchange):
            if judgement.requirement in rules and judgement.failed and judgement.requirement not in found:
                found[judgement.requirement] = Finding(judgement.requirement, f"{where}: {judgement.problem}",
                                                       exchange, settles=False)
    return list(found.values())


def may_be_lag(findings: list[Finding]) -> bool:
    return any(f.requirement in LAG_SENSITIVE and f.settles for f in findings)


def _partition(listing: Listing, bodies: list[dict], totals: list[int], ids: list, where: str) -> list[Finding]:
    found = []
    last = listing.pages[-1]
    if len(set(totals)) > 1:
        found.append(Finding("LIST-PAGES-PARTITION", f"{where}: meta.total changed from page to page ({totals}) "
                             "though nothing was written in between", last))
    repeated = sorted({i for i in ids if ids.count(i) > 1}, key=str)
    if repeated:
        found.append(Finding("LIST-PAGES-PARTITION", f"{where} at per_page={listing.per_page} shows {repeated} on "
                             "more than one page", last))
    oversized = [n for n, b in enumerate(bodies, 1) if len(b["data"]) > listing.per_page]
    if oversized or len(ids) != totals[0]:
        found.append(Finding("LIST-PAGES-PARTITION", f"{where}: {len(bodies)} pages of per_page={listing.per_page} "
                             f"hold {len(ids)} contacts, meta.total is {totals[0]}"
                             + (f"; pages {oversized} hold more than per_page" if oversized else ""), last))
    beyond = listing.past_end
    if beyond is not None and beyond.status == 200:
        data = (beyond.json_or_none() or {}).get("data")
        if data:
            found.append(Finding("LIST-PAGE-PAST-END-EMPTY", f"{where}: page {len(bodies) + 1} is past the end of "
                                 f"{totals[0]} contacts and shows {len(data)}", beyond))
    return found


def note_seen(model: Model, listing: Listing) -> None:
    bodies = listing.bodies() or []
    for body in bodies:
        for item in body["data"]:
            if isinstance(item, dict) and as_key(item.get("id")) in model.contacts:
                model.seen.add((listing.list_id, item["id"]))
