"""Model-based stateful test: one run of the driver (model_driver.py) against the model in conformance/model.py,
then one case per requirement that reads what the run found."""
from __future__ import annotations

import pytest

from conformance.cases.fixtures import fixture
from conformance.cases.model_driver import Driver, ModelRun
from conformance.results import Violation, expect

pytestmark = [pytest.mark.listing, pytest.mark.writes]


@fixture(scope="module")
def model_run(client, run_config, new_contact, lists_accepted, judged_requirements) -> ModelRun:
    return Driver(client, run_config, new_contact, lists_accepted, judged_requirements).run_all()


def verdict(model_run: ModelRun, requirement: str, observe) -> None:
    for wanted, message in model_run.observations:
        if wanted == requirement:
            observe(message, requirement)
    found = [f for f in model_run.findings if f.requirement == requirement]
    if found:
        more = f" (and {len(found) - 1} more like it)" if len(found) > 1 else ""
        raise Violation(found[0].message + more, found[0].exchange, requirement)


@pytest.mark.requirement("CREATE-201-CREATED")
def test_model_valid_creates_are_201(model_run, observe):
    verdict(model_run, "CREATE-201-CREATED", observe)


@pytest.mark.requirement("CREATE-ID-UNIQUE")
def test_model_ids_are_unique(model_run, observe, client):
    verdict(model_run, "CREATE-ID-UNIQUE", observe)
    repeated = client.ledger.repeated_ids  # every create of the run so far, not only the model's
    expect(not repeated, f"{len(repeated)} creates of this run answered an id an earlier create had answered "
                         f"(first: {(repeated[0].json_or_none() or {}).get('id') if repeated else ''})",
           repeated[0] if repeated else None)
    theirs = client.ledger.others_answered
    expect(not theirs, f"{len(theirs)} creates of this run answered the id of a contact listed as not this run's "
                       f"before they were sent (first: {(theirs[0].json_or_none() or {}).get('id') if theirs else ''})",
           theirs[0] if theirs else None)


@pytest.mark.requirement("CREATE-ID-CNT-PREFIX")
def test_model_ids_are_prefixed_cnt(model_run, observe):
    verdict(model_run, "CREATE-ID-CNT-PREFIX", observe)


@pytest.mark.requirement("CREATE-ECHOES-FIELDS")
def test_model_creates_echo_their_fields(model_run, observe):
    """C, Response Fields: phone, "email: the contact's email address, if provided", "lists: an array of contact
    list IDs the contact belongs to": each as sent, and none where the body gave none."""
    verdict(model_run, "CREATE-ECHOES-FIELDS", observe)


@pytest.mark.requirement("CREATE-NAME-AS-PROVIDED")
def test_model_names_come_back_exactly(model_run, observe):
    verdict(model_run, "CREATE-NAME-AS-PROVIDED", observe)


@pytest.mark.requirement("CREATE-CREATED-AT-MATCHES-DATE")
def test_model_created_at_matches_the_date_header(model_run, observe):
    """C, Response Fields: "created_at: ISO 8601 UTC timestamp of when the contact was created": near the answer's
    Date, and a contact created after another's create was answered is not dated before it."""
    verdict(model_run, "CREATE-CREATED-AT-MATCHES-DATE", observe)


@pytest.mark.requirement("CREATE-CREATED-AT-RECENT")
def test_model_created_at_is_recent_without_a_date_header(model_run, observe):
    verdict(model_run, "CREATE-CREATED-AT-RECENT", observe)


@pytest.mark.requirement("CREATE-409-DUPLICATE-PHONE")
def test_model_phone_held_by_the_run_is_409(model_run, observe):
    verdict(model_run, "CREATE-409-DUPLICATE-PHONE", observe)


@pytest.mark.requirement("CREATE-400-MISSING-FIELD")
def test_model_missing_field_is_400(model_run, observe):
    verdict(model_run, "CREATE-400-MISSING-FIELD", observe)


@pytest.mark.requirement("CREATE-400-MALFORMED-JSON")
def test_model_malformed_json_is_400(model_run, observe):
    verdict(model_run, "CREATE-400-MALFORMED-JSON", observe)


@pytest.mark.requirement("CREATE-422-PHONE-NOT-E164")
def test_model_phone_not_e164_is_422(model_run, observe):
    verdict(model_run, "CREATE-422-PHONE-NOT-E164", observe)


@pytest.mark.requirement("CREATE-422-EMAIL-MALFORMED")
def test_model_malformed_email_is_422(model_run, observe):
    verdict(model_run, "CREATE-422-EMAIL-MALFORMED", observe)


@pytest.mark.requirement("LIST-ITEM-MATCHES-CREATE")
def test_model_listed_contacts_match_their_create(model_run, observe):
    verdict(model_run, "LIST-ITEM-MATCHES-CREATE", observe)


