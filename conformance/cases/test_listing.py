"""GET /contacts: response shape, paging defaults and bounds, meta, totals, the page partition and list filters.

Checks that count contacts run on the run's own list, so contacts already on the account don't matter."""
from __future__ import annotations

import math

import pytest

from conformance import grid, judgements
from conformance.cases.fixtures import fixture
from conformance.paging import as_key, walk
from conformance.results import expect
from conformance.settling import settled

pytestmark = [pytest.mark.listing]
WALK_PER_PAGE = 3
UNKNOWN_LIST_STATUSES = (400, 404, 422)  # the docs are silent on a filter naming a list the account does not have


@fixture(scope="module")
def created_members(new_contact, run_config, lists_accepted):
    """The run's list: every member but the last created side by side, then the last (so the listed order can be
    observed), all with email; plus one outsider in a list whose id starts like the run's (a prefix match is no
    match)."""
    if not lists_accepted:
        return []
    walk_list = run_config.run_list("walk")
    bodies = [new_contact.body(f"Member {i}", email=f"member{i}@example.com", lists=[walk_list])
              for i in range(run_config.profile.walk_contacts)]
    outsider = new_contact.body("Outsider", email="outsider@example.com",
                                **({} if run_config.list_ids else {"lists": [f"{walk_list}_x"]}))
    created = new_contact.create_all(bodies[:-1] + [outsider])[:-1]
    return created + new_contact.create_all(bodies[-1:])


@fixture
def members(created_members, need_lists, needs, run_config):
    needs(created_members, f"the members of list {run_config.run_list('walk')}")
    return created_members


@fixture(scope="module")
def exclusive(run_config) -> bool:
    """True when the run's list holds only the run's contacts (no --list-ids given)."""
    return not run_config.list_ids


def shows_members(members, exclusive):
    """Whether a page (per_page 100) shows every member and, on the run's own list, nothing else."""
    expected = {m.id for m in members}

    def agrees(exchange) -> bool:
        body = exchange.json_or_none()
        if not (isinstance(body, dict) and isinstance(body.get("data"), list)):
            return True  # nothing to wait for: the shape is judged as it is
        ids = {as_key(item.get("id")) for item in body["data"] if isinstance(item, dict)}
        return expected <= ids and (not exclusive or ids == expected)
    return agrees


@fixture
def full_page(client, members, run_config, exclusive):
    """The run's list in one page of 100, read again (bounded) while it does not yet show what the run created: the
    docs promise no read-after-write."""
    params = {"list_id": run_config.run_list("walk"), "per_page": 100}
    exchange = settled(lambda: client.list(**params), shows_members(members, exclusive), client.config.settle,
                       client.ledger.settle_waits)
    expect(exchange.status not in (400, 422), f"GET /contacts {params}: per_page 100, the documented maximum, was "
                                              f"refused ({exchange.status}): {exchange.text[:200]}", exchange,
           requirement="LIST-PER-PAGE-MAX-100")
    return page_of(client, exchange=exchange, **params)


def page_of(client, exchange=None, **params):
    exchange = exchange or client.list(**params)
    expect(exchange.status == 200, f"GET /contacts {params} answered {exchange.status}: {exchange.text[:200]}", exchange)
    page = judgements.page_of(exchange)
    expect(page is not None, f"GET /contacts {params}: no data array and meta object in {exchange.text[:200]!r}",
           exchange, requirement="LIST-RESPONSE-SHAPE")
    return exchange, *page


def pages_of(client, plan: list[dict]) -> list[tuple]:
    """GET /contacts with each set of params, side by side; (exchange, data, meta) in the order given."""
    exchanges = client.gather([lambda params=params: client.list(**params) for params in plan])
    return [page_of(client, exchange=exchange, **params) for params, exchange in zip(plan, exchanges)]


def empty_list_id(run_config) -> str:
    """A list id of this run that no contact joins (with --list-ids too): a filter on it matches nothing."""
    return f"lst_zxconf_{run_config.run_tag}_empty"


