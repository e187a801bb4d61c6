"""Authentication judged on one exchange: which key a request carried, and that a request without the account's
key (or with one forged from it) is answered 401 before anything else."""
from __future__ import annotations

from conformance.judgements.answers import DOCUMENTED_STATUSES
from conformance.judgements.creates import expected_create
from conformance.judgements.http import GATEWAY, Judgement, operation, query, whole
from conformance.judgements.lists import MAX_PER_PAGE


# Headers some APIs read a key from: the docs name only Authorization and say nothing of these, so a request that
# carries one is not judged as missing its key.
UNNAMED_KEY_HEADERS = frozenset({"x-api-key", "api-key", "x-auth-token"})


def bearer_token(authorization: str) -> str | None:
    """The token of `Bearer <token>`, the scheme in any letter case and any whitespace after it (RFC 9110 §11)."""
    parts = authorization.split(None, 1)
    return parts[1].strip() or None if len(parts) == 2 and parts[0].lower() == "bearer" else None


def key_kind(authorization: str, key: str | None, headers: dict | None = None) -> str:
    """How the request authenticated: "key" (the account's key), "missing" (no Authorization, another scheme, or
    Bearer with nothing), "invalid" (a key made from the account's: one character changed, added or cut, or its
    letters' case swapped: no account holds such a key) or "other" (a key the traffic cannot judge: another
    account's, perhaps, or a key in a header the docs do not name)."""
    token = bearer_token(authorization)
    if token is None:
        unnamed = not authorization and any(name.lower() in UNNAMED_KEY_HEADERS for name in headers or {})
        return "other" if unnamed else "missing"
    if key is None or token == key:
        return "key"
    return "invalid" if near_key(token, key) else "other"


def near_key(token: str, key: str) -> bool:
    if token.swapcase() == key or (len(token) == len(key) and sum(a != b for a, b in zip(token, key)) == 1):
        return True
    return abs(len(token) - len(key)) == 1 and (token.startswith(key) or key.startswith(token))


def asks_for_a_verdict(exchange) -> bool:
    """Whether the request holds something the target could refuse on its data (a body that is not a valid
    contact, paging out of range, a list filter that may name no list, an id that may name no contact):
    unauthenticated, it must still get 401 first."""
    op = operation(exchange.method, exchange.url)
    if op == "delete":
        return True
    if op == "create":
        expected = expected_create(exchange)
        return expected is None or expected.requirement != "CREATE-201-CREATED"
    params = query(exchange.url)
    out_of_range = any(name in params and not (whole(params[name]) or 0) >= 1 for name in ("page", "per_page"))
    return "list_id" in params or out_of_range or (whole(params.get("per_page")) or 0) > MAX_PER_PAGE


def judge_auth(exchange, kind: str) -> list[Judgement]:
    """AUTH-401-*: a request without the key, or with a key forged from it, is answered 401 before anything else."""
    status = exchange.status
    if kind not in ("missing", "invalid") or status is None or status == 429 or status in GATEWAY or operation(
            exchange.method, exchange.url) not in DOCUMENTED_STATUSES:
        return []
    rule = "AUTH-401-MISSING-KEY" if kind == "missing" else "AUTH-401-INVALID-KEY"
    verdict = asks_for_a_verdict(exchange)
    what = "no key" if kind == "missing" else "a key that is not the account's (made from it)"
    if status == 401:
        return [Judgement(rule)] + ([Judgement("AUTH-401-BEFORE-VALIDATION")] if verdict else [])
    if verdict and status in (400, 404, 409, 422):
        return [Judgement("AUTH-401-BEFORE-VALIDATION", f"a request with {what} was judged on its data: {status} "
                                                        f"instead of 401: {exchange.text[:200]}")]
    return [Judgement(rule, f"a request with {what}: expected 401, got {status}: {exchange.text[:200]}")]
