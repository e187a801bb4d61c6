"""A contact's fields as the docs give them: the id's prefix, created_at (its format and its time), the echo of
what a create sent (name as provided, phone, email, lists), and which emails every validator takes or refuses.
Cases, the model and the traffic judge compare fields through these alone."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from conformance.judgements.http import Judgement, as_key

# ISO 8601 writes a fraction after a full stop or a comma (the comma is its preferred decimal sign), and a date and
# time in its extended format (2026-06-24T10:00:00Z) or its basic one (20260624T100000Z)
ISO8601_UTC = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([.,]\d+)?(Z|[+-]00:?00)"
                         r"|\d{8}T\d{6}([.,]\d+)?(Z|[+-]00(00)?))$")
LEAP_SECOND = re.compile(r"(?<=T23:59:)60|(?<=T2359)60")
END_OF_DAY = re.compile(r"T24(?P<sep>:?)00(?P=sep)00(?=([.,]0+)?[Z+-])")
E164 = re.compile(r"\+[1-9][0-9]{1,14}")  # ASCII digits only; fullmatch, so no trailing newline slips through
# The docs set no length limit: a name longer than this many characters (code points, or UTF-16 units for a target
# that counts those) may be refused with 400/422, an observation; a shorter one must be accepted.
LONG_NAME = 100
CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # and Unicode's line and paragraph separators
DATE_SLACK_S = 5.0  # created_at against the answer's own Date header, plus the request's elapsed time
CLOCK_SLACK_S = 300.0  # created_at against our clock, when the target sends no Date (clocks may be skewed)
ORDER_SLACK_S = 1.0  # a create sent after another was answered: its created_at may be this much earlier, no more
_CLEAR_LOCAL = re.compile(r"[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*")
_CLEAR_DOMAIN = re.compile(r"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")


# --- the id and created_at ------------------------------------------------------------------------------------

def id_problem(contact_id: object) -> str:
    """CREATE-ID-CNT-PREFIX: the id is a string prefixed cnt_."""
    if isinstance(contact_id, str) and contact_id.startswith("cnt_") and len(contact_id) > 4:
        return ""
    return f"id {contact_id!r} is not a string prefixed cnt_"


def created_at_format_problem(stamp: object) -> str:
    """CREATE-CREATED-AT-ISO-UTC: created_at is an ISO 8601 timestamp in UTC, of a day and time that exist."""
    if isinstance(stamp, str) and ISO8601_UTC.match(stamp) and _on_the_calendar(stamp):
        return ""
    return f"created_at {stamp!r} is not an ISO 8601 UTC timestamp (e.g. 2026-06-24T10:00:00Z)"


def _on_the_calendar(stamp: str) -> bool:
    """Month 1-12, a day the month has, hours, minutes and seconds in range; ISO 8601 also writes a leap second
    (23:59:60) and the end of a day (24:00:00), which datetime cannot hold."""
    stamp = END_OF_DAY.sub(r"T23\g<1>59\g<1>59", LEAP_SECOND.sub("59", stamp))
    return parse_instant(stamp) is not None


def parse_instant(stamp: object) -> datetime | None:
    if not isinstance(stamp, str):
        return None
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _date_of(exchange) -> datetime | None:
    try:
        dated = parsedate_to_datetime(exchange.headers.get("date", ""))
    except (TypeError, ValueError):
        return None
    return dated if dated is not None and dated.tzinfo is not None else None


def created_at_problems(exchange, received_at: datetime, later: list = ()) -> list[Judgement]:
    """created_at is when the contact was made, so it stands when it lies between our clock's reading when the
    request was sent (received_at, when the answer was read, less its elapsed time) and when the answer was read,
    each widened by the slack: a slow, busy target that answers late is still right. Otherwise (a target's clock
    may be skewed from ours) it must lie within a few seconds of the answer's own Date header (RFC 9110: when the
    answer was made); without a Date header, within a wide margin of our clock (a SHOULD). A busy server may send
    a cached Date that lags: a created_at ahead of its answer's Date stands when it is also within the slack of the
    next answer's Date (`later`: exchanges of the same run, the first one sent after this answer was read carries
    the server's clock just after it). Only the failed judgements are given."""
    stamp = (exchange.json_or_none() or {}).get("created_at")
    created = parse_instant(stamp)
    if created is None:
        return []  # CREATE-CREATED-AT-ISO-UTC judges the format
    received = received_at.astimezone(timezone.utc)
    sent = received - timedelta(seconds=exchange.elapsed)
    if sent - timedelta(seconds=DATE_SLACK_S + 1) <= created <= received + timedelta(seconds=DATE_SLACK_S + 1):
        return []  # + 1: created_at may have whole-second precision
    dated = _date_of(exchange)
    if dated is not None:
        slack = DATE_SLACK_S + exchange.elapsed + 1  # + 1: either may have whole-second precision
        gap = (created - dated).total_seconds()
        after = next((e for e in later if e.answered_at - e.elapsed >= exchange.answered_at and _date_of(e)), None)
        if gap > slack and after is not None and abs((created - _date_of(after)).total_seconds()) <= (
                slack + after.elapsed):
            return []
        if abs(gap) > slack:
            return [Judgement("CREATE-CREATED-AT-MATCHES-DATE", f"created_at {stamp} is {gap:+.0f} s from the "
                              f"answer's Date header {exchange.headers['date']} (allowed ±{slack:.0f} s)")]
        return []
    gap = (created - received).total_seconds()
    if abs(gap) > CLOCK_SLACK_S:
        return [Judgement("CREATE-CREATED-AT-RECENT", f"created_at {stamp} is {gap:+.0f} s from our clock and the "
                          "answer has no Date header")]
    return []