@pytest.mark.requirement("LIST-RESPONSE-SHAPE")
def test_list_has_data_and_meta(client, members, run_config, observe):
    """A page of all contacts, a page of the run's list, and a query that matches nothing: each has data and meta.
    The docs are silent on filtering by a list that has no contacts: a 400/404/422 there is observed."""
    plan = [{"per_page": 1}, {"list_id": run_config.run_list("walk"), "per_page": WALK_PER_PAGE}]
    empty = {"list_id": empty_list_id(run_config)}
    *exchanges, nothing = client.gather([lambda params=params: client.list(**params) for params in [*plan, empty]])
    if nothing.status in UNKNOWN_LIST_STATUSES:
        observe(f"a filter on a list with no contacts answered {nothing.status}")
    else:
        plan, exchanges = [*plan, empty], [*exchanges, nothing]
    for exchange, data, meta in (page_of(client, exchange=exchange, **params)
                                 for params, exchange in zip(plan, exchanges)):
        for name in ("total", "page", "per_page"):
            expect(isinstance(meta.get(name), int) and not isinstance(meta.get(name), bool),
                   f"meta.{name} is not an integer: {meta!r}", exchange)


@pytest.mark.requirement("LIST-RESPONSE-SHAPE")
def test_any_accept_header_json_satisfies_gets_a_page(client):
    """P: the API always answers with JSON. A client that accepts JSON in any of the usual ways (grid.JSON_ACCEPTS:
    what curl and requests send, the exact type, with a parameter, a range) gets its page of contacts."""
    answers = client.gather([lambda a=accept: client.call("GET", "/contacts", params={"per_page": 1},
                                                          headers={"Accept": a}) for accept in grid.JSON_ACCEPTS])
    for accept, exchange in zip(grid.JSON_ACCEPTS, answers):
        expect(judgements.page_of(exchange) is not None, f"GET /contacts with Accept: {accept} answered "
               f"{exchange.status}: {exchange.text[:200]}", exchange)


@pytest.mark.requirement("LIST-DEFAULT-PAGING")
def test_defaults_are_page_1_per_page_50(client, members, run_config):
    for exchange, data, meta in pages_of(client, [{}, {"list_id": run_config.run_list("walk")}]):
        expect(meta.get("page") == 1 and meta.get("per_page") == 50,
               f"without page/per_page, meta says page {meta.get('page')}, per_page {meta.get('per_page')} "
               f"(documented defaults: 1 and 50)", exchange)
        expect(len(data) <= 50, f"the default page holds {len(data)} contacts (more than 50)", exchange)


@pytest.mark.requirement("LIST-PER-PAGE-MAX-100", "ERROR-CODE-MATCHES-STATUS")
def test_per_page_never_exceeds_100(client, run_config, observe):
    """per_page 100, the documented maximum, is honoured; above it, with or without a list filter, a page is clamped
    or the request refused (400/422), never honoured. A page of 7 tells whether meta.per_page can be believed at all
    (when it cannot, that is LIST-META-DESCRIBES-PAGE's finding); a page without data and meta is
    LIST-RESPONSE-SHAPE's. This case does not know whether the target took the run's list: a filter on it answered
    400/404/422 (a list that does not exist there) is observed. C's "max: 100" bounds every page, so it holds for
    the ways a size over it reaches a target past its check (grid.PAGE_SIZES_PAST_THE_CHECK): per_page given twice,
    in either order; 1e3, which parseInt reads as 1 and Number as 1000; a limit parameter in place of per_page (the
    docs name none: ignored, refused with 400/422, or read as a size of at most 100)."""
    walk_list = run_config.run_list("walk")
    plan = [{"per_page": 7}, {"per_page": 100}, {"per_page": 100, "list_id": walk_list}, {"per_page": 101},
            {"per_page": 1000}, {"per_page": 100_000}, {"per_page": 101, "list_id": walk_list},
            {"per_page": 1000, "list_id": walk_list}, *grid.PAGE_SIZES_PAST_THE_CHECK]
    answers = client.gather([lambda p=p: client.list(**p) for p in plan])
    meta_believed = answers[0].status == 200 and (judgements.meta_of(answers[0]) or {}).get("per_page") == 7
    for params, exchange in zip(plan[1:], answers[1:]):
        asked = " and ".join(f"{k}={v}" for k, given in params.items()
                             for v in (given if isinstance(given, list) else [given]))
        if grid.page_size_over_max(params) and exchange.status in (400, 422):
            observe(f"{asked} rejected with {exchange.status}")
            problem = judgements.error_code_problem(exchange)
            expect(not problem, f"{asked}: {problem}", exchange, requirement="ERROR-CODE-MATCHES-STATUS")
            continue
        if "list_id" in params and exchange.status in UNKNOWN_LIST_STATUSES:
            observe(f"{asked} answered {exchange.status}: the target may not know the run's list")
            continue
        expect(exchange.status == 200, f"{asked} answered {exchange.status}: {exchange.text[:200]}", exchange,
               requirement="LIST-PER-PAGE-MAX-100")
        page = judgements.page_of(exchange)
        expect(page is not None, f"{asked}: no data array and meta object in {exchange.text[:200]!r}", exchange,
               requirement="LIST-RESPONSE-SHAPE")
        data, meta = page
        if params.get("per_page") == 100:
            expect(meta.get("per_page") == 100 or not meta_believed,
                   f"{asked} (the documented maximum) answered meta.per_page {meta.get('per_page')}", exchange,
                   requirement="LIST-PER-PAGE-MAX-100")
            expect(meta.get("per_page") == 100, f"{asked}: meta.per_page is {meta.get('per_page')}, and per_page=7 "
                                                f"was not described either", exchange,
                   requirement="LIST-META-DESCRIBES-PAGE")
            continue
        expect(isinstance(meta.get("per_page"), int) and meta["per_page"] <= 100 and len(data) <= 100,
               f"{asked} honoured: meta.per_page {meta.get('per_page')}, {len(data)} contacts (max 100)", exchange,
               requirement="LIST-PER-PAGE-MAX-100")
        observe(f"{asked} clamped to {meta.get('per_page')}")


