"""Faults on the wire: the Content-Type of answers, and the Content-Type (with its charset) and Accept a request may
carry."""
from __future__ import annotations

import contextvars
import html
import json
import re
from collections.abc import Callable
from typing import Any

from starlette.responses import HTMLResponse, Response

from conformance.mock.registry import Hooks, fault, only

BODY_LIMIT = 65_536
CHARSET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9+:_.-]*")  # what java.nio.charset.Charset takes as a name
# Whether the request being handled carried a charset parameter, for its later hooks (each request is a task of its
# own, so a context variable set by one hook is seen by the later hooks of that request only)
_charset_given: contextvars.ContextVar[bool] = contextvars.ContextVar("charset_given", default=False)


def _content_type(condition: Callable[[Any, str], bool], ctype: str) -> Callable[[], Hooks]:
    def hook(response, operation, **_):
        if condition(response, operation):
            response.headers["content-type"] = ctype
        return response
    return only("response", hook)


def _charset_read_as_latin1() -> Hooks:
    def accepted(ok: bool, content_type: str, **_: Any) -> bool:
        _charset_given.set("charset=" in content_type.lower().replace(" ", ""))
        return ok

    def parser(parse, **_: Any):
        return lambda raw: json.loads(raw.decode("latin-1")) if _charset_given.get() else parse(raw)
    return {"content_type_accepted": accepted, "parse_json": parser}


def _html_for_browsers(response, request, operation, **_):
    if operation != "list" or response.status_code != 200 or not request.headers.get("accept", "").startswith(
            "text/html"):
        return response
    items = "".join(f"<li>{html.escape(c.get('name', ''))}</li>" for c in json.loads(response.body)["data"])
    return HTMLResponse(f"<html><body><ul>{items}</ul></body></html>")


def _unauthorized_html_page(response, **_):
    if response.status_code != 401:
        return response
    return HTMLResponse("<html><body><h1>401 Authorization Required</h1></body></html>", status_code=401)


fault("charset_param_refused_415", "A create whose Content-Type is not exactly application/json (a charset "
      "parameter, other letter case) is answered 415.",
      only("content_type_accepted", lambda ok, content_type, **_: ok and content_type == "application/json"),
      "CREATE-201-CREATED")
fault("charset_param_read_as_latin1", "A body whose Content-Type carries a charset parameter is decoded as "
      "ISO-8859-1 whatever the parameter says: João sent as UTF-8 is stored as JoÃ£o.",
      _charset_read_as_latin1, "CREATE-NAME-AS-PROVIDED")
fault("html_for_browsers", "A list request whose Accept asks for text/html first (a browser's) is answered with "
      "an HTML page of the contacts (P: the API always answers with JSON).", only("response", _html_for_browsers),
      "JSON-CONTENT-TYPE")
fault("accept_compared_exactly_406", "A list request whose Accept is not absent, */* or exactly application/json "
      "(a parameter, a range, a list) is answered 406.",
      only("accept_acceptable", lambda ok, accept, **_: ok and accept in ("", "*/*", "application/json")),
      "LIST-RESPONSE-SHAPE")
fault("list_content_type_html", "Successful list answers say Content-Type: text/html.",
      only("list_content_type", lambda ctype, **_: "text/html; charset=utf-8"), "JSON-CONTENT-TYPE",
      also=("SPEC-RESPONSES-CONFORM",))
fault("errors_text_plain", "Error answers carry their JSON with Content-Type: text/plain.",
      _content_type(lambda response, _op: response.status_code >= 400, "text/plain; charset=utf-8"),
      "JSON-CONTENT-TYPE", also=("SPEC-RESPONSES-CONFORM",))
fault("created_text_plain", "201 answers carry their JSON with Content-Type: text/plain.",
      _content_type(lambda response, _op: response.status_code == 201, "text/plain; charset=utf-8"),
      "JSON-CONTENT-TYPE", also=("SPEC-RESPONSES-CONFORM",))
