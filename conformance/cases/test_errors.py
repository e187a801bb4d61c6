"""Error bodies (the platform's JSON shape, the code that belongs to the status) and JSON content types."""
from __future__ import annotations

import pytest

from conformance import grid
from conformance.cases.fixtures import fixture
from conformance.judgements import (body_known, error_body_problem, error_code_problem, json_answer_problem,
                                    operation, request_id_problem, retry_after_problem)
from conformance.results import expect

pytestmark = pytest.mark.errors
# The error statuses the Contacts page's tables name; a 429 is judged by its own case, a 5xx by SPEC-NO-SERVER-ERROR.
TABLE_ERRORS = frozenset({400, 401, 404, 409, 422})


@fixture(scope="module")
def error_samples(client, run_config, new_contact) -> dict[tuple[int, str], object]:
    """Answers meant to provoke each documented error status, sent side by side, keyed by (status, what was sent);
    the data-writing ones only where writes are allowed. 401 twice, to two requests without a key: a request_id is
    the request's own, not the status's. The 409 needs a contact to collide with, so it goes once that contact
    exists; that contact's create (201) stays among the samples, as a successful answer whose content type is judged
    too."""
    calls = {(401, "a list without a key"): lambda: client.list(auth=None),
             (401, "a list of one without a key"): lambda: client.list(auth=None, per_page=1)}
    if run_config.allow_writes:
        unknown, bad_email = client.unknown_id(), new_contact.body("Error Sample", email="no-at-sign.example.com")
        # a name beyond ASCII, as the docs' João Ferreira's, so the 201 shows how the target encodes text
        first, second = new_contact.body("Error Sample João"), new_contact.body("Error Sample")
        calls |= {(404, "a DELETE of an unknown id"): lambda: client.delete(unknown),
                  (400, "a malformed create"): lambda: client.call("POST", "/contacts", data=b'{"name": '),
                  (422, "a create with a bad email"): lambda: client.create(bad_email),
                  (201, "a create"): lambda: client.create(first)}
    samples = dict(zip(calls, client.gather(calls.values())))
    if (201, "a create") in samples:
        samples[(409, "a create with a taken phone")] = client.create({**second, "phone": first["phone"]})
    return samples


def each_error(error_samples):
    """The samples that came back with the status they were meant to provoke, as ((status, what), exchange). One
    that did not is the finding of the requirement for that status (CREATE-409-…, AUTH-401-…), not of the error
    body."""
    produced = [(sample, exchange) for sample, exchange in error_samples.items()
                if sample[0] >= 400 and exchange.status == sample[0]]
    if not produced:
        pytest.skip("not checked: the target answered none of the requests meant to provoke a documented error "
                    "with that error")
    yield from produced


@pytest.mark.requirement("ERROR-BODY-SHAPE")
def test_error_bodies_have_error_and_message(error_samples):
    for _, exchange in each_error(error_samples):
        problem = error_body_problem(exchange)
        expect(not problem, problem, exchange)


@pytest.mark.requirement("ERROR-CODE-MATCHES-STATUS")
def test_error_code_matches_status(error_samples):
    for _, exchange in each_error(error_samples):
        problem = error_code_problem(exchange)
        expect(not problem, problem, exchange)


@pytest.mark.requirement("ERROR-REQUEST-ID")
def test_error_bodies_carry_request_id(error_samples):
    """Each error names its own request (P: request_id is the unique id of the request): a request_id, and no two of
    the samples (each a different request, two of them 401s) share one."""
    named_by: dict[str, str] = {}
    for (status, what), exchange in each_error(error_samples):
        problem = request_id_problem(exchange)
        expect(not problem, problem, exchange)
        request_id = exchange.json_or_none()["request_id"]
        earlier = named_by.setdefault(repr(request_id), what)
        expect(earlier == what, f"the {status} answer to {what} repeats the request_id {request_id!r} of the answer "
                                f"to {earlier}: a request id names one request", exchange)