@pytest.mark.requirement("LIST-META-DESCRIBES-PAGE")
def test_meta_describes_returned_page(client, members, run_config):
    pages = range(1, math.ceil(len(members) / WALK_PER_PAGE) + 1)
    plan = [{"list_id": run_config.run_list("walk"), "page": page, "per_page": WALK_PER_PAGE} for page in pages]
    for page, (exchange, data, meta) in zip(pages, pages_of(client, plan)):
        expect(meta.get("page") == page and meta.get("per_page") == WALK_PER_PAGE,
               f"asked for page {page} of {WALK_PER_PAGE}, meta says page {meta.get('page')} "
               f"of {meta.get('per_page')}", exchange)
        expect(len(data) <= WALK_PER_PAGE, f"page {page} holds {len(data)} contacts, per_page is {WALK_PER_PAGE}",
               exchange)


@pytest.mark.requirement("LIST-TOTAL-COUNTS-MATCHES")
def test_total_counts_matching_contacts(client, members, run_config, exclusive):
    params = {"list_id": run_config.run_list("walk"), "per_page": WALK_PER_PAGE}

    def counts_members(exchange) -> bool:
        total = (judgements.meta_of(exchange) or {}).get("total")
        return isinstance(total, int) and (total == len(members) if exclusive else total >= len(members))
    read = settled(lambda: client.list(**params), counts_members, client.config.settle, client.ledger.settle_waits)
    exchange, data, meta = page_of(client, exchange=read, **params)
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
    expected = {m.id for m in members}
    result = settled(lambda: walk(client, list_id=run_config.run_list("walk"), per_page=WALK_PER_PAGE, max_pages=40),
                     lambda done: bool(done.inconclusive) or expected <= set(done.ids), client.config.settle,
                     client.ledger.settle_waits)
    if result.inconclusive:
        pytest.skip(f"inconclusive: {result.inconclusive}")
    duplicates = sorted({i for i in result.ids if result.ids.count(i) > 1})
    expect(not duplicates, f"walking {result.pages} pages of {WALK_PER_PAGE} returned {duplicates} more than once",
           result.last)
    missing = expected - set(result.ids)
    expect(not missing, f"walking {result.pages} pages of {WALK_PER_PAGE} never returned {sorted(missing)}",
           result.last)
    expect(len(result.ids) == result.totals[0], f"the walk returned {len(result.ids)} contacts, meta.total "
                                                f"is {result.totals[0]}", result.last)
    if exclusive:
        expect(set(result.ids) == expected, f"the walk returned contacts outside the list: "
                                            f"{sorted(set(result.ids) - expected)}", result.last)


