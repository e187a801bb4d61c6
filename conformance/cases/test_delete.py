"""DELETE /contacts/{id}: 204 with no body, gone everywhere, 404 for unknown ids, the phone free again."""
from __future__ import annotations

import pytest

from conformance.paging import walk
from conformance.results import expect, expect_status

pytestmark = [pytest.mark.delete, pytest.mark.writes]


@pytest.fixture
def doomed(new_contact, run_config, lists_accepted):
    lists = list(dict.fromkeys([run_config.run_list("delete"), run_config.run_list("delete_other")]))
    created = new_contact("To Delete", email="doomed@example.com", **({"lists": lists} if lists_accepted else {}))
    expect_status(created.exchange, 201, "creating the contact to delete")
    return created


@pytest.mark.requirement("DELETE-204-EMPTY-BODY")
def test_delete_is_204_with_empty_body(client, doomed):
    answer = client.delete(doomed.id)
    expect_status(answer, 204, "deleting an existing contact")
    expect(answer.text == "", f"the 204 has a body: {answer.text[:200]!r}", answer)


@pytest.mark.requirement("DELETE-GONE-FROM-LIST")
def test_deleted_contact_is_gone_from_list(client, doomed):
    client.delete(doomed.id)
    result = walk(client, per_page=100, max_pages=20)
    if result.inconclusive:
        pytest.skip(f"inconclusive: {result.inconclusive}")
    expect(doomed.id not in result.ids, f"deleted contact {doomed.id} is still listed", result.last)


@pytest.mark.requirement("DELETE-REMOVED-FROM-LISTS")
def test_deleted_contact_is_gone_from_list_filters(client, doomed, need_lists):
    client.delete(doomed.id)
    for list_id in doomed.body["lists"]:
        result = walk(client, list_id=list_id, per_page=100, max_pages=5)
        if result.inconclusive:
            pytest.skip(f"inconclusive: {result.inconclusive}")
        expect(doomed.id not in result.ids, f"deleted contact {doomed.id} still listed under {list_id}", result.last)


@pytest.mark.requirement("DELETE-404-UNKNOWN-ID")
def test_unknown_id_is_404_not_found(client):
    expect_status(client.delete(client.unknown_id()), 404, "deleting an id no account holds")


@pytest.mark.requirement("DELETE-404-AFTER-DELETE")
def test_deleting_twice_is_404(client, doomed):
    expect(client.delete(doomed.id).status in (200, 204), "the first delete did not succeed")
    expect_status(client.delete(doomed.id), 404, "deleting the same contact again")


@pytest.mark.requirement("DELETE-FREES-PHONE")
def test_phone_is_free_after_delete(client, doomed, new_contact):
    expect(client.delete(doomed.id).status in (200, 204), "the delete did not succeed")
    again = client.create({**new_contact.body("Phone Reused"), "phone": doomed.body["phone"]})
    expect_status(again, 201, f"re-creating a contact with the deleted contact's phone {doomed.body['phone']}")