@pytest.mark.requirement("LIST-SHOWS-CREATED")
def test_model_created_contacts_are_listed(model_run, observe):
    verdict(model_run, "LIST-SHOWS-CREATED", observe)


@pytest.mark.requirement("LIST-FILTER-BY-LIST")
def test_model_list_filters_show_exactly_their_members(model_run, observe):
    verdict(model_run, "LIST-FILTER-BY-LIST", observe)


@pytest.mark.requirement("LIST-TOTAL-COUNTS-MATCHES")
def test_model_totals_follow_creates_and_deletes(model_run, observe):
    verdict(model_run, "LIST-TOTAL-COUNTS-MATCHES", observe)


@pytest.mark.requirement("LIST-DEFAULT-PAGING")
def test_model_defaults_hold_on_a_long_list(model_run, observe):
    verdict(model_run, "LIST-DEFAULT-PAGING", observe)


@pytest.mark.requirement("LIST-PER-PAGE-MAX-100")
def test_model_long_list_never_pages_past_100(model_run, observe):
    verdict(model_run, "LIST-PER-PAGE-MAX-100", observe)


@pytest.mark.requirement("LIST-PAGES-PARTITION")
def test_model_pages_partition_every_list(model_run, observe):
    verdict(model_run, "LIST-PAGES-PARTITION", observe)


@pytest.mark.requirement("LIST-PAGE-PAST-END-EMPTY")
def test_model_page_past_the_end_is_empty(model_run, observe):
    verdict(model_run, "LIST-PAGE-PAST-END-EMPTY", observe)


@pytest.mark.requirement("SPEC-NO-SERVER-ERROR")
def test_model_grid_inputs_never_answer_5xx(model_run, observe):
    verdict(model_run, "SPEC-NO-SERVER-ERROR", observe)


@pytest.mark.requirement("CREATE-REFUSED-CREATES-NOTHING")
def test_model_refused_grid_creates_leave_no_trace(model_run, observe):
    verdict(model_run, "CREATE-REFUSED-CREATES-NOTHING", observe)


@pytest.mark.requirement("DELETE-204-EMPTY-BODY")
def test_model_deleting_an_own_contact_succeeds(model_run, observe):
    verdict(model_run, "DELETE-204-EMPTY-BODY", observe)


@pytest.mark.requirement("DELETE-ONLY-THE-GIVEN-ID")
def test_model_delete_removes_only_the_given_id(model_run, observe):
    verdict(model_run, "DELETE-ONLY-THE-GIVEN-ID", observe)


@pytest.mark.requirement("DELETE-404-UNKNOWN-ID")
def test_model_unknown_ids_are_404(model_run, observe):
    verdict(model_run, "DELETE-404-UNKNOWN-ID", observe)


@pytest.mark.requirement("DELETE-404-AFTER-DELETE")
def test_model_deleted_ids_are_404_when_deleted_again(model_run, observe):
    verdict(model_run, "DELETE-404-AFTER-DELETE", observe)


@pytest.mark.requirement("ERROR-CODE-MATCHES-STATUS")
def test_model_deleted_ids_are_404_not_found(model_run, observe):
    verdict(model_run, "ERROR-CODE-MATCHES-STATUS", observe)


@pytest.mark.requirement("LIST-META-DESCRIBES-PAGE")
def test_model_pages_say_which_page_they_are(model_run, observe):
    verdict(model_run, "LIST-META-DESCRIBES-PAGE", observe)


@pytest.mark.requirement("DELETE-REMOVED-FROM-LISTS")
def test_model_deleted_contacts_leave_their_lists(model_run, observe):
    verdict(model_run, "DELETE-REMOVED-FROM-LISTS", observe)


@pytest.mark.requirement("DELETE-GONE-FROM-LIST")
def test_model_deleted_contacts_leave_the_account_list(model_run, observe):
    verdict(model_run, "DELETE-GONE-FROM-LIST", observe)


@pytest.mark.requirement("DELETE-FREES-PHONE")
def test_model_phone_of_a_deleted_contact_is_free(model_run, observe):
    verdict(model_run, "DELETE-FREES-PHONE", observe)


@pytest.mark.requirement("CREATE-VALID-EMAIL-ACCEPTED")
def test_model_email_of_a_deleted_contact_is_accepted(model_run, observe):
    verdict(model_run, "CREATE-VALID-EMAIL-ACCEPTED", observe)


@pytest.mark.requirement("LIST-ITEM-FIELDS")
def test_model_created_at_is_the_same_in_every_read(model_run, observe):
    verdict(model_run, "LIST-ITEM-FIELDS", observe)
