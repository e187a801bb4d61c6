"""DELETE /contacts/{id}: 204 with no body, gone everywhere, 404 for unknown ids, the phone free again."""
from __future__ import annotations

from contextlib import nullcontext
from urllib.parse import quote

import pytest

from conformance import grid
from conformance.cases.fixtures import fixture
from conformance.paging import walk
from conformance.plugin.support import expect_api_errors, expect_created
from conformance.results import expect, expect_status
from conformance.settling import settled

pytestmark = [pytest.mark.delete, pytest.mark.writes]
CASES_THAT_DELETE = 5


@fixture(scope="module")
def victims(new_contact, run_config, lists_accepted) -> list:
    """One contact for each case that deletes, created together: Angolan phones and docs-shaped emails, so only a
    rule of DELETE can keep these cases from judging."""
    lists = list(dict.fromkeys([run_config.run_list("delete"), run_config.run_list("delete_other")]))
    extra = {"lists": lists} if lists_accepted else {}
    return new_contact.create_all([new_contact.body("To Delete", email=f"doomed{i}@example.com", **extra)
                                   for i in range(CASES_THAT_DELETE)])


@fixture
def doomed(victims, needs, request):
    """The victim of this case: the same one whatever order the cases run in."""
    users = [item.nodeid for item in request.session.items if "doomed" in item.fixturenames]
    expect(users.index(request.node.nodeid) < len(victims), "every contact made for the delete cases is used up")
    created = victims[users.index(request.node.nodeid)]
    needs(created, "the contact to delete")
    return created


def deleted(client, doomed, what: str) -> None:
    """Delete the contact; a failed delete is DELETE-204-EMPTY-BODY's finding, and this case cannot judge."""
    answer = client.delete(doomed.id)
    expect(answer.status in (200, 204), f"{what}: deleting {doomed.id} answered {answer.status}", answer,
           requirement="DELETE-204-EMPTY-BODY")


def settled_walk(client, list_id: str | None, contact_id: str, max_pages: int):
    """Walk the contacts (of a list) again, bounded, while the deleted one still shows: the docs promise no
    read-after-write."""
    with client.whole_account() if list_id is None else nullcontext():  # the run writes nothing meanwhile
        return settled(lambda: walk(client, list_id=list_id, per_page=100, max_pages=max_pages),
                       lambda done: bool(done.inconclusive) or contact_id not in done.ids, client.config.settle,
                       client.ledger.settle_waits)


def expect_gone(client, doomed, answer, why: str) -> None:
    """Before an answer that only a contact still there explains is judged: if the deleted contact still shows,
    the delete never took effect, which is DELETE-GONE-FROM-LIST's finding, not this case's."""
    result = settled_walk(client, None, doomed.id, max_pages=20)
    expect(result.inconclusive or doomed.id not in result.ids,
           f"{why}: answered {answer.status}, and the deleted contact {doomed.id} is still listed", answer,
           requirement="DELETE-GONE-FROM-LIST")


@pytest.mark.requirement("DELETE-204-EMPTY-BODY")
def test_delete_is_204_with_empty_body(client, doomed):
    answer = client.delete(doomed.id)
    expect_status(answer, 204, "deleting an existing contact")
    expect(answer.text == "", f"the 204 has a body: {answer.text[:200]!r}", answer)


@pytest.mark.requirement("DELETE-GONE-FROM-LIST")
def test_deleted_contact_is_gone_from_list(client, doomed):
    deleted(client, doomed, "gone from the list")
    result = settled_walk(client, None, doomed.id, max_pages=20)
    if result.inconclusive:
        pytest.skip(f"inconclusive: {result.inconclusive}")
    expect(doomed.id not in result.ids, f"deleted contact {doomed.id} is still listed", result.last)


@pytest.mark.requirement("DELETE-REMOVED-FROM-LISTS")
def test_deleted_contact_is_gone_from_list_filters(client, doomed, need_lists):
    deleted(client, doomed, "gone from its lists")
    list_ids = doomed.body["lists"]
    results = client.gather([lambda list_id=list_id: settled_walk(client, list_id, doomed.id, max_pages=5)
                             for list_id in list_ids])
    for list_id, result in zip(list_ids, results):
        if result.inconclusive:
            pytest.skip(f"inconclusive: {result.inconclusive}")
        expect(doomed.id not in result.ids, f"deleted contact {doomed.id} still listed under {list_id}", result.last)


