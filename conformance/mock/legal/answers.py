"""Legal variants of how answers are framed and encoded, error bodies included."""
from __future__ import annotations

import gzip
import itertools
import json
import random
from typing import Any

from starlette.responses import Response, StreamingResponse

from conformance.mock.registry import only, variant


def _headers_for_new_body(response: Response) -> dict[str, str]:
    """The answer's headers for a body re-encoded or re-framed: its Content-Length no longer holds."""
    return {k: v for k, v in response.headers.items() if k != "content-length"}


def _pretty_ascii_json(response: Response, **_: Any) -> Response:
    if not response.headers.get("content-type", "").startswith("application/json") or not response.body:
        return response
    body = json.dumps(json.loads(response.body), indent=2, ensure_ascii=True).encode()
    headers = _headers_for_new_body(response)
    return Response(body, status_code=response.status_code, headers=headers)


def _gzip(response: Response, request: Any, **_: Any) -> Response:
    if "gzip" not in request.headers.get("accept-encoding", "") or not getattr(response, "body", b""):
        return response
    headers = _headers_for_new_body(response)
    # mtime=0: the same answer is the same bytes (by default gzip stamps the second it compressed)
    return Response(gzip.compress(response.body, mtime=0), status_code=response.status_code,
                    headers={**headers, "content-encoding": "gzip", "vary": "Accept-Encoding"})


def _connection_close(response: Response, **_: Any) -> Response:
    response.headers["connection"] = "close"
    return response


def _chunked(response: Response, size: int = 64) -> Response:
    """The answer sent with Transfer-Encoding: chunked, `size` bytes a chunk, no Content-Length."""
    body = getattr(response, "body", b"")
    if not body:
        return response
    return StreamingResponse(iter([body[i:i + size] for i in range(0, len(body), size)]),
                             status_code=response.status_code, headers=_headers_for_new_body(response))


def _every_answer_labelled_latin1(response: Response, **_: Any) -> Response:
    """A filter sets one Content-Type on every answer, a 204 too, and JSON is written with every character beyond
    ASCII as a \\u escape (Jackson's ESCAPE_NON_ASCII)."""
    if response.status_code == 204:
        response.headers["content-type"] = "application/json;charset=ISO-8859-1"
        return response
    if not response.headers.get("content-type", "").startswith("application/json") or not response.body:
        return response
    body = json.dumps(json.loads(response.body), separators=(",", ":")).encode()
    headers = {**_headers_for_new_body(response), "content-type": "application/json;charset=ISO-8859-1"}
    return Response(body, status_code=response.status_code, headers=headers)


def _chunked_lists(response: Response, operation: str, **_: Any) -> Response:
    return _chunked(response) if operation == "list" and response.status_code == 200 else response


def _load_balancer_cookie(response: Response, **_: Any) -> Response:
    response.headers.append("set-cookie", f"lb=node{random.randrange(1, 5)}; Path=/; HttpOnly")
    return response


def _location_header(response: Response, **_: Any) -> Response:
    if response.status_code == 201:
        response.headers["location"] = f"/v1/contacts/{json.loads(response.body)['id']}"
    return response


def _as_problem_json(answer: Response) -> Response:
    if answer.status_code >= 400 and answer.headers.get("content-type", "").startswith("application/json"):
        answer.headers["content-type"] = "application/problem+json"
    return answer


def _labelled_json(answer: Response) -> Response:
    answer.headers["Content-Type"] = "application/json"
    return answer


variant("bare_error_bodies", "Error bodies carry only error and message (P: details optional, request_id "
        "expected but not promised).",
        only("error_body", lambda body, **_: {"error": body["error"], "message": body["message"]}))
variant("details_null", "Error bodies carry details: null (P: details is optional and free-form).",
        only("error_body", lambda body, **_: {**body, "details": None}))
variant("problem_json_errors", "Error answers carry their usual flat JSON body as application/problem+json "
        "(P: the API answers with JSON; +json is JSON, RFC 6839).",
        only("response", lambda answer, **_: _as_problem_json(answer)))
variant("pretty_ascii_json", "JSON bodies are pretty-printed and every non-ASCII character is a \\u escape (the "
        "same JSON values).", only("response", _pretty_ascii_json))
variant("gzip_responses", "Answers are gzip-encoded when the client accepts gzip (HTTP content coding; the body "
        "is still JSON).", only("response", _gzip))
variant("connection_close", "Every answer carries Connection: close (no keep-alive; the docs say nothing of "
        "connections).", only("response", _connection_close))
variant("chunked_lists", "List answers are sent with Transfer-Encoding: chunked, no Content-Length.",
        only("response", _chunked_lists))
variant("location_header", "201 answers carry a Location header naming the new contact (extra headers are "
        "allowed).", only("response", _location_header))
variant("load_balancer_cookie", "Every answer sets a load balancer's cookie (P: the API uses no cookies; a proxy "
        "in front of it may set one all the same, and the API must not depend on it).",
        only("response", _load_balancer_cookie))
variant("not_acceptable_406", "A list request whose Accept names no JSON type is answered 406 with the usual JSON "
        "error body (HTTP content negotiation; the answer is still JSON).",
        only("accept_acceptable", lambda ok, accept, **_: ok and (
            not accept or "json" in accept.lower() or "*/*" in accept or "application/*" in accept.lower())))
variant("error_details_text", "Error bodies carry details as a sentence, not an object (P: details is additional "
        "context, optional and free-form).",
        only("error_body", lambda body, **_: {**body, "details": "; ".join(f"{k}: {v}" for k, v in (
            body.get("details") or {}).items()) or "none"}))
variant("chunked_answers", "Every answer with a body, errors too, is sent with Transfer-Encoding: chunked in 256-byte "
        "chunks, no Content-Length (HTTP/1.1 framing; the docs say nothing of it).",
        only("response", lambda response, **_: _chunked(response, 256)))
variant("every_answer_labelled_latin1", "Every answer, a 204 too, says Content-Type: application/json;charset="
        "ISO-8859-1 while JSON bodies write each character beyond ASCII as a \\u escape: the bytes are ASCII, so "
        "UTF-8 too (RFC 8259 §11: a charset parameter has no effect on JSON), and a 204 still has an empty body.",
        only("response", _every_answer_labelled_latin1))
variant("no_content_labelled_json", "A 204 carries Content-Type: application/json beside its empty body (a framework "
        "that labels every answer of a JSON controller; P: a 204 has no body at all, and it has none).",
        only("response", lambda answer, **_: _labelled_json(answer) if answer.status_code == 204 else answer))
variant("request_id_as_number", "Error bodies carry request_id as a number from a sequence (48213), not a string (P: "
        "request_id is the unique id of the request; it names no type, and its req_ example is ours).",
        lambda: (lambda counter: {"error_body": lambda body, **_: {**body, "request_id": next(counter)}
                                  if "request_id" in body else body})(itertools.count(48213)))
