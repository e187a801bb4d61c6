"""What the reference server received, byte for byte, and how many requests it held at once: the self-check and our
tests compare a run's evidence with it and count the run's requests in flight server-side."""
from __future__ import annotations

import base64
import json
import threading


class RequestLog:
    """ASGI middleware: appends one JSON line per request (method, target with query, headers, body as base64)."""

    def __init__(self, app, path: str | None = None) -> None:
        self.app = app
        self.path = path
        self.in_flight = self.peak = 0
        self.entries: list[dict] = []
        self._lock = threading.Lock()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        with self._lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            chunks, more = [], True
            while more:  # the whole body, also when the app answers without reading it (a 401, say)
                message = await receive()
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False) and message["type"] == "http.request"
            body = b"".join(chunks)
            self._record(scope, body)
            replayed = False

            async def replay():
                nonlocal replayed
                if replayed:
                    return await receive()
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            await self.app(scope, replay, send)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _record(self, scope, body: bytes) -> None:
        target = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        entry = {"method": scope["method"], "target": target,
                 "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
                 "body": base64.b64encode(body).decode()}
        with self._lock:
            self.entries.append(entry)
            if self.path:
                with open(self.path, "a", encoding="utf-8") as log:
                    log.write(json.dumps(entry) + "\n")


def read(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as log:
        return [json.loads(line) for line in log if line.strip()]
