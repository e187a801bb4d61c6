"""The model's invariants on hand-made answers, and the model-based test end to end against the reference server:
a lagging (legal) server passes clean with nothing leaked, and faults of exact ids and list echo are caught."""
from __future__ import annotations

import base64
import json

import pytest

from conformance.exchange import Exchange
from conformance.judgements import parse_instant
from conformance.model import (Contact, Listing, Model, check_account_total, check_create_answer, check_created_at,
                               check_listing, check_page_meta, may_be_lag, note_seen, stated_per_page)
from tests.conftest import run_cli

M1, M10 = "lst_zxconf_t_m1", "lst_zxconf_t_m10"


def answer(status: int, body: object, **headers: str) -> Exchange:
    return Exchange("GET", "http://t/v1/contacts", {}, None, status=status, headers=headers,
                    text=json.dumps(body))


def contact(cid: str, lists: tuple[str, ...] = (), email: str | None = "a@b.ao") -> Contact:
    answered = {"id": cid, "name": f"N {cid}", "phone": "+244912345678", "created_at": "2026-06-24T10:00:00Z",
                **({"email": email} if email else {})}
    return Contact(sent={k: v for k, v in answered.items() if k != "id"}, answer=answered, lists=lists)


def page(items: list[dict], total: int, per_page: int = 10, page_no: int = 1) -> Exchange:
    return answer(200, {"data": items, "meta": {"total": total, "page": page_no, "per_page": per_page}})


def requirements(findings) -> set[str]:
    return {f.requirement for f in findings}


def test_create_answer_must_echo_the_name_exactly():
    sent = {"name": "Ana " * 100, "phone": "+244912345678", "lists": [M1, M10]}
    cut = answer(201, {**sent, "name": sent["name"][:255], "id": "cnt_1"})
    assert requirements(check_create_answer(sent, cut)) == {"CREATE-NAME-AS-PROVIDED"}
    assert not check_create_answer(sent, answer(201, {**sent, "lists": [M10, M1], "id": "cnt_1"}))


def test_created_at_is_judged_against_the_date_header_then_our_clock():
    made = parse_instant("2026-06-24T10:00:00Z")
    near = answer(201, {"created_at": "2026-06-24T10:00:04Z"}, date="Wed, 24 Jun 2026 10:00:00 GMT")
    behind = answer(201, {"created_at": "2026-06-24T09:59:50Z"}, date="Wed, 24 Jun 2026 10:00:00 GMT")
    undated = answer(201, {"created_at": "2026-06-24T09:50:00Z"})
    assert not check_created_at(near, made)
    assert requirements(check_created_at(behind, made)) == {"CREATE-CREATED-AT-MATCHES-DATE"}
    assert requirements(check_created_at(undated, made)) == {"CREATE-CREATED-AT-RECENT"}


def test_a_slow_answer_with_a_lagging_date_stands_by_our_own_clock():
    """A busy target took 8 s to answer and sent a cached Date 9 s old: created_at lies between when our clock sent
    the request and when it read the answer, so it stands. One 30 s past the answer's receipt and its Date does
    not, nor one a minute before the request was sent."""
    read_at = parse_instant("2026-06-24T10:00:10Z")
    slow = answer(201, {"created_at": "2026-06-24T10:00:03Z"}, date="Wed, 24 Jun 2026 09:59:52 GMT")
    slow.answered_at, slow.elapsed = 100.0, 8.0
    assert not check_created_at(slow, read_at)
    ahead = answer(201, {"created_at": "2026-06-24T10:00:40Z"}, date="Wed, 24 Jun 2026 10:00:10 GMT")
    ahead.answered_at, ahead.elapsed = 100.0, 8.0
    assert requirements(check_created_at(ahead, read_at)) == {"CREATE-CREATED-AT-MATCHES-DATE"}
    early = answer(201, {"created_at": "2026-06-24T09:59:00Z"}, date="Wed, 24 Jun 2026 10:00:10 GMT")
    early.answered_at, early.elapsed = 100.0, 8.0
    assert requirements(check_created_at(early, read_at)) == {"CREATE-CREATED-AT-MATCHES-DATE"}


