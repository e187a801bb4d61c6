"""A create judged on what it sent: the statuses the docs allow for its body (Expected), and what a 2xx answered
(the id, created_at, the echo). Only what the docs make certain from the exchange alone is judged: a body whose
fields the docs do not decide (a name of 300 characters, a list id, an address only some validators take) makes no
claim about its status."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

import phonenumbers

from conformance.judgements.contacts import (E164, created_at_format_problem, created_at_problems, echo_problems,
                                             email_is_clearly_malformed, email_is_clearly_valid, id_problem,
                                             name_refusable, parse_instant)
from conformance.judgements.answers import is_json_type
from conformance.judgements.http import (GATEWAY, Judgement, body_known, is_success, repeats_a_name,
                                         strict_json)


@dataclass(frozen=True)
class Expected:
    """What the docs allow as the answer to a create body: the statuses, and the requirement that names them."""
    requirement: str
    statuses: frozenset[int]
    what: str


ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def expected_create(exchange) -> Expected | None:
    """The statuses the docs allow for the body a create sent, or None when the docs do not decide it (a field of a
    type they do not name, a list id, an address only some validators take, a body that was not recorded)."""
    ctype = next((v for k, v in exchange.request_headers.items() if k.lower() == "content-type"), "")
    if ctype and not is_json_type(ctype):
        return None
    if exchange.request_body is None:
        return None  # a recording may leave a body out: nothing is known of what was sent
    try:
        body = strict_json(exchange.request_body)
    except ValueError:
        return Expected("CREATE-400-MALFORMED-JSON", frozenset({400}), "a body that is not JSON")
    if not isinstance(body, dict):
        return Expected("CREATE-400-MALFORMED-JSON", frozenset({400}), "a JSON body that is not an object")
    if ESCAPED_SURROGATE.search(exchange.request_body):
        return None  # an escaped surrogate may be a lone one, no text: a target may refuse it or take it
    if repeats_a_name(exchange.request_body):
        return None  # which of a repeated name's values counts is the parser's call (the input cases judge it)
    problems: list[tuple[str, set[int], str]] = []
    undecided = False
    missing = [name for name in ("name", "phone") if name not in body]
    if missing:
        problems.append(("CREATE-400-MISSING-FIELD", {400}, f"no {' and no '.join(missing)}"))
    name = body.get("name")
    if "name" in body and not (isinstance(name, str) and name and not name_refusable(name)):
        undecided = True
    phone = body.get("phone")
    phone_valid = False
    if "phone" in body:
        if not isinstance(phone, str) or not phone:
            problems.append(("CREATE-422-PHONE-NOT-E164", {400, 422}, f"phone {phone!r}"))
        elif not E164.fullmatch(phone):
            problems.append(("CREATE-422-PHONE-NOT-E164", {422}, f"phone {phone!r}, not in E.164 format"))
        else:
            try:
                phone_valid = phonenumbers.is_valid_number(phonenumbers.parse(phone))
            except phonenumbers.NumberParseException:
                phone_valid = False
            undecided |= not phone_valid  # E.164 in form; whether the number exists is the target's call
    email = body.get("email")
    if "email" in body:
        if isinstance(email, str) and email and email_is_clearly_malformed(email):
            problems.append(("CREATE-422-EMAIL-MALFORMED", {422}, f"the malformed email {email!r}"))
        elif not (isinstance(email, str) and email_is_clearly_valid(email)):
            undecided = True
    lists = body.get("lists")
    if "lists" in body and lists != []:
        undecided = True  # list ids that name no list may be refused (400, 404 or 422): the docs are silent
    if set(body) - {"name", "phone", "email", "lists"}:
        undecided = True
    if not problems:
        if undecided:
            return None
        return Expected("CREATE-201-CREATED", frozenset({201, 409}), "a valid contact")
    statuses = set().union(*(codes for _, codes, _ in problems))
    if phone_valid:
        statuses.add(409)  # with another problem, the documented code of either is right (the phone may exist)
    if undecided:
        statuses |= {400, 404, 422}
    what = " and ".join(what for _, _, what in problems)
    requirement = problems[0][0] if len(problems) == 1 else "CREATE-TWO-PROBLEMS-DOCUMENTED-CODE"
    return Expected(requirement, frozenset(statuses), f"a body with {what}")


def judge_create(exchange) -> list[Judgement]:
    """An authenticated create: the status the docs give for what was sent, and what a 2xx answered."""
    out = []
    expected = expected_create(exchange)
    status = exchange.status
    if expected is None and is_success(status):
        expected = Expected("CREATE-201-CREATED", frozenset({201}), "a body the target took")  # made: 201 Created
    if expected is not None and status not in (401, 429) and status not in GATEWAY:
        if status in expected.statuses:
            out.append(Judgement(expected.requirement))
        else:
            requirement = expected.requirement
            if requirement == "CREATE-201-CREATED" and status in (400, 422):
                requirement = _refused_field(exchange)
            allowed = " or ".join(map(str, sorted(expected.statuses)))
            out.append(Judgement(requirement, f"{expected.what}: expected {allowed}, got {status}: "
                                              f"{exchange.text[:200]}"))
    if is_success(status) and body_known(exchange) and isinstance(exchange.json_or_none(), dict):
        out += _created(exchange)
    return out


def _refused_field(exchange) -> str:
    """Which rule a refused valid body breaks: the field the error names, else the plain 201 rule."""
    body = exchange.json_or_none()
    said = json.dumps(body, ensure_ascii=False).lower() if isinstance(body, dict) else exchange.text.lower()
    sent = strict_json(exchange.request_body)
    if "email" in sent and "email" in said and "phone" not in said:
        return "CREATE-VALID-EMAIL-ACCEPTED"
    if "phone" in said and "email" not in said:
        return "CREATE-VALID-PHONE-ACCEPTED"
    return "CREATE-201-CREATED"


def _created(exchange) -> list[Judgement]:
    answer = exchange.json_or_none()
    out = [Judgement("CREATE-ID-CNT-PREFIX", id_problem(answer.get("id"))),
           Judgement("CREATE-CREATED-AT-ISO-UTC", created_at_format_problem(answer.get("created_at")))]
    try:
        sent = strict_json(exchange.request_body or "")
    except ValueError:
        return out
    if repeats_a_name(exchange.request_body or ""):
        return out  # which value of a repeated name was sent is the parser's call
    if isinstance(sent, dict) and isinstance(sent.get("name"), str) and isinstance(sent.get("phone"), str) and (
            "email" not in sent or isinstance(sent["email"], str)) and (
            "lists" not in sent or isinstance(sent["lists"], list)):
        found = {j.requirement: j.problem for j in echo_problems(sent, answer)}
        for requirement in ("CREATE-ECHOES-FIELDS", "CREATE-NAME-AS-PROVIDED"):
            out.append(Judgement(requirement, found.get(requirement, "")))
    return out


def judge_created_at(exchange, received_at, later: list = ()) -> list[Judgement]:
    """CREATE-CREATED-AT-MATCHES-DATE (and, without a Date header, CREATE-CREATED-AT-RECENT) of a 2xx create."""
    answer = exchange.json_or_none()
    if not isinstance(answer, dict) or parse_instant(answer.get("created_at")) is None:
        return []
    rule = "CREATE-CREATED-AT-MATCHES-DATE" if exchange.headers.get("date") else "CREATE-CREATED-AT-RECENT"
    return created_at_problems(exchange, received_at, later) or [Judgement(rule)]

