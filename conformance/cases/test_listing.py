"""GET /contacts: response shape, paging defaults and bounds, meta, totals, the page partition and list filters.

Checks that count contacts run on the run's own list, so contacts already on the account don't matter."""
from __future__ import annotations

import math

import pytest

from conformance.paging import walk
from conformance.results import expect

pytestmark = [pytest.mark.listing]
WALK_PER_PAGE = 3


@pytest.fixture(scope="module")
def members(new_contact, run_config, client, lists_accepted):
    """The run's list: contacts created one after another (oldest first), all with email; plus one outsider."""
    if not lists_accepted:
        pytest.skip(f"not checked: the target would not add a contact to list {run_config.run_list('probe')}; "
                    "pass --list-ids with a list of the account")
    created = []
    for i in range(run_config.profile.walk_contacts):
        contact = new_contact(f"Member {i}", email=f"member{i}@example.com", lists=[run_config.run_list("walk")])
        if contact.exchange.status != 201:
            pytest.skip(f"not checked: the target would not create a contact in list {run_config.run_list('walk')} "
                        f"({contact.exchange.status}); pass --list-ids with a list of the account")
        created.append(contact)
    new_contact("Outsider", email="outsider@example.com")
    return created


@pytest.fixture(scope="module")
def exclusive(run_config) -> bool:
    """True when the run's list holds only the run's contacts (no --list-ids given)."""
    return not run_config.list_ids


def page_of(client, **params):
    exchange = client.list(**params)
    body = exchange.json_or_none()
    expect(exchange.status == 200, f"GET /contacts {params} answered {exchange.status}: {exchange.text[:200]}", exchange)
    expect(isinstance(body, dict) and isinstance(body.get("data"), list) and isinstance(body.get("meta"), dict),
           f"GET /contacts {params}: no data array and meta object in {exchange.text[:200]!r}", exchange,
           requirement="LIST-RESPONSE-SHAPE")
    return exchange, body["data"], body["meta"]


@pytest.mark.requirement("LIST-RESPONSE-SHAPE")
def test_list_has_data_and_meta(client, members, run_config):
    for params in ({"per_page": 1}, {"list_id": run_config.run_list("walk"), "per_page": WALK_PER_PAGE}):
        exchange, data, meta = page_of(client, **params)
        for name in ("total", "page", "per_page"):
            expect(isinstance(meta.get(name), int) and not isinstance(meta.get(name), bool),
                   f"meta.{name} is not an integer: {meta!r}", exchange)


@pytest.mark.requirement("LIST-DEFAULT-PAGING")
def test_defaults_are_page_1_per_page_50(client, members, run_config):
    for params in ({}, {"list_id": run_config.run_list("walk")}):
        exchange, data, meta = page_of(client, **params)
        expect(meta.get("page") == 1 and meta.get("per_page") == 50,
               f"without page/per_page, meta says page {meta.get('page')}, per_page {meta.get('per_page')} "
               f"(documented defaults: 1 and 50)", exchange)
        expect(len(data) <= 50, f"the default page holds {len(data)} contacts (more than 50)", exchange)


@pytest.mark.requirement("LIST-PER-PAGE-MAX-100")
@pytest.mark.parametrize("asked", [101, 1000])
def test_per_page_never_exceeds_100(client, run_config, observe, asked):
    exchange = client.list(per_page=asked)
    if exchange.status in (400, 422):
        observe(f"per_page={asked} rejected with {exchange.status}")
        return
    body = exchange.json_or_none()
    expect(exchange.status == 200 and isinstance(body, dict), f"per_page={asked} answered {exchange.status}", exchange)
    meta, data = body.get("meta") or {}, body.get("data") or []
    expect(isinstance(meta.get("per_page"), int) and meta["per_page"] <= 100 and len(data) <= 100,
           f"per_page={asked} honoured: meta.per_page {meta.get('per_page')}, {len(data)} contacts (max 100)", exchange)
    observe(f"per_page={asked} clamped to {meta.get('per_page')}")


@pytest.mark.requirement("LIST-META-DESCRIBES-PAGE")
def test_meta_describes_returned_page(client, members, run_config):
    pages = math.ceil(len(members) / WALK_PER_PAGE)
    for page in range(1, pages + 1):
        exchange, data, meta = page_of(client, list_id=run_config.run_list("walk"), page=page, per_page=WALK_PER_PAGE)
        expect(meta.get("page") == page and meta.get("per_page") == WALK_PER_PAGE,
               f"asked for page {page} of {WALK_PER_PAGE}, meta says page {meta.get('page')} "
               f"of {meta.get('per_page')}", exchange)
        expect(len(data) <= WALK_PER_PAGE, f"page {page} holds {len(data)} contacts, per_page is {WALK_PER_PAGE}",
               exchange)


@pytest.mark.requirement("LIST-TOTAL-COUNTS-MATCHES")
def test_total_counts_matching_contacts(client, members, run_config, exclusive):
    exchange, data, meta = page_of(client, list_id=run_config.run_list("walk"), per_page=WALK_PER_PAGE)
    total = meta.get("total")
    if exclusive:
        expect(total == len(members), f"the run's list holds {len(members)} contacts, meta.total says {total}",
               exchange)
    else:
        expect(isinstance(total, int) and total >= len(members),
               f"list {run_config.run_list('walk')} holds at least the run's {len(members)} contacts, meta.total says "
               f"{total}", exchange)