def test_a_created_at_ahead_of_a_lagging_date_stands_when_the_next_answer_dates_it():
    """A busy uvicorn sent Date 10:00:00 with created_at 10:00:09 (its cached Date lagged); the next answer, sent
    after that one was read, said 10:00:10. A created_at 30 s ahead of both is still a finding. Our clock is an
    hour off the target's here, so only the Dates can vouch for it."""
    made = parse_instant("2026-06-24T11:00:09Z")
    create = answer(201, {"created_at": "2026-06-24T10:00:09Z"}, date="Wed, 24 Jun 2026 10:00:00 GMT")
    create.answered_at, create.elapsed = 100.0, 0.03
    before = answer(200, {}, date="Wed, 24 Jun 2026 10:00:00 GMT")
    before.answered_at, before.elapsed = 100.02, 0.05  # sent before the create was answered: no evidence
    nxt = answer(200, {}, date="Wed, 24 Jun 2026 10:00:10 GMT")
    nxt.answered_at, nxt.elapsed = 100.5, 0.02
    assert requirements(check_created_at(create, made)) == {"CREATE-CREATED-AT-MATCHES-DATE"}
    assert requirements(check_created_at(create, made, [before])) == {"CREATE-CREATED-AT-MATCHES-DATE"}
    assert not check_created_at(create, made, [before, nxt])
    ahead = answer(201, {"created_at": "2026-06-24T10:00:40Z"}, date="Wed, 24 Jun 2026 10:00:10 GMT")
    ahead.answered_at, ahead.elapsed = 100.0, 0.03
    assert requirements(check_created_at(ahead, made, [before, nxt])) == {"CREATE-CREATED-AT-MATCHES-DATE"}


def test_a_list_id_that_is_a_prefix_of_another_filters_exactly():
    model = Model(lists=(M1, M10), exclusive=True)
    only_m10 = contact("cnt_a", (M10,))
    model.add(only_m10)
    leaky = Listing(M1, 10, [page([only_m10.answer], 1)])
    assert requirements(check_listing(model, leaky)) == {"LIST-FILTER-BY-LIST", "LIST-TOTAL-COUNTS-MATCHES"}
    assert not check_listing(model, Listing(M10, 10, [page([only_m10.answer], 1)]))


def test_a_listed_contact_shows_what_its_create_answered():
    model = Model(lists=(M1,), exclusive=True)
    member = contact("cnt_a", (M1,))
    model.add(member)
    later = {**member.answer, "created_at": "2026-06-24T10:00:01Z"}
    assert requirements(check_listing(model, Listing(M1, 10, [page([later], 1)]))) == {"LIST-ITEM-MATCHES-CREATE"}
    same_instant = {**member.answer, "created_at": "2026-06-24T10:00:00.000+00:00", "extra": True}
    assert not check_listing(model, Listing(M1, 10, [page([same_instant], 1)]))


def test_a_contact_that_vanishes_after_another_delete_is_blamed_on_the_delete():
    model = Model(lists=(M1,), exclusive=True)
    kept, gone = contact("cnt_kept", (M1,)), contact("cnt_gone", (M1,))
    model.add(kept)
    model.add(gone)
    note_seen(model, Listing(M1, 10, [page([kept.answer, gone.answer], 2)]))
    gone.deleted = True
    assert not check_listing(model, Listing(M1, 10, [page([kept.answer], 1)]))
    assert requirements(check_listing(model, Listing(M1, 10, [page([], 0)]))) == {"DELETE-ONLY-THE-GIVEN-ID",
                                                                                "LIST-TOTAL-COUNTS-MATCHES"}
    still = check_listing(model, Listing(M1, 10, [page([kept.answer, gone.answer], 2)]))
    assert requirements(still) == {"DELETE-REMOVED-FROM-LISTS", "LIST-TOTAL-COUNTS-MATCHES"}


