"""POST /contacts: which bodies the docs refuse and with which status (a missing field, JSON that is not, a phone
not in E.164, a malformed email), which inputs must be taken (every region's numbers, JSON's media type in any
spelling), and how the target treats emails the docs leave open.

Each case builds its whole batch of inputs first (every named class of input, plus seeded draws for variety), sends
it side by side and judges the answers in input order: the first broken rule in that order is the headline."""
from __future__ import annotations

import json
import random
import re
import zlib
from urllib.parse import urlencode

import pytest

from conformance import grid
from conformance.judgements import CODES, created_id, email_matches, error_code_problem, is_success, lists_match
from conformance.plugin.support import expect_created
from conformance.results import expect, expect_status
from conformance.strategies import (AMBIGUOUS_EMAILS, INVALID_PHONE_CLASSES, LONGEST_PHONE_PREFIXES,
                                    MALFORMED_EMAIL_CLASSES, NON_ASCII_DIGIT_PHONES, NON_STRING_PHONES,
                                    SHORTEST_PHONE_REGIONS, e164_15_digits, every_class, phone_regions)

pytestmark = [pytest.mark.create, pytest.mark.writes]
DOCS_BAD_PHONES = [("local_format", "0912345678"), ("spaces", "+244 912 345 678")]
MISSING_FIELDS = [("name",), ("phone",), ("name", "phone")]


def damaged_json(valid: str) -> dict[str, bytes]:
    """Bodies that are not JSON, or not a JSON object, each a lenient parser could still read as the valid body;
    JSON is UTF-8 (RFC 8259 §8.1), so Latin-1 bytes are none."""
    damaged = {"truncated": valid[:-10], "form-encoded": urlencode(json.loads(valid)),
               "trailing-comma": valid[:-1] + ",}", "empty": "", "single-quotes": valid.replace('"', "'"),
               "unquoted-keys": re.sub(r'"(\w+)":', r"\1:", valid), "top-level-array": f"[{valid}]",
               "trailing-garbage": f"{valid} xyz", "two-objects": valid + valid, "comment": "{/* note */" + valid[1:],
               "raw-line-break-in-a-string": valid[:-1] + ', "note": "line\nbreak"}'}
    return {**{damage: raw.encode() for damage, raw in damaged.items()},
            "Latin-1-bytes": (valid[:-1] + ', "note": "Jos\u00e9"}').encode("latin-1", "replace")}


def expect_documented_codes(whats: list[str], answers: list) -> None:
    """C: each error status has its one code (ERROR-CODE-MATCHES-STATUS), judged on the errors of this case's own
    paths: error_samples provoke one 400 by a truncated body and a 422 by a bad email, not these (a body that is
    JSON but no object, say, may meet a schema check of its own)."""
    for what, answer in zip(whats, answers):
        if answer.status in CODES:
            problem = error_code_problem(answer)
            expect(not problem, f"{what}: {problem}", answer, requirement="ERROR-CODE-MATCHES-STATUS")


@pytest.mark.requirement("CREATE-201-CREATED")
def test_json_in_any_spelling_of_its_media_type_is_created(new_contact, client):
    """P: request bodies are JSON, sent with Content-Type: application/json. Each spelling of grid.JSON_CONTENT_TYPES
    (other letter case, a charset parameter) names that same type, so a valid contact sent with it is created."""
    bodies = {ctype: new_contact.body("Content Type") for ctype in grid.JSON_CONTENT_TYPES}
    answers = client.gather([lambda b=body, c=ctype: client.create(b, headers={"Content-Type": c})
                             for ctype, body in bodies.items()])
    for ctype, answer in zip(bodies, answers):
        expect_status(answer, {201}, f"a valid contact sent with Content-Type: {ctype}")


@pytest.mark.requirement("CREATE-201-CREATED")
def test_create_sent_with_expect_100_continue_is_created(new_contact, client):
    """C: POST /contacts adds a contact, answered 201 Created. curl, whose command the docs show, sends a large body
    after Expect: 100-continue; HTTP/1.1 has the server answer that with 100 (Continue) or with the request's own
    final status (RFC 9110 §10.1.1), so a valid contact sent with it is created like any other."""
    answer = client.create(new_contact.body("Expect Continue"),
                           headers={"Content-Type": "application/json", "Expect": "100-continue"})
    expect_status(answer, {201}, "a valid contact sent with Expect: 100-continue")