@pytest.mark.requirement("DELETE-404-UNKNOWN-ID")
def test_unknown_id_is_404_not_found(client):
    """404 is "no contact with the given ID", whatever the id looks like: one with the cnt_ prefix and one without
    (both made up, carrying the run's tag and randomness, so no account holds them)."""
    unknown = client.unknown_id()
    unprefixed = unknown.removeprefix("cnt_")
    client.ledger.unknown_ids.add(unprefixed)
    answers = client.gather([lambda i=i: client.delete(i) for i in (unknown, unprefixed)])
    expect_status(answers[0], 404, "deleting an id no account holds")
    expect_status(answers[1], 404, f"deleting {unprefixed}, an id no account holds, without the cnt_ prefix")


@pytest.mark.requirement("DELETE-404-UNKNOWN-ID", "JSON-CONTENT-TYPE", "ERROR-BODY-SHAPE", "ERROR-CODE-MATCHES-STATUS")
def test_unknown_id_in_every_class_is_404(client):
    """The {id} segment along the grid (grid.id_path_classes: letter case, SQL, URL, shell and HTML characters,
    other scripts, NFC and NFD, a control character, 300 characters), each percent-encoded into the path: no
    contact has such an id, and 404 is the docs' answer for that, whatever the id looks like."""
    ids = grid.id_path_classes(client.unknown_id())
    client.ledger.unknown_ids.update(ids.values())
    answers = client.gather([lambda i=i: client.delete(quote(i, safe="")) for i in ids.values()])
    for (name, made_up), answer in zip(ids.items(), answers):
        expect_status(answer, 404, f"deleting an id no account holds, of class {name} ({made_up[-40:]!r})",
                      requirement="DELETE-404-UNKNOWN-ID")
    expect_api_errors([(f"deleting an id of class {name}", answer) for name, answer in zip(ids, answers)], 404)


@pytest.mark.requirement("DELETE-404-AFTER-DELETE")
def test_deleting_twice_is_404(client, doomed):
    deleted(client, doomed, "deleting twice")
    again = client.delete(doomed.id)
    if again.status != 404:
        expect_gone(client, doomed, again, "deleting the same contact again")
    expect_status(again, 404, "deleting the same contact again")


@pytest.mark.requirement("DELETE-FREES-PHONE", "CREATE-409-DUPLICATE-PHONE")
def test_phone_is_free_after_delete(client, doomed, new_contact):
    """Free once its contact is deleted, and taken again by the contact re-created with it: a third create with it
    is 409 (a target may treat a phone it has seen deleted apart, and forget to hold it again)."""
    deleted(client, doomed, "the phone freed")
    phone = doomed.body["phone"]
    again = client.create({**new_contact.body("Phone Reused"), "phone": phone})
    if again.status == 409:
        expect_gone(client, doomed, again, "re-creating a contact with the deleted contact's phone")
    expect_created(again, f"re-creating a contact with the deleted contact's phone {phone}",
                   requirement="DELETE-FREES-PHONE")
    third = client.create({**new_contact.body("Phone Reused Twice"), "phone": phone})
    expect_status(third, 409, f"a third contact with {phone}, the phone of the contact re-created after a delete",
                  requirement="CREATE-409-DUPLICATE-PHONE")


PARALLEL_DELETE_ROUNDS = 2


@pytest.mark.requirement("DELETE-CONCURRENT-ONE-204")
def test_parallel_deletes_of_one_id_give_one_204(client, new_contact, run_config, needs):
    """As many DELETEs of one contact as may be in flight, sent at the same moment: one removes it (204), every other
    finds no contact with that id (404). A read-then-delete window lets two of them both succeed. Rounds with a
    contact of their own, since a race is won or lost in the first moment."""
    if run_config.concurrency < 2:
        pytest.skip("not checked: deletes can only race with two or more requests in flight (--concurrency is 1)")
    size = min(8, run_config.concurrency)
    contacts = new_contact.create_all([new_contact.body("Parallel Delete") for _ in range(PARALLEL_DELETE_ROUNDS)])
    needs(contacts, "the contacts to delete in parallel")
    for contact in contacts:
        answers = client.together([lambda i=contact.id: client.delete(i) for _ in range(size)])
        statuses = sorted(a.status or 0 for a in answers)
        odd = [a for a in answers if a.status not in (200, 204, 404)]
        expect(not odd, f"{size} parallel deletes of {contact.id} answered {statuses}", odd[0] if odd else None)
        won = [a for a in answers if a.status in (200, 204)]
        expect(len(won) == 1, f"{len(won)} of {size} parallel deletes of {contact.id} succeeded (exactly one may; "
                              f"the others find no contact): {statuses}", won[-1] if won else answers[0])
