"""Faults of the 429 answer: its Retry-After and its body."""
from __future__ import annotations

import time
from email.utils import formatdate
from typing import Any

from starlette.responses import PlainTextResponse, Response

from conformance.mock.registry import Hooks, fault, rate_limited_every


def _reset_header_on_429(response: Response, **_: Any) -> Response:
    if response.status_code == 429:
        response.headers["X-RateLimit-Reset"] = str(int(time.time()) + 1)
    return response


def _plain_text_429(response: Response, **_: Any) -> Response:
    if response.status_code != 429:
        return response
    return PlainTextResponse("Too Many Requests", status_code=429, headers={"Retry-After": "1"})


def _retry_after_only_on_reads() -> Hooks:
    hooks = dict(rate_limited_every(40)())

    def response(answer: Response, operation: str, **_: Any) -> Response:
        if answer.status_code == 429 and operation != "list" and "retry-after" in answer.headers:
            del answer.headers["retry-after"]
        return answer
    return {**hooks, "response": response}


fault("rate_limit_without_retry_after", "Every 40th request gets 429 with no Retry-After header.",
      rate_limited_every(40, retry_after=lambda value, **_: None), "RATE-LIMIT-RETRY-AFTER")
fault("rate_limit_retry_after_fraction", "Every 40th request gets 429 with Retry-After: 0.5 (delay-seconds is a "
      "whole number).", rate_limited_every(40, retry_after=lambda value, **_: "0.5"), "RATE-LIMIT-RETRY-AFTER")
fault("rate_limit_reset_header_instead", "Every 40th request gets 429 with X-RateLimit-Reset (an epoch second) "
      "instead of Retry-After.", rate_limited_every(40, retry_after=lambda value, **_: None,
                                                     response=_reset_header_on_429), "RATE-LIMIT-RETRY-AFTER")
fault("retry_after_only_on_reads", "Every 40th request gets 429; only GET's 429 carries Retry-After (the write "
      "handlers' limiter forgets it).", _retry_after_only_on_reads, "RATE-LIMIT-RETRY-AFTER")
fault("rate_limit_plain_text", "Every 40th request gets a proxy's 429: text/plain 'Too Many Requests'.",
      rate_limited_every(40, response=_plain_text_429), "JSON-CONTENT-TYPE")
fault("rate_limit_body_without_message", "Every 40th request gets 429 whose JSON body carries only error.",
      rate_limited_every(40, error_body=lambda body, status, **_: {"error": body["error"]} if status == 429
                          else body), "ERROR-BODY-SHAPE")
fault("retry_after_go_duration", "Every 40th request gets 429 with Retry-After: 1s (a Go time.Duration written "
      "with String()), not a number of seconds.", rate_limited_every(40, retry_after=lambda value, **_: "1s"),
      "RATE-LIMIT-RETRY-AFTER")
fault("retry_after_date_numeric_zone", "Every 40th request gets 429 with Retry-After as the date of the moment "
      "written by email.utils.formatdate() without usegmt: '… -0000', neither a number of seconds nor an HTTP date "
      "(RFC 9110's IMF-fixdate ends in GMT).",
      rate_limited_every(40, retry_after=lambda value, **_: formatdate()), "RATE-LIMIT-RETRY-AFTER")
fault("retry_after_negative", "Every 40th request gets 429 with Retry-After: -1 (the window's end minus now, "
      "worked out after the window had ended), not a number of seconds to wait.",
      rate_limited_every(40, retry_after=lambda value, **_: "-1"), "RATE-LIMIT-RETRY-AFTER")