@pytest.mark.requirement("CREATE-400-MISSING-FIELD", "ERROR-CODE-MATCHES-STATUS")
def test_missing_required_field_is_400_invalid_request(new_contact, client):
    """A body without name or phone, or with them under names in another letter case, is 400; a name given as null
    has no value either: 400, or 422 for a present field of the wrong kind, never a contact."""
    bodies = [{k: v for k, v in new_contact.body("Missing Field", email="missing@example.com").items() if k not in gone}
              for gone in MISSING_FIELDS]
    # the required fields under names in another letter case: JSON names are case-sensitive, so these are missing
    renamed = {spelling: {rename(k) if k in ("name", "phone") else k: v for k, v in
                          new_contact.body("Field Case", email="case@example.com").items()}
               for spelling, rename in (("Name and Phone", str.capitalize), ("NAME and PHONE", str.upper))}
    null_name = {**new_contact.body("Null Name"), "name": None}
    answers = client.gather([lambda b=body: client.create(b) for body in [*bodies, *renamed.values(), null_name]])
    whats = [f"a body without {' and '.join(gone)}" for gone in MISSING_FIELDS] + [
        f"a body with {spelling} for name and phone" for spelling in renamed] + ["a body whose name is null"]
    allowed = [{400}] * (len(whats) - 1) + [{400, 422}]
    for what, statuses, answer in zip(whats, allowed, answers):
        expect_status(answer, statuses, what, requirement="CREATE-400-MISSING-FIELD")
    expect_documented_codes(whats, answers)


@pytest.mark.requirement("CREATE-400-MALFORMED-JSON", "ERROR-CODE-MATCHES-STATUS")
def test_malformed_json_is_400_invalid_request(client, new_contact):
    damaged = damaged_json(json.dumps(new_contact.body("Malformed"), ensure_ascii=False))
    answers = client.gather([lambda raw=raw: client.call("POST", "/contacts", data=raw) for raw in damaged.values()])
    whats = [f"the {damage} body {raw[:120]!r}" for damage, raw in damaged.items()]
    for what, answer in zip(whats, answers):
        expect_status(answer, {400}, what, requirement="CREATE-400-MALFORMED-JSON")
    expect_documented_codes(whats, answers)


