"""A run's own traffic as a HAR 1.2 file (`conformance run --har FILE`), for `conformance judge` or any HAR viewer.
The key is in it as the run's evidence shows it ($ZEXA_API_KEY): the file can be shared like a report."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from conformance import __name__ as _package


def write(path: str | Path, exchanges: list, version: str = "0.1.0") -> None:
    wall = time.time() - time.monotonic()  # monotonic instants of the exchanges, as seconds since the epoch
    answered = [e for e in exchanges if e.status is not None]
    answered.sort(key=lambda e: e.answered_at - e.elapsed)
    entries = [_entry(e, wall) for e in answered]
    har = {"log": {"version": "1.2", "creator": {"name": f"zexa-{_package}", "version": version}, "entries": entries}}
    Path(path).write_text(json.dumps(har, ensure_ascii=False, indent=1), encoding="utf-8")


def _entry(exchange, wall: float) -> dict:
    started = datetime.fromtimestamp(wall + exchange.answered_at - exchange.elapsed, timezone.utc)
    request = {"method": exchange.method, "url": exchange.url, "httpVersion": "HTTP/1.1", "cookies": [],
               "headers": [{"name": k, "value": v} for k, v in exchange.request_headers.items()],
               "queryString": [{"name": k, "value": v} for k, v in parse_qsl(urlsplit(exchange.url).query)],
               "headersSize": -1, "bodySize": len(exchange.request_bytes or b"") if exchange.request_body is not None
               else 0}
    if exchange.request_body is not None:
        ctype = next((v for k, v in exchange.request_headers.items() if k.lower() == "content-type"), "")
        request["postData"] = {"mimeType": ctype, "text": exchange.request_body}
    text = exchange.text or ""
    response = {"status": exchange.status, "statusText": "", "httpVersion": "HTTP/1.1", "cookies": [],
                "headers": [{"name": k, "value": v} for k, v in exchange.headers.items()],
                "content": {"size": len(text.encode()), "mimeType": exchange.headers.get("content-type", ""),
                            "text": text},
                "redirectURL": "", "headersSize": -1, "bodySize": len(text.encode())}
    elapsed_ms = round(exchange.elapsed * 1000, 3)
    return {"startedDateTime": started.isoformat().replace("+00:00", "Z"), "time": elapsed_ms, "request": request,
            "response": response, "cache": {},
            "timings": {"send": 0, "wait": elapsed_ms, "receive": 0}}