def created_at_order_problem(creates: list) -> tuple[str, object]:
    """created_at is when the contact was made, so a contact whose create was sent after another's answer was read
    was made later: its created_at is not earlier than the other's (by more than ORDER_SLACK_S: a clock stepped by
    its time service). `creates`: 2xx create exchanges of one run. Two servers stamping with clocks apart break it
    within the Date slack. The first such pair is named, with the later create's exchange; ("", None) when there is
    none."""
    stamped = [(e, created) for e in creates
               if (created := parse_instant((e.json_or_none() or {}).get("created_at"))) is not None]
    # the run's timeline: each create's send and its answer; at the same instant the send comes first (an answer
    # counts only when it was read before the other create was sent)
    timeline = sorted([(e.answered_at - e.elapsed, False, e, created) for e, created in stamped]
                      + [(e.answered_at, True, e, created) for e, created in stamped], key=lambda event: event[:2])
    latest = None  # the answered create of the latest created_at so far
    for _, is_answer, exchange, created in timeline:
        if is_answer:
            if latest is None or created > latest[1]:
                latest = (exchange, created)
        elif latest is not None and (latest[1] - created).total_seconds() > ORDER_SLACK_S:
            earlier = latest[0].json_or_none()
            return (f"contact {(exchange.json_or_none() or {}).get('id')} was created with created_at "
                    f"{exchange.json_or_none()['created_at']}, sent after the create of {earlier.get('id')} was "
                    f"answered with created_at {earlier['created_at']}: the later contact has the earlier creation "
                    "time"), exchange
    return "", None


# --- the echo of what was sent --------------------------------------------------------------------------------