@pytest.mark.requirement("JSON-CONTENT-TYPE")
def test_responses_are_json(error_samples, client, run_config):
    """Every answer with a body, successful or not: the error samples, a create's 201, a page of contacts, a page
    that matches none, pages asked for with an Accept that names no JSON type (grid.NON_JSON_ACCEPTS), and a page
    asked for with a callback parameter (a server that serves JSONP wraps the page in a JavaScript call)."""
    lists = [lambda: client.list(per_page=1), lambda: client.list(list_id=run_config.run_list("walk")),
             lambda: client.list(list_id=run_config.run_list("none"), per_page=1),
             lambda: client.list(per_page=1, callback="zexaConformance"),
             *[lambda a=accept: client.call("GET", "/contacts", params={"per_page": 1}, headers={"Accept": a})
               for accept in grid.NON_JSON_ACCEPTS]]
    answers = [*error_samples.values(), *client.gather(lists)]
    for exchange in (a for a in answers if a.status != 204):  # a 204 has no body at all (platform docs)
        problem = json_answer_problem(exchange)
        expect(not problem, problem, exchange)


@pytest.mark.after_all
@pytest.mark.requirement("RATE-LIMIT-RETRY-AFTER", "JSON-CONTENT-TYPE", "ERROR-BODY-SHAPE")
def test_rate_limit_answers_say_when_to_retry(client):
    """The 429s the target answered during the whole run (this case starts once every other one is done): each
    says in Retry-After how long to wait, as seconds (or an HTTP date, RFC 9110's other form), and is an error
    like any other, a JSON object with error and message. Its code is not judged: the Contacts API's codes are
    those of its own tables, and rate_limit_exceeded is named only on the messages page."""
    answers = list(client.ledger.rate_limit_answers)
    if not answers:
        pytest.skip("not checked: the target answered no request of this run with 429")
    for exchange in answers:
        problem = retry_after_problem(exchange)
        expect(not problem, problem, exchange, "RATE-LIMIT-RETRY-AFTER")
    for exchange in answers:
        problem = json_answer_problem(exchange)
        expect(not problem, problem, exchange, "JSON-CONTENT-TYPE")
        problem = error_body_problem(exchange)
        expect(not problem, problem, exchange, "ERROR-BODY-SHAPE")


def table_errors_of_the_run(client) -> list:
    """Every answer of the run with a status of the Contacts tables to one of its operations."""
    return [e for e in list(client.history) if e.status in TABLE_ERRORS and operation(e.method, e.url) is not None
            and body_known(e)]


@pytest.mark.after_all
@pytest.mark.requirement("JSON-CONTENT-TYPE", "ERROR-BODY-SHAPE", "ERROR-REQUEST-ID")
def test_every_error_of_the_run_is_the_platform_error(client):
    """P: the API always answers with JSON, and every error response has the same JSON body, error and message among
    its fields, and a request_id, the unique id of the request. Judged on every error the run was answered (this case
    starts once every other one is done), whichever case provoked it: a list's paging errors, a second delete's 404,
    a model's 409 or 422 too. The first failure of each rule is named."""
    errors = table_errors_of_the_run(client)
    if not errors:
        pytest.skip("not checked: the target answered no request of this run with an error of the Contacts tables")
    for exchange in errors:
        problem = json_answer_problem(exchange)
        expect(not problem, f"{exchange.method} {exchange.url}: {problem}", exchange, "JSON-CONTENT-TYPE")
    for exchange in errors:
        problem = error_body_problem(exchange)
        expect(not problem, f"{exchange.method} {exchange.url}: {problem}", exchange, "ERROR-BODY-SHAPE")
    named_by: dict[str, object] = {}
    for exchange in errors:
        problem = request_id_problem(exchange)
        expect(not problem, f"{exchange.method} {exchange.url}: {problem}", exchange, "ERROR-REQUEST-ID")
        request_id = exchange.json_or_none()["request_id"]
        earlier = named_by.setdefault(repr(request_id), exchange)
        expect(earlier is exchange, f"the {exchange.status} answer to {exchange.method} {exchange.url} repeats the "
                                    f"request_id {request_id!r} of the {earlier.status} answer to {earlier.method} "
                                    f"{earlier.url}: a request id names one request", exchange, "ERROR-REQUEST-ID")