@pytest.mark.requirement("CREATE-422-PHONE-NOT-E164", "ERROR-CODE-MATCHES-STATUS")
def test_phone_not_e164_is_422_validation_error(new_contact, client, run_config):
    per_class = max(1, run_config.profile.examples // 10)
    cases = list(dict.fromkeys((kind, json.dumps(phone)) for kind, phone in DOCS_BAD_PHONES + every_class(
        {**INVALID_PHONE_CLASSES, **NON_ASCII_DIGIT_PHONES, **NON_STRING_PHONES}, per_class, run_config.seed,
        "phones:invalid")))
    bodies = [{**new_contact.body("Bad Phone"), "phone": json.loads(phone)} for _, phone in cases]
    answers = client.gather([lambda b=body: client.create(b) for body in bodies])
    for (kind, _), body, answer in zip(cases, bodies, answers):
        phone = body["phone"]
        allowed = {422} if isinstance(phone, str) and phone else {400, 422}  # "" may count as missing
        expect_status(answer, allowed, f"phone {phone!r} ({kind})", requirement="CREATE-422-PHONE-NOT-E164")
    expect_documented_codes([f"phone {body['phone']!r} ({kind})" for (kind, _), body in zip(cases, bodies)], answers)


@pytest.mark.requirement("CREATE-422-EMAIL-MALFORMED")
def test_malformed_email_is_422_validation_error(new_contact, client, run_config):
    per_class = max(1, run_config.profile.examples // 10)
    cases = list(dict.fromkeys([("no_at", "maria.example.com")] + every_class(
        MALFORMED_EMAIL_CLASSES, per_class, run_config.seed, "emails:malformed")))
    bodies = [new_contact.body("Bad Email", email=email) for _, email in cases]
    answers = client.gather([lambda b=body: client.create(b) for body in bodies])
    for (kind, email), answer in zip(cases, answers):
        expect_status(answer, {422}, f"email {email!r} ({kind})")


@pytest.mark.requirement("CREATE-VALID-PHONE-ACCEPTED")
def test_e164_phones_of_every_region_are_accepted(new_contact, run_config):
    count = run_config.profile.phone_regions or len(phone_regions())
    regions = phone_regions()[:count]
    rng = random.Random(run_config.seed ^ zlib.crc32(b"phones:15-digits"))
    longest = {kind: e164_15_digits(prefix, rng.randrange(2**32)) for kind, prefix in LONGEST_PHONE_PREFIXES.items()}
    new_contact.used.update(longest.values())
    shortest = [region for region in SHORTEST_PHONE_REGIONS if region not in regions]
    bodies = [new_contact.body(f"Region {region}", region=region) for region in [*regions, *shortest]] + [
        {**new_contact.body(f"Longest {kind}"), "phone": phone} for kind, phone in longest.items()]
    kinds = [f"a valid number of region {region}" for region in regions] + [
        f"a valid number of region {region}, of 7 digits (the shortest any region has)" for region in shortest] + [
        f"a valid {kind.replace('_', ' ')} number of 15 digits (E.164's maximum)" for kind in longest]
    for kind, contact in zip(kinds, new_contact.create_all(bodies)):
        expect_created(contact.exchange, f"{contact.body['phone']}, {kind}")


@pytest.mark.requirement("CREATE-ECHOES-FIELDS")
def test_lists_of_another_json_type_join_no_list_they_do_not_name(new_contact, run_config):
    """C: lists is "an array of contact list IDs to assign this contact to"; the docs do not say what a string in its
    place, or a null among the ids, does. A target may refuse either (400/422), or take the ids it names (the
    string as one id, the array without its null) or none of them; the contact never belongs to a list the body does
    not name, as when a handler iterates the string (its characters as list ids) or stores str(None)."""
    list_id = run_config.run_list("types")
    shapes = {f"the string {list_id!r}": list_id, f"[{list_id!r}, null]": [list_id, None]}
    created = new_contact.create_all([new_contact.body("Lists Types", lists=lists) for lists in shapes.values()])
    for what, contact in zip(shapes, created):
        if created_id(contact.exchange) is None:
            expect_status(contact.exchange, {400, 409, 422}, f"lists given as {what}")
            continue
        echoed = contact.response.get("lists")
        expect(echoed in (None, []) or lists_match([list_id], echoed),
               f"lists given as {what}, echoed {echoed!r}: lists the create did not name", contact.exchange)


@pytest.mark.requirement("OBSERVE-AMBIGUOUS-EMAILS", "CREATE-ECHOES-FIELDS")
def test_ambiguous_emails_are_observed(new_contact, observe):
    """Addresses only some validators take (a quoted local part, an IP literal, a length past 254): taking or
    refusing each is observed, and one taken comes back as sent (an empty one may be taken as no email)."""
    created = new_contact.create_all([new_contact.body("Ambiguous Email", email=email)
                                      for email in AMBIGUOUS_EMAILS.values()])
    for (kind, email), contact in zip(AMBIGUOUS_EMAILS.items(), created):
        status = contact.exchange.status
        observe(f"{kind} {email[:80]!r}: " + {201: "accepted", 422: "rejected (422)"}.get(status, f"answered {status}"))
        if email and created_id(contact.exchange) is not None:
            echoed = contact.response.get("email")
            expect(email_matches(email, echoed), f"email sent {email!r} ({kind}), taken with {status} and echoed "
                   f"{echoed!r}", contact.exchange, requirement="CREATE-ECHOES-FIELDS")


@pytest.mark.requirement("CREATE-422-PHONE-NOT-E164", "CREATE-422-EMAIL-MALFORMED")
def test_a_field_named_twice_never_creates_its_refused_value(new_contact, client):
    """RFC 8259 §4 leaves a name repeated in an object to the parser: a target may refuse such a body (400), or read
    either value and answer as the docs say for that one. A body naming phone twice, once in local format, or email
    twice, once malformed, is refused or creates a contact with the other value: never one whose stored phone is the
    local one (C: 422) or whose email is the malformed one (C: 422), as when one layer checks the first value and
    another stores the last."""
    bad = {"phone": "0912345678", "email": "repeated.example.com"}
    cases = []
    for field in ("phone", "email"):
        for order in ("first", "last"):
            body = new_contact.body("Repeated Key", email="repeated@example.com")
            text = json.dumps(body, ensure_ascii=False)
            extra = f'"{field}": {json.dumps(bad[field])}'
            raw = f"{{{extra}, {text[1:]}" if order == "first" else f"{text[:-1]}, {extra}}}"
            cases.append((field, f"a body naming {field} twice, {bad[field]!r} {order} and {body[field]!r} "
                                 f"{'last' if order == 'first' else 'first'}", raw))
    answers = client.gather([lambda raw=raw: client.call("POST", "/contacts", data=raw.encode()) for *_, raw in cases])
    for (field, what, _), answer in zip(cases, answers):
        requirement = "CREATE-422-PHONE-NOT-E164" if field == "phone" else "CREATE-422-EMAIL-MALFORMED"
        if not is_success(answer.status):  # 409: the account may hold the valid phone the target read
            expect_status(answer, {400, 409, 422}, what, requirement=requirement)
            continue
        created = answer.json_or_none()
        echoed = created.get(field) if isinstance(created, dict) else None
        expect(echoed != bad[field], f"{what}: created ({answer.status}) with {field} {echoed!r}", answer,
               requirement=requirement)
