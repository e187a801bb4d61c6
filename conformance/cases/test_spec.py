"""Spec-driven property tests (schemathesis): every operation with positive and negative data, and the stateful
create -> delete links (thorough profile). Only ids this run created are ever deleted; other DELETEs target ids no account holds."""
from __future__ import annotations

import re

import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               positive_data_acceptance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance, use_after_free)

from conformance import resources
from conformance.cases.fixtures import fixture
from conformance.judgements import DOCUMENTED_CODES, is_json_type
from conformance.paging import tag_name
from conformance.plugin.keys import BLAMED, WRITES_OFF
from conformance.plugin.support import expect_api_errors
from conformance.results import expect
from conformance.sampling import HYPOTHESIS, draws

pytestmark = pytest.mark.spec
SPEC = resources.spec_path()
REQUIREMENT_OF_CHECK = {
    "not_a_server_error": "SPEC-NO-SERVER-ERROR",
    "status_code_conformance": "SPEC-RESPONSES-CONFORM",
    "content_type_conformance": "SPEC-RESPONSES-CONFORM",
    "json_content_type": "SPEC-RESPONSES-CONFORM",
    "response_schema_conformance": "SPEC-RESPONSES-CONFORM",
    "response_headers_conformance": "SPEC-RESPONSES-CONFORM",
    "positive_data_acceptance": "SPEC-POSITIVE-DATA-ACCEPTED",
    "negative_data_rejection": "SPEC-NEGATIVE-DATA-REJECTED",
    "use_after_free": "DELETE-404-UNKNOWN-ID",
    "documented_error_code": "ERROR-CODE-MATCHES-STATUS",
}


@schemathesis.check
def documented_error_code(ctx, response, case) -> None:
    """Our own check, on every generated response: a documented error status carries its documented code."""
    expected = DOCUMENTED_CODES.get((case.method.upper(), response.status_code))
    if expected is None:
        return
    try:
        code = response.json().get("error")
    except (ValueError, AttributeError):
        code = None
    if code != expected:
        raise AssertionError(f"{case.method.upper()} answered {response.status_code} with error {code!r}; "
                             f"the docs give {expected!r}")


@schemathesis.check
def json_content_type(ctx, response, case) -> None:
    """openapi.yaml writes every body as application/json, but the docs say only that the API answers with JSON (P):
    a type that is JSON by the one rule (judgements.is_json_type, e.g. application/problem+json) conforms; any
    other is compared with openapi.yaml as schemathesis does."""
    if is_json_type((response.headers.get("content-type") or [""])[0]):
        return None
    return content_type_conformance(ctx, response, case)


CHECKS = [documented_error_code, not_a_server_error, status_code_conformance, json_content_type, response_schema_conformance,
          response_headers_conformance, positive_data_acceptance, negative_data_rejection]
DELETE_DRAWS = 2
# schemathesis builds and caches parts of the schema as it goes (operations, strategies, validators) in dicts that
# are not safe to change while another thread reads them ("dictionary changed size during iteration"): the cases
# of this module use the schema by turns, and only their requests go side by side. It also builds syntax trees as
# it goes (the strategies of the modules it imports on first use): its turns are hypothesis' (sampling.HYPOTHESIS).
SCHEMA = HYPOTHESIS
# The docs allow an oversized per_page to be clamped, so a 200 for it is no failure to reject negative data.
LIST_CHECKS = [c for c in CHECKS if c is not negative_data_rejection]


@fixture(scope="session")
def api_schema(run_config):
    config = schemathesis.Config.from_dict({
        "base-url": run_config.base_url,
        "seed": run_config.seed,
        "generation": {"max-examples": run_config.profile.examples},
        # never probe undocumented methods: DELETE /contacts could be a bulk delete on a real account
        "phases": {"coverage": {"enabled": False, "unexpected-methods": []}},
        "checks": {
            # a generated phone may already belong to a contact of the account (409), and a generated id to no
            # contact at all (404): both are right answers to schema-valid requests
            "positive_data_acceptance": {"expected-statuses": ["2xx", "404", "409"]},
            "negative_data_rejection": {"expected-statuses": ["400", "401", "404", "409", "422"]},
        },
    })
    with SCHEMA:
        return schemathesis.openapi.from_path(SPEC, config=config)