fault("unauthorized_html_page", "401 is answered by a gateway's HTML page, not JSON.",
      only("response", _unauthorized_html_page), "JSON-CONTENT-TYPE",
      also=("ERROR-BODY-SHAPE", "ERROR-CODE-MATCHES-STATUS", "SPEC-RESPONSES-CONFORM"))


def _byte_order_mark(response, **_):
    """A writer set to UTF-8 with a signature (.NET's Encoding.UTF8) puts EF BB BF before every JSON body."""
    body = getattr(response, "body", b"")
    if not body or not response.headers.get("content-type", "").startswith("application/json"):
        return response
    headers = {k: v for k, v in response.headers.items() if k != "content-length"}
    return Response(b"\xef\xbb\xbf" + body, status_code=response.status_code, headers=headers)


def _conflict_without_content_type(response, **_):
    """The database's unique-violation handler writes the error's bytes without a Content-Type."""
    if response.status_code != 409:
        return response
    headers = {k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")}
    return Response(response.body, status_code=409, headers=headers)


fault("json_answers_with_bom", "Every JSON answer starts with a UTF-8 byte order mark (RFC 8259 §8.1: a JSON text "
      "sent over a network carries none).", only("response", _byte_order_mark), "JSON-CONTENT-TYPE",
      also=("CREATE-201-CREATED", "CREATE-NAME-AS-PROVIDED", "ERROR-BODY-SHAPE", "ERROR-CODE-MATCHES-STATUS",
            "LIST-RESPONSE-SHAPE", "SPEC-NO-SERVER-ERROR", "SPEC-RESPONSES-CONFORM"))
fault("conflict_without_content_type", "409 answers carry their JSON body with no Content-Type header.",
      only("response", _conflict_without_content_type), "JSON-CONTENT-TYPE", also=("SPEC-RESPONSES-CONFORM",))


def _latin1_json(response: Response, **_: Any) -> Response:
    """The answer's JSON written in ISO-8859-1, a servlet container's default response encoding, and declared so;
    characters beyond it are \\u escapes, as Jackson writes them for an encoding that lacks them."""
    if not response.headers.get("content-type", "").startswith("application/json") or not response.body:
        return response
    text = json.dumps(json.loads(response.body), ensure_ascii=False, separators=(",", ":"))
    escaped = "".join(c if ord(c) < 256 else json.dumps(c)[1:-1] for c in text)
    headers = {k: v for k, v in response.headers.items() if k != "content-length"}
    return Response(escaped.encode("latin-1"), status_code=response.status_code,
                    headers={**headers, "content-type": "application/json;charset=ISO-8859-1"})


fault("json_answers_in_latin1", "JSON answers are encoded in ISO-8859-1 and say so (application/json;charset="
      "ISO-8859-1, a servlet container's default): João goes out as the byte E3, which a client reading JSON as "
      "UTF-8 (RFC 8259 §8.1) cannot decode.", only("response", _latin1_json), "JSON-CONTENT-TYPE")


def _charset_as_written(ok: bool, content_type: str, **_: Any) -> bool:
    """The charset is the text after 'charset=' up to the next ';', looked up as written, as Java's Charset.forName
    does: a quoted value (RFC 9110 §5.6.6 allows one) is an illegal charset name, and the body is refused as of an
    unsupported media type."""
    _, found, rest = content_type.partition("charset=")
    return ok and (not found or bool(CHARSET_NAME.fullmatch(rest.split(";")[0].strip())))


fault("quoted_charset_refused_415", "A create whose Content-Type gives the charset as a quoted string "
      "(application/json; charset=\"utf-8\") is answered 415: the parameter's value is looked up as a charset name "
      "quotes and all.", only("content_type_accepted", _charset_as_written), "CREATE-201-CREATED")
fault("media_type_unstripped_415", "A create whose Content-Type has whitespace before the ';' (application/json "
      ";charset=utf-8, RFC 9110 §5.6.6) is answered 415: the type is split off at ';' and compared unstripped.",
      only("content_type_accepted", lambda ok, content_type, **_: ok and content_type.split(";")[0].lower() in (
          "application/json", "")), "CREATE-201-CREATED")
fault("accept_compared_case_sensitively_406", "A list request whose Accept names JSON in other letters than "
      "application/json (Application/JSON; media types are case-insensitive, RFC 9110 §8.3.1) is answered 406.",
      only("accept_acceptable", lambda ok, accept, **_: ok and (
          not accept or "application/json" in accept or "*/*" in accept or "application/*" in accept)),
      "LIST-RESPONSE-SHAPE")

fault("expect_continue_refused_417", "A create sent with Expect: 100-continue (curl sends it before a large body) is "
      "refused by a proxy in front of the API with 417 Expectation Failed (RFC 9110 §10.1.1: a server answers "
      "100-continue with 100 or with the request's final status), so a valid contact is not created.",
      only("expectation_met", lambda met, request, **_: met and request.headers.get("expect", "").lower()
           != "100-continue"),
      "CREATE-201-CREATED")


def _proxy_413_page() -> Hooks:
    """A proxy in front of the API limits bodies to 64 kB and refuses a larger one with its own HTML page (nginx's
    client_max_body_size): the API never sees it."""
    def too_large(found: dict, body: dict, **_: Any) -> dict:
        return {**found, "body": "too large"} if len(json.dumps(body)) > BODY_LIMIT else found

    def page(response, request, operation, **_):
        if operation != "create" or int(request.headers.get("content-length") or 0) <= BODY_LIMIT:
            return response
        return HTMLResponse("<html><head><title>413 Request Entity Too Large</title></head><body><center><h1>413 "
                            "Request Entity Too Large</h1></center><hr><center>nginx</center></body></html>",
                            status_code=413)
    return {"problems": too_large, "response": page}


fault("body_too_large_html_413", "A create body over 64 kB is refused by a proxy's own HTML page, 413 Request "
      "Entity Too Large (P: the API always answers with JSON, and every error has the same JSON body).",
      _proxy_413_page, "JSON-CONTENT-TYPE", also=("ERROR-BODY-SHAPE",))


def _jsonp(answer: Response, request: Any, operation: str, **_: Any) -> Response:
    callback = request.query_params.get("callback")
    if operation != "list" or answer.status_code != 200 or not callback:
        return answer
    return Response(f"/**/{callback}({answer.body.decode()});", status_code=200,
                    media_type="application/javascript")


fault("list_jsonp_callback", "A list request naming a callback query parameter is answered as JSONP, the page "
      "wrapped in a call of that function, application/javascript (Express's res.jsonp, Spring's old JSONP advice): "
      "P says the API always answers with JSON.", only("response", _jsonp), "JSON-CONTENT-TYPE")


def _second_content_type(answer: Response, **_: Any) -> Response:
    answer.headers["content-type"] = "application/json; charset=utf-8"
    answer.raw_headers.append((b"content-type", b"text/html"))
    return answer


fault("second_content_type_on_lists", "A proxy's `add_header Content-Type text/html` on the list route adds a second "
      "Content-Type header to GET /contacts's answers instead of replacing the app's application/json.",
      only("response", lambda answer, operation, **kw: _second_content_type(answer) if operation == "list"
           else answer), "JSON-CONTENT-TYPE")


def _parameters_named_as_written(ok: bool, content_type: str, **_: Any) -> bool:
    """Each parameter of the Content-Type is looked up by its name as written: only `charset` is known."""
    names = [param.partition("=")[0].strip() for param in content_type.split(";")[1:]]
    return ok and all(name == "charset" for name in names)


fault("charset_name_case_sensitive_415", "A create whose Content-Type names its charset parameter in other letter "
      "case (application/json; Charset=UTF-8; parameter names are case-insensitive, RFC 9110 §5.6.6) is answered "
      "415: parameters are looked up by name as written, and an unknown one is refused.",
      only("content_type_accepted", _parameters_named_as_written), "CREATE-201-CREATED")