@pytest.mark.requirement("LIST-PAGE-PAST-END-EMPTY", "LIST-TOTAL-COUNTS-MATCHES")
def test_page_past_end_is_empty(client, members, run_config, exclusive):
    """The page after the last one the total gives is empty, and its meta.total still counts every member (the query
    matches them all, whichever page is asked). The total is read (again, bounded) until it counts every member: a
    list that shows creates late would otherwise put the end too early, or show the page past it without them."""
    params = {"list_id": run_config.run_list("walk"), "per_page": WALK_PER_PAGE}

    def counts_members(exchange) -> bool:
        meta = judgements.meta_of(exchange)
        return meta is None or not isinstance(meta.get("total"), int) or meta["total"] >= len(members)
    read = settled(lambda: client.list(**params), counts_members, client.config.settle, client.ledger.settle_waits)
    exchange, data, meta = page_of(client, exchange=read, **params)
    total = meta.get("total")
    if not isinstance(total, int) or isinstance(total, bool):  # LIST-RESPONSE-SHAPE's finding, judged there
        total = len(members)
    past = math.ceil(total / WALK_PER_PAGE) + 1
    beyond = settled(lambda: client.list(**params, page=past), counts_members, client.config.settle,
                     client.ledger.settle_waits)
    if beyond.status in (400, 404, 422):  # the docs are silent on a page past the end: an error is fine too
        return
    body = beyond.json_or_none()
    expect(beyond.status == 200 and isinstance(body, dict) and body.get("data") == [],
           f"page {past} is past the end of {meta.get('total')} contacts and should be empty, got {beyond.status} "
           f"with {len((body or {}).get('data') or [])} contacts", beyond, requirement="LIST-PAGE-PAST-END-EMPTY")
    counted = (judgements.meta_of(beyond) or {}).get("total")
    holds = f"{'' if exclusive else 'at least '}{len(members)}"
    expect(counted == len(members) if exclusive else isinstance(counted, int) and counted >= len(members),
           f"page {past}, past the end of list {params['list_id']}, says meta.total {counted!r}: the list holds "
           f"{holds} contacts", beyond, requirement="LIST-TOTAL-COUNTS-MATCHES")