class _CallSession:
    """The session schemathesis' transport gets for one call. The transport swaps the headers (and auth) of the
    session it is given while it sends, which on the run's one session would race with every other thread: it gets
    this stand-in, and the request goes through the run's session, the schema lock released while it is on the
    wire (schemathesis revalidates and serializes the case before, and wraps the answer after, under the lock)."""

    def __init__(self, session) -> None:
        self._session, self.headers, self.auth = session, {}, None

    @property
    def adapters(self):  # read to tell a dropped keep-alive connection from a refused one
        return self._session.adapters

    def request(self, *args, **kwargs):
        SCHEMA.release()
        try:
            return self._session.request(*args, **kwargs)
        finally:
            SCHEMA.acquire()


def send_case(case, client):
    with SCHEMA:
        return case.call(session=_CallSession(client.session), headers=client.auth_header)


def make_safe(case, client, run_config) -> None:
    """Tag created names with the run tag, and point a DELETE of an id this run did not create at an unknown id."""
    if case.method.upper() != "GET" and not run_config.allow_writes:
        pytest.skip(f"not checked: this operation writes and {WRITES_OFF}")
    if isinstance(case.body, dict) and isinstance(case.body.get("name"), str):
        case.body["name"] = tag_name(case.body["name"], run_config.run_tag)
    if case.method.upper() == "DELETE" and case.path_parameters:
        contact_id = case.path_parameters.get("id")
        if contact_id not in client.ledger.created:
            case.path_parameters["id"] = client.unknown_id()


def blame(node, error: BaseException) -> BaseException:
    """Name the requirements behind schemathesis' failed checks on the pytest item, so the report blames the
    right ones (schemathesis re-wraps the exception for its subtests, so the item is where it survives)."""
    failures = getattr(error, "exceptions", None) or [error]
    blamed = node.stash.setdefault(BLAMED, set())
    for failure in failures:
        # built-in failures name their checks; a custom check's failure only names it in its title
        checks = getattr(failure, "checks", ()) or re.findall(r"`(\w+)`", getattr(failure, "title", "")) or [""]
        blamed.update(REQUIREMENT_OF_CHECK.get(check, "SPEC-RESPONSES-CONFORM") for check in checks)
    return error


def spec_cases(operation, run_config) -> list:
    """Schema-valid and schema-invalid requests of one operation, drawn by the run's seed (the same seed draws the
    same cases). They are drawn up front and sent side by side: no replays, so no case meets state its own earlier
    send made."""
    cases = []
    # make_safe points every DELETE at an id made up by this run, so more DELETE draws would send the same request
    count = DELETE_DRAWS if operation.method.upper() == "DELETE" else run_config.profile.examples
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        try:
            cases += draws(operation.as_strategy(generation_mode=mode), count, run_config.seed,
                           f"spec {operation.method} {operation.path} {mode}")
        except hypothesis.errors.Unsatisfiable:
            continue  # no request of this kind exists for the operation (e.g. nothing invalid to send)
    return cases


@pytest.mark.requirement("SPEC-NO-SERVER-ERROR", "SPEC-RESPONSES-CONFORM", "SPEC-POSITIVE-DATA-ACCEPTED",
                         "SPEC-NEGATIVE-DATA-REJECTED", "ERROR-CODE-MATCHES-STATUS")
@pytest.mark.parametrize("operation", ["POST /contacts", "GET /contacts", "DELETE /contacts/{id}"])
def test_spec_operations(api_schema, client, run_config, request, operation):
    method, path = operation.split(" ")
    if method != "GET" and not run_config.allow_writes:
        pytest.skip(f"not checked: this operation writes and {WRITES_OFF}")
    with SCHEMA:
        cases = spec_cases(api_schema[path][method], run_config)
        for case in cases:
            make_safe(case, client, run_config)
    responses = client.gather([lambda case=case: send_case(case, client) for case in cases])
    checks = LIST_CHECKS if method == "GET" else CHECKS
    with SCHEMA:
        for case, response in zip(cases, responses):
            try:
                case.validate_response(response, checks=checks, headers=client.auth_header)
            except (AssertionError, BaseExceptionGroup) as error:
                raise blame(request.node, error)


