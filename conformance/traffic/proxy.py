"""`conformance proxy --upstream URL`: a reverse proxy the client points its base URL at. Each request and answer is
forwarded unchanged (status, headers, body bytes as they stream; only the hop-by-hop headers HTTP reserves to each
connection are dropped), on uvicorn with httpx. A copy of each exchange goes on a queue; a worker thread judges it
there, off the forwarding path, prints one line per newly broken rule, and writes the reports on SIGUSR1, every
--report-every seconds, and when the proxy is stopped (SIGINT/SIGTERM: exit 0 or 1 as for a run)."""
from __future__ import annotations

import os
import queue
import signal
import socket
import threading
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

import httpx
import uvicorn

from conformance import judgements, report
from conformance.config import ConfigError
from conformance.traffic.command import summary_lines
from conformance.traffic.har import Recorded, decoded
from conformance.traffic.judge import TrafficJudge

# RFC 9110 section 7.6.1: connection-specific fields a proxy must not forward (and Host, which names the proxy)
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
                        "te", "trailer", "transfer-encoding", "upgrade", "host"})
MAX_JUDGED_BYTES = 1_000_000  # an answer is judged on at most this much of its body (it is forwarded whole)
_REPORT = object()  # on the queue: write the reports now


def _forwarded(headers) -> list[tuple[bytes, bytes]]:
    named = {v.strip().lower() for k, v in headers if k.lower() == "connection" for v in v.split(",")}
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers
            if k.lower() not in HOP_BY_HOP and k.lower() not in named]