def name_length(name: str) -> int:
    """The length a target may count: code points, or UTF-16 units (astral characters count twice there)."""
    return max(len(name), len(name.encode("utf-16-le")) // 2)


def name_refusable(name: str) -> bool:
    """C names no limit on a name's characters or length: a long one, or one holding a control character (a tab, a
    line break, U+0000) or a line or paragraph separator (U+2028, U+2029), may be refused with 400/422; any other
    name must be taken."""
    return name_length(name) > LONG_NAME or bool(CONTROL_CHARACTER.search(name))


def name_problem(sent: str, answered: object) -> str:
    """CREATE-NAME-AS-PROVIDED: the very code points sent come back (no trimming, collapsing or normalising)."""
    if answered == sent:
        return ""
    return f"name sent {sent!r} ({len(sent)} characters), answered {answered!r}"


def email_matches(sent: str, echoed: object) -> bool:
    """The same address: equal, except that the domain part's case may differ, or an internationalised domain come
    back in its ASCII (xn--) form (both name the same domain; local parts are case-sensitive)."""
    if not isinstance(echoed, str):
        return False
    local, _, domain = sent.rpartition("@")
    echoed_local, _, echoed_domain = echoed.rpartition("@")
    return local == echoed_local and _domain_key(domain) == _domain_key(echoed_domain)


def _domain_key(domain: str) -> str:
    """The domain with each ASCII-compatible (xn--) label decoded, lower-cased. Only decoded: IDNA's encoding would
    also fold text to another (ß to ss, fullwidth letters to ASCII), which is a changed address."""
    return ".".join(_label(label) for label in domain.split(".")).lower()


def _label(label: str) -> str:
    if label[:4].lower() != "xn--" or not label.isascii():
        return label
    try:
        return label[4:].encode("ascii").decode("punycode")
    except UnicodeError:  # not Punycode: compared as text
        return label


def lists_match(sent: list, echoed: object) -> bool:
    """The same list ids, in any order."""
    return isinstance(echoed, list) and {as_key(i) for i in echoed} == set(sent)


def echo_problems(sent: dict, answer: dict) -> list[Judgement]:
    """A create's answer echoes exactly what was sent: name as provided, phone, email (domain case aside) and lists.
    Only the failed judgements are given."""
    found = []
    problem = name_problem(sent["name"], answer.get("name"))
    if problem:
        found.append(Judgement("CREATE-NAME-AS-PROVIDED", problem))
    if answer.get("phone") != sent["phone"]:
        found.append(Judgement("CREATE-ECHOES-FIELDS", f"phone sent {sent['phone']!r}, answered "
                               f"{answer.get('phone')!r}"))
    # an empty string may be taken as no email at all (C: the address "if provided"): its echo is not judged
    if isinstance(sent.get("email"), str) and sent["email"] and not email_matches(sent["email"], answer.get("email")):
        found.append(Judgement("CREATE-ECHOES-FIELDS", f"email sent {sent['email']!r}, answered "
                               f"{answer.get('email')!r}"))
    if sent.get("lists") and not lists_match(sent["lists"], answer.get("lists")):
        found.append(Judgement("CREATE-ECHOES-FIELDS", f"lists sent {sent['lists']!r}, answered "
                               f"{answer.get('lists')!r}"))
    # What the body left out has nothing to echo (C: the email "if provided"; lists, those the contact belongs to,
    # and a create naming none assigns it to none): leaving the field out, null, "" or [] all say so; a value does not
    if not sent.get("email") and answer.get("email") not in (None, ""):
        found.append(Judgement("CREATE-ECHOES-FIELDS", f"no email sent, answered email {answer.get('email')!r}"))
    if not sent.get("lists") and isinstance(answer.get("lists"), list) and answer["lists"]:
        found.append(Judgement("CREATE-ECHOES-FIELDS", f"no lists sent, answered lists {answer['lists']!r}"))
    return found


# --- which emails the docs decide -----------------------------------------------------------------------------

def email_is_clearly_malformed(email: str) -> bool:
    """Malformed for every validator: no @ or two, nothing before or after it, whitespace, a dot at either end of
    the local part or the domain or two in a row. A quoted local part may hold what is malformed elsewhere: no claim
    about it."""
    if '"' in email:
        return False
    local, at, domain = email.rpartition("@")
    return (not at or "@" in local or not local or not domain or any(c.isspace() for c in email)
            or any(part.startswith(".") or part.endswith(".") or ".." in part for part in (local, domain)))


def email_is_clearly_valid(email: str) -> bool:
    """Well-formed for every validator: a dot-atom of ASCII letters, digits and _%+- and a dotted ASCII domain."""
    local, at, domain = email.rpartition("@")
    return bool(at and len(email) <= 254 and len(local) <= 64 and _CLEAR_LOCAL.fullmatch(local)
                and _CLEAR_DOMAIN.fullmatch(domain))