def test_a_total_that_disagrees_with_its_own_exact_pages_is_the_totals_fault_and_no_lag():
    model = Model(lists=(M1,), exclusive=True)
    kept, gone = contact("cnt_kept", (M1,)), contact("cnt_gone", (M1,))
    model.add(kept)
    model.add(gone)
    gone.deleted = True
    stale = check_listing(model, Listing(M1, 10, [page([kept.answer], 2)]))  # data right, total counts the deleted
    assert requirements(stale) == {"LIST-TOTAL-COUNTS-MATCHES"} and not may_be_lag(stale)
    lagging = check_listing(model, Listing(M1, 10, [page([kept.answer, gone.answer], 2)]))  # an old snapshot
    assert may_be_lag(lagging)


def test_the_account_total_is_judged_on_one_page_or_on_two_walks_that_agree():
    model = Model(lists=(), exclusive=True)
    mine, gone = contact("cnt_mine", email=None), contact("cnt_gone", email=None)
    model.add(mine)
    model.add(gone)
    gone.deleted = True
    others = [{"id": f"cnt_other{n}", "name": "X", "phone": "+351912345678", "created_at": "2020-01-01T00:00:00Z"}
              for n in range(3)]
    everyone = [mine.answer, *others]
    assert requirements(check_listing(model, Listing(None, 100, [page(everyone, 5, 100)]))) == {
        "LIST-TOTAL-COUNTS-MATCHES"}
    assert not check_listing(model, Listing(None, 100, [page(everyone, 4, 100)]))

    def walk(per_page: int, items: list[dict], total: int) -> Listing:
        return Listing(None, per_page, [page(items[i:i + per_page], total, per_page, n)
                                        for n, i in enumerate(range(0, max(total, 1), per_page), 1)])
    assert requirements(check_account_total(model, [walk(3, everyone, 5), walk(2, everyone, 5)])) == {
        "LIST-TOTAL-COUNTS-MATCHES"}
    assert not check_account_total(model, [walk(3, everyone, 4), walk(2, everyone, 4)])
    skipped = [mine.answer, *others[:2]]  # a page boundary hid a contact at one size only: not the total's fault
    assert not check_account_total(model, [walk(3, everyone, 5), walk(2, skipped, 5)])


def test_pages_must_partition_and_the_page_past_the_end_be_empty():
    model = Model(lists=(M1,), exclusive=True)
    a, b = contact("cnt_a", (M1,)), contact("cnt_b", (M1,))
    model.add(a)
    model.add(b)
    overlapping = Listing(M1, 1, [page([a.answer], 2, 1), page([a.answer], 2, 1, 2)], past_end=page([b.answer], 2, 1, 3))
    assert requirements(check_listing(model, overlapping)) == {"LIST-PAGES-PARTITION", "LIST-PAGE-PAST-END-EMPTY"}


def test_a_long_list_read_without_per_page_is_held_to_the_default_and_walked_at_the_size_it_states():
    members = [contact(f"cnt_{i}", (M1,)).answer for i in range(60)]
    whole = Exchange("GET", f"http://t/v1/contacts?list_id={M1}", {}, None, status=200,
                     text=json.dumps({"data": members, "meta": {"total": 60, "page": 1, "per_page": 50}}))
    found = check_page_meta([whole], f"list_id={M1}", ("LIST-META-DESCRIBES-PAGE", "LIST-DEFAULT-PAGING"))
    assert requirements(found) == {"LIST-META-DESCRIBES-PAGE", "LIST-DEFAULT-PAGING"}
    assert requirements(check_page_meta([whole], f"list_id={M1}")) == {"LIST-META-DESCRIBES-PAGE"}
    over = Exchange("GET", f"http://t/v1/contacts?list_id={M1}&per_page=101", {}, None, status=200,
                    text=json.dumps({"data": members * 2, "meta": {"total": 60, "page": 1, "per_page": 100}}))
    assert "LIST-PER-PAGE-MAX-100" in requirements(check_page_meta([over], M1, ("LIST-PER-PAGE-MAX-100",)))
    assert [stated_per_page(page([], 0, n)) for n in (20, 100, 101, 0)] == [20, 100, 50, 50]