@pytest.mark.requirement("LIST-PAGES-PARTITION")
def test_pages_partition_the_matching_contacts(client, members, run_config, exclusive):
    result = walk(client, list_id=run_config.run_list("walk"), per_page=WALK_PER_PAGE, max_pages=40)
    if result.inconclusive:
        pytest.skip(f"inconclusive: {result.inconclusive}")
    duplicates = sorted({i for i in result.ids if result.ids.count(i) > 1})
    expect(not duplicates, f"walking {result.pages} pages of {WALK_PER_PAGE} returned {duplicates} more than once",
           result.last)
    expected = {m.id for m in members}
    missing = expected - set(result.ids)
    expect(not missing, f"walking {result.pages} pages of {WALK_PER_PAGE} never returned {sorted(missing)}",
           result.last)
    expect(len(result.ids) == result.totals[0], f"the walk returned {len(result.ids)} contacts, meta.total "
                                                f"is {result.totals[0]}", result.last)
    if exclusive:
        expect(set(result.ids) == expected, f"the walk returned contacts outside the list: "
                                            f"{sorted(set(result.ids) - expected)}", result.last)


@pytest.mark.requirement("LIST-PAGE-PAST-END-EMPTY")
def test_page_past_end_is_empty(client, members, run_config):
    exchange, data, meta = page_of(client, list_id=run_config.run_list("walk"), per_page=WALK_PER_PAGE)
    past = math.ceil(meta.get("total", len(members)) / WALK_PER_PAGE) + 1
    beyond = client.list(list_id=run_config.run_list("walk"), page=past, per_page=WALK_PER_PAGE)
    if beyond.status in (400, 404, 422):  # the docs are silent on a page past the end: an error is fine too
        return
    body = beyond.json_or_none()
    expect(beyond.status == 200 and isinstance(body, dict) and body.get("data") == [],
           f"page {past} is past the end of {meta.get('total')} contacts and should be empty, got {beyond.status} "
           f"with {len((body or {}).get('data') or [])} contacts", beyond)


@pytest.mark.requirement("LIST-FILTER-BY-LIST")
def test_list_filter_returns_exactly_members(client, members, run_config, exclusive):
    exchange, data, meta = page_of(client, list_id=run_config.run_list("walk"), per_page=100)
    ids = {item.get("id") for item in data if isinstance(item, dict)}
    expected = {m.id for m in members}
    expect(expected <= ids or meta.get("total", 0) > 100,
           f"list_id={run_config.run_list('walk')} left out members {sorted(expected - ids)}", exchange)
    if exclusive:
        expect(ids == expected and meta.get("total") == len(expected),
               f"list_id={run_config.run_list('walk')} returned {len(ids)} contacts (total {meta.get('total')}), the list "
               f"holds {len(expected)}; not members: {sorted(ids - expected)[:5]}", exchange)


@pytest.mark.requirement("LIST-ITEM-FIELDS")
def test_list_items_carry_documented_fields(client, members, run_config):
    exchange, data, meta = page_of(client, list_id=run_config.run_list("walk"), per_page=100)
    sent = {m.id: m.body for m in members}
    for item in data:
        expect(isinstance(item, dict), f"a list item is not an object: {item!r}", exchange)
        missing = [f for f in ("id", "name", "phone", "created_at") if f not in item]
        expect(not missing, f"list item {item.get('id')} lacks {missing}", exchange)
        if item["id"] in sent:
            expect(item.get("email") == sent[item["id"]]["email"],
                   f"list item {item['id']} has email {item.get('email')!r}, it was set to "
                   f"{sent[item['id']]['email']!r}", exchange)


@pytest.mark.requirement("LIST-OUT-OF-RANGE-PAGING")
@pytest.mark.parametrize("params", [{"page": 0}, {"page": -1}, {"per_page": 0}], ids=["page0", "page-1", "per_page0"])
def test_page_zero_is_rejected_or_clamped(client, params):
    exchange = client.list(**params)
    if exchange.status in (400, 422):
        return
    body = exchange.json_or_none()
    meta = body.get("meta") if isinstance(body, dict) else None
    expect(exchange.status == 200 and isinstance(meta, dict) and meta.get("page", 0) >= 1 and
           meta.get("per_page", 0) >= 1, f"{params} answered {exchange.status} with meta {meta!r}", exchange)


@pytest.mark.requirement("OBSERVE-LIST-ORDER")
def test_list_order_is_observed(client, members, run_config, observe):
    exchange, data, meta = page_of(client, list_id=run_config.run_list("walk"), per_page=100)
    created = [m.id for m in members]
    seen = [item.get("id") for item in data if item.get("id") in set(created)]
    order = "newest first" if seen == created[::-1] else "oldest first" if seen == created else "another order"
    observe(f"contacts are listed {order}")