@pytest.mark.writes
@pytest.mark.requirement("SPEC-NO-SERVER-ERROR", "SPEC-RESPONSES-CONFORM", "DELETE-404-UNKNOWN-ID")
def test_spec_stateful_links(api_schema, client, run_config, request):
    steps = run_config.profile.stateful_steps
    if not steps:
        pytest.skip(f"not checked: the {run_config.profile.name} profile has no stateful phase")

    with SCHEMA:
        machine = api_schema.as_state_machine()

    class Links(machine):
        def before_call(self, case):
            make_safe(case, client, run_config)

        def call(self, case, **kwargs):
            return send_case(case, client)

        def validate_response(self, response, case, additional_checks=(), **kwargs):
            checks = [not_a_server_error, status_code_conformance, json_content_type,
                      response_schema_conformance, use_after_free]
            try:
                case.validate_response(response, checks=checks, headers=client.auth_header)
            except (AssertionError, BaseExceptionGroup) as error:
                raise blame(request.node, error)

    # taken twice: _CallSession gives one back while a request is on the wire, and a stateful run keeps the other
    # (it reseeds the process' `random` around every step)
    with SCHEMA, HYPOTHESIS:
        Links.run(settings=hypothesis.settings(max_examples=max(1, steps // 5), stateful_step_count=5, deadline=None,
                                               database=None, suppress_health_check=list(hypothesis.HealthCheck)))


# Every body keeps the run-tagged name, so a contact created here can always be found and removed by its tag. Its
# list ids carry the checker's prefix and no run tag: a target that makes a list of every id it is sent gets the
# same 50 lists on every run, each named as the checker's.
BOUNDARY_LIST = "lst_zxconf_boundary_{}"
BOUNDARY_BODIES = {
    "empty-lists": {"lists": []},
    "long-name": {"name_prefix": "Maria " * 200},
    "very-long-name": {"name_prefix": "Maria " * 20_000},  # 120 kB: refused (400/413/422) or taken, never a 5xx
    "leading-blanks-name": {"name_prefix": " \t Maria"},
    "many-lists": {"lists": [BOUNDARY_LIST.format(i) for i in range(50)]},
    "repeated-list": {"lists": [BOUNDARY_LIST.format(0)] * 2},  # the schema has no uniqueItems
    "nul-in-name": {"name_prefix": "Maria\u0000Santos"},  # a JSON string may hold U+0000; PostgreSQL text may not
    "shortest-phone": {"phone": "+12"},
    "longest-phone": {},
    "extra-field": {"nickname": "Mia"},
}


@pytest.mark.writes
@pytest.mark.requirement("SPEC-NO-SERVER-ERROR", "JSON-CONTENT-TYPE", "ERROR-BODY-SHAPE", "ERROR-CODE-MATCHES-STATUS")
@pytest.mark.parametrize("edge", list(BOUNDARY_BODIES))
def test_boundary_bodies_never_answer_5xx(new_contact, client, edge):
    """Taken, or refused with a 4xx (a very long body may be too large: 413), never a 5xx; a refusal is the API's
    own error like any other (P: the API always answers with JSON, and every error has the same JSON body)."""
    edge_fields = dict(BOUNDARY_BODIES[edge])
    body = {**new_contact.body(edge_fields.pop("name_prefix", "Boundary")), **edge_fields}
    if edge == "longest-phone":  # 15 digits, still this run's own number
        body["phone"] = "+" + (new_contact.phone()[1:] + "0" * 15)[:15]
    answer = client.create(body)
    expect(answer.status is not None and answer.status < 500,
           f"a schema-valid body with {edge.replace('-', ' ')} answered {answer.status or answer.error}", answer,
           requirement="SPEC-NO-SERVER-ERROR")
    if 400 <= answer.status < 500 and answer.status != 429:
        expect_api_errors([(f"a schema-valid body with {edge.replace('-', ' ')}", answer)], answer.status)