def test_other_clients_contacts_are_free_in_the_unfiltered_list():
    model = Model(lists=(), exclusive=True)
    mine = contact("cnt_mine", email=None)
    model.add(mine)
    others = {"id": "cnt_someone_else", "name": "X", "phone": "+351912345678", "created_at": "2020-01-01T00:00:00Z"}
    assert not check_listing(model, Listing(None, 100, [page([others, {**mine.answer, "email": None}], 2)]))
    assert requirements(check_listing(model, Listing(None, 100, [page([others], 1)]))) == {"LIST-SHOWS-CREATED"}
    # A repeat under one total: someone else's create and delete between the pages, or pages that overlap. It is a
    # finding the driver reads again before it stands (settles), and membership is not judged on such a walk.
    moving = Listing(None, 1, [page([others], 2), page([others], 2, 1, 2)])
    found = check_listing(model, moving)
    assert requirements(found) == {"LIST-PAGES-PARTITION"} and may_be_lag(found)
    shifted = Listing(None, 1, [page([others], 2), page([others], 3, 1, 2)])  # the total moved: not judged at all
    assert not check_listing(model, shifted)


def _report(directory) -> dict:
    return json.loads((directory / "report.json").read_text(encoding="utf-8"))


def test_lagging_lists_pass_clean_with_nothing_leaked(tmp_path):
    done = run_cli("run", "--seed", "3", "--report-dir", str(tmp_path), "--reference-fault", "lagging_lists",
                   "-k", "test_model or test_wire")
    result = _report(tmp_path)
    failed = [r["id"] for r in result["requirements"] if r["status"] == "failed"]
    assert done.returncode == 0 and not failed, (failed, done.stdout[-2000:])
    assert result["data"]["leaked"] == [] and result["data"]["created"] > 10
    assert result["settle"]["waits"] > 0 and result["settle"]["limit_s"] == 3.0


@pytest.mark.parametrize("fault, requirement", [("delete_matches_id_prefix", "DELETE-ONLY-THE-GIVEN-ID"),
                                                ("delete_ignores_id_case", "DELETE-ONLY-THE-GIVEN-ID"),
                                                ("malformed_id_is_400", "DELETE-404-UNKNOWN-ID"),
                                                ("create_with_lists_returns_200", "CREATE-201-CREATED"),
                                                ("total_cached", "LIST-TOTAL-COUNTS-MATCHES"),
                                                ("list_truncates_names_to_100", "LIST-ITEM-MATCHES-CREATE")])
def test_model_catches_faults_of_exact_ids_and_list_echo(tmp_path, fault, requirement):
    done = run_cli("run", "--seed", "3", "--report-dir", str(tmp_path), "--reference-fault", fault, "-k", "test_model",
                   "--settle", "1")
    failed = {r["id"] for r in _report(tmp_path)["requirements"] if r["status"] == "failed"}
    assert done.returncode == 1 and requirement in failed, (failed, done.stdout[-2000:])


@pytest.mark.parametrize("requirement,fillers", [("CREATE-ID-UNIQUE", False), ("LIST-PAGES-PARTITION", True)])
def test_only_a_run_judging_paging_fills_the_account_to_a_full_page(tmp_path, requirement, fillers):
    log = tmp_path / "requests.jsonl"
    done = run_cli("run", "--seed", "3", "--settle", "1", "--report-dir", str(tmp_path / "report"),
                   "--reference-request-log", str(log), "--requirement", requirement)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    sent = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    made = [r for r in sent if r["method"] == "POST" and b'"name": "Filler ' in base64.b64decode(r["body"])]
    assert bool(made) is fillers and (not fillers or len(made) > 50), len(made)