# Page numbers past what a 32-bit or a 64-bit column holds, alone and as an offset (page × per_page): integers the
# docs bound nowhere, sent on every run (generated ones reach them only on some seeds).
HUGE_PAGES = ({"page": 2**31}, {"page": 2**31 // 100 + 2, "per_page": 100}, {"page": 2**32 + 1}, {"page": 2**63})


@fixture(scope="module")
def huge_pages(client) -> list:
    """(params, answer) of each of HUGE_PAGES, read once for the two cases that judge them."""
    return list(zip(HUGE_PAGES, client.gather([lambda p=p: client.list(**p) for p in HUGE_PAGES])))


@pytest.mark.requirement("SPEC-NO-SERVER-ERROR")
def test_huge_page_numbers_never_answer_5xx(huge_pages):
    """An empty page, or a 400/404/422 for a number the target will not take, is a right answer; a 5xx is not (what
    a page past the end holds is LIST-PAGE-PAST-END-EMPTY's rule)."""
    for params, answer in huge_pages:
        expect(answer.status is not None and answer.status < 500,
               f"GET /contacts with {params} answered {answer.status or answer.error}", answer)


@pytest.mark.requirement("LIST-PAGE-PAST-END-EMPTY")
def test_pages_far_past_the_end_are_empty(huge_pages):
    """The same page numbers: far past the end of any account, so a page the target answers holds no contact (a
    number cut to 32 bits on its way to the offset reads an early page)."""
    for params, answer in huge_pages:
        data = judgements.items_of(answer) if answer.status == 200 else None
        expect(not data, f"GET /contacts with {params}, far past the end of any account, answered {len(data or [])} "
                         "contacts", answer)


@pytest.mark.requirement("LIST-FILTER-BY-LIST")
def test_list_filter_returns_exactly_members(full_page, members, run_config, exclusive):
    exchange, data, meta = full_page
    ids = {as_key(item.get("id")) for item in data if isinstance(item, dict)}
    expected = {m.id for m in members}
    expect(expected <= ids or meta.get("total", 0) > 100,
           f"list_id={run_config.run_list('walk')} left out members {sorted(expected - ids)}", exchange)
    if exclusive:
        expect(ids == expected and meta.get("total") == len(expected),
               f"list_id={run_config.run_list('walk')} returned {len(ids)} contacts (total {meta.get('total')}), the list "
               f"holds {len(expected)}; not members: {sorted(ids - expected)[:5]}", exchange)


@pytest.mark.requirement("LIST-ITEM-FIELDS")
def test_list_items_carry_documented_fields(full_page, members):
    exchange, data, meta = full_page
    sent = {m.id: m.body for m in members}
    for item in data:
        expect(isinstance(item, dict), f"a list item is not an object: {item!r}", exchange)
        missing = [f for f in ("id", "name", "phone", "created_at") if f not in item]
        expect(not missing, f"list item {item.get('id')} lacks {missing}", exchange)
        if as_key(item["id"]) in sent:
            expect(item.get("email") == sent[item["id"]]["email"],
                   f"list item {item['id']} has email {item.get('email')!r}, it was set to "
                   f"{sent[item['id']]['email']!r}", exchange)


@pytest.mark.requirement("LIST-OUT-OF-RANGE-PAGING", "LIST-META-DESCRIBES-PAGE", "SPEC-NO-SERVER-ERROR")
def test_page_zero_is_rejected_or_clamped(client, new_contact, run_config):
    """Out-of-range page and per_page values, and every spelling of a number in grid.PAGING_CLASSES, are refused
    (400/422) or answered with a page that exists (a SHOULD: the docs are silent), never with a 5xx. Whatever a 200
    says, its page holds no more contacts than its own meta.per_page (a MUST: per_page is the number of results per
    page), and a per_page written in decimal digits, a leading zero too, is that number; a contact of the run is made
    first, so the account is never empty here."""
    if run_config.allow_writes:
        new_contact("Out Of Range Paging")
    plan = [{"page": 0}, {"page": -1}, {"per_page": 0}, {"per_page": -5}, {"page": "abc"}, {"per_page": "2.5"},
            *grid.PAGING_CLASSES.values()]
    answers = client.gather([lambda p=p: client.list(**p) for p in plan])
    for params, exchange in zip(plan, answers):
        expect(exchange.status is not None and exchange.status < 500,
               f"GET /contacts with {params} answered {exchange.status or exchange.error}: {exchange.text[:200]}",
               exchange, requirement="SPEC-NO-SERVER-ERROR")
    for params, exchange in zip(plan, answers):
        page = judgements.page_of(exchange)
        if page is not None:
            data, meta = page
            expect(isinstance(meta.get("per_page"), int) and len(data) <= meta["per_page"],
                   f"{params} answered a page of {len(data)} contacts whose meta.per_page is "
                   f"{meta.get('per_page')!r}", exchange, requirement="LIST-META-DESCRIBES-PAGE")
    for params, exchange in zip(plan, answers):
        asked, page = params.get("per_page"), judgements.page_of(exchange)
        if page is not None and isinstance(asked, str) and asked.isascii() and asked.isdigit() \
                and 1 <= int(asked) <= 100:
            expect(page[1].get("per_page") == int(asked), f"per_page={asked}, the decimal number {int(asked)}, "
                   f"answered pages of {page[1].get('per_page')!r}", exchange, requirement="LIST-META-DESCRIBES-PAGE")
    for params, exchange in zip(plan, answers):
        if exchange.status in (400, 422):
            continue
        body = exchange.json_or_none()
        meta = body.get("meta") if isinstance(body, dict) else None
        expect(exchange.status == 200 and isinstance(meta, dict) and isinstance(meta.get("page"), int)
               and meta["page"] >= 1 and isinstance(meta.get("per_page"), int) and meta["per_page"] >= 1,
               f"{params} answered {exchange.status} with meta {meta!r}", exchange,
               requirement="LIST-OUT-OF-RANGE-PAGING")


@pytest.mark.requirement("OBSERVE-LIST-ORDER")
def test_list_order_is_observed(full_page, members, observe):
    exchange, data, meta = full_page
    last, earlier = members[-1].id, {m.id for m in members[:-1]}
    listed = [as_key(item.get("id")) for item in data if isinstance(item, dict)]
    seen = [contact_id for contact_id in listed if contact_id == last or contact_id in earlier]
    if last not in seen or len(seen) < 2:
        return
    order = "newest first" if seen[0] == last else "oldest first" if seen[-1] == last else "another order"
    observe(f"contacts are listed {order}")