class Proxy:
    """The ASGI app: forwards to `upstream`, hands a copy of every Contacts API exchange to `observed`."""

    def __init__(self, upstream: str, observed: queue.Queue) -> None:
        parts = urlsplit(upstream.rstrip("/"))
        self.origin, self.prefix = f"{parts.scheme}://{parts.netloc}", parts.path
        self.observed = observed
        self.client: httpx.AsyncClient | None = None
        self.count = 0

    def target(self, path: str, query: bytes) -> str:
        """The upstream URL of a request: its path under the upstream's own (a client may include it or not)."""
        full = path if path.startswith(self.prefix + "/") or path == self.prefix else self.prefix + path
        return self.origin + full + (f"?{query.decode('latin-1')}" if query else "")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        url = self.target(scope["path"], scope.get("query_string", b""))
        started_wall, started = time.time(), time.monotonic()
        request = self.client.build_request(scope["method"], url, content=bytes(body),
                                            headers=[(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP])
        try:
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            await self._bad_gateway(send, exc)
            return
        kept = bytearray()
        try:
            await send({"type": "http.response.start", "status": response.status_code,
                        "headers": _forwarded(response.headers.multi_items())})
            async for chunk in response.aiter_raw():
                if len(kept) < MAX_JUDGED_BYTES:
                    kept += chunk[:MAX_JUDGED_BYTES - len(kept)]
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()
        if judgements.operation(scope["method"], url) is not None:
            self.count += 1
            self.observed.put(_exchange(self.count, scope["method"], url, headers, bytes(body), response,
                                        bytes(kept), started_wall, time.monotonic() - started))

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.client = httpx.AsyncClient(timeout=httpx.Timeout(60.0), follow_redirects=False,
                                                limits=httpx.Limits(max_connections=100), trust_env=False)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    @staticmethod
    async def _bad_gateway(send, exc: Exception) -> None:
        body = (f'{{"error": "bad_gateway", "message": "conformance proxy: the upstream did not answer '
                f'({type(exc).__name__})"}}').encode()
        await send({"type": "http.response.start", "status": 502,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


# What the judgements read of a request: its key (Authorization, or a header the docs do not name), its body's type,
# and whether it lets JSON through.
KEPT_HEADERS = frozenset({"authorization", "content-type", "accept"}) | judgements.UNNAMED_KEY_HEADERS


def _exchange(index: int, method: str, url: str, headers: list[tuple[str, str]], body: bytes,
              response: httpx.Response, raw: bytes, started: float, elapsed: float) -> Recorded:
    answer_headers = {k.lower(): v for k, v in response.headers.multi_items()}
    text = decoded(raw, answer_headers.get("content-encoding", "")).decode("utf-8", "replace")
    authorization = next((v for k, v in headers if k.lower() == "authorization"), "")
    sent = {k: v for k, v in headers if k.lower() in KEPT_HEADERS}
    return Recorded(method, url, sent, body.decode("utf-8", "replace") if body else None, request_bytes=body or None,
                    status=response.status_code, headers=answer_headers, text=text, elapsed=elapsed,
                    answered_at=started + elapsed, index=index, kind="exchange",
                    started=datetime.fromtimestamp(started, timezone.utc).isoformat().replace("+00:00", "Z"),
                    started_at=started, authorization=authorization)


class Worker(threading.Thread):
    """Judges the exchanges the proxy saw, one at a time, and writes the reports when asked."""

    def __init__(self, judge: TrafficJudge, observed: queue.Queue, report_dir: str, target: str,
                 learn_key: bool) -> None:
        super().__init__(name="conformance-judge", daemon=True)
        self.judge, self.observed, self.report_dir, self.target = judge, observed, report_dir, target
        self.learn_key = learn_key
        self.result: dict | None = None
        self.started = time.monotonic()

    def run(self) -> None:
        while True:
            item = self.observed.get()
            try:
                if item is None:
                    return
                if item is _REPORT:
                    self.write()
                else:
                    self.take(item)
            finally:
                self.observed.task_done()

    def take(self, exchange: Recorded) -> None:
        if self.learn_key and self.judge.key is None and judgements.is_success(exchange.status):
            self.judge.key = judgements.bearer_token(exchange.authorization)  # the first key the upstream took is the account's
        for judgement, evidence in self.judge.add(exchange):
            last = evidence[-1]
            print(self.judge.redact(f"[{judgement.requirement}] {judgement.problem[:200]} "
                                    f"({last.method} {urlsplit(last.url).path} -> {last.status}, exchange "
                                    f"{last.index})"), flush=True)

    def write(self) -> dict:
        self.result = self.judge.report({"target": self.target, "seconds": round(time.monotonic() - self.started, 2),
                                         "mode": "proxy"})
        report.write_all(self.result, self.report_dir)
        return self.result


def serve(upstream: str, host: str, port: int, report_dir: str, report_every: float | None, settle: float,
          api_key: str | None) -> int:
    parts = urlsplit(upstream)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"--upstream takes an http(s) URL such as https://api.zexa.ao/v1, not {upstream!r}")
    if report_every is not None and report_every <= 0:
        raise ConfigError("--report-every takes a number of seconds above 0")
    observed: queue.Queue = queue.Queue()
    key = api_key or os.environ.get("ZEXA_API_KEY") or None
    worker = Worker(TrafficJudge(settle, key, source=f"proxy of {upstream}"), observed, report_dir, upstream,
                    learn_key=key is None)
    try:
        sock = _listening(host, port)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    config = uvicorn.Config(Proxy(upstream, observed), log_level="warning", access_log=False, lifespan="on",
                            server_header=False, date_header=False)  # the upstream's own, unchanged
    server = uvicorn.Server(config)
    worker.start()
    signal.signal(signal.SIGUSR1, lambda *_: observed.put(_REPORT))
    # uvicorn stops on SIGINT/SIGTERM and then raises the signal again for the handler it found: these do nothing,
    # so the reports are written and the exit code is the verdict's
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, lambda *_: None)
    stop_timer = threading.Event()
    if report_every:
        threading.Thread(target=_every, args=(report_every, stop_timer, observed), daemon=True).start()
    bound = sock.getsockname()
    print(f"conformance proxy on http://{bound[0]}:{bound[1]} -> {upstream} (point the client's base URL here; "
          f"reports in {report_dir} on SIGUSR1{f', every {report_every:g} s' if report_every else ''} and at "
          "the end)", flush=True)
    server.run(sockets=[sock])
    stop_timer.set()
    observed.put(_REPORT)
    observed.put(None)
    worker.join()
    result = worker.result
    for line in summary_lines(result):
        print(line)
    print(f"reports: {report_dir}/report.html, report.json, junit.xml, summary.md", flush=True)
    return result["exit_code"]


def _listening(host: str, port: int) -> socket.socket:
    """A listening TCP socket whose protocol is named: asyncio sets TCP_NODELAY only on such sockets' connections,
    and without it an answer written in two parts waits for the client's delayed ACK (40 ms) on a kept-alive
    connection."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                         proto=socket.IPPROTO_TCP)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(2048)
    return sock


def _every(seconds: float, stop: threading.Event, observed: queue.Queue) -> None:
    while not stop.wait(seconds):
        observed.put(_REPORT)
