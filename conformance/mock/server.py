"""Run the reference server: in the foreground (`conformance mock`) or in a background thread (runs and tests)."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterable

import uvicorn

from conformance.mock.app import create_app
from conformance.mock.faults import Active  # declares every deviation, so names resolve
from conformance.mock.request_log import RequestLog
from conformance.mock.store import Store


def _config(host: str, port: int, api_key: str, db: str, deviations: Iterable[str], latency: float = 0.0,
            jitter: float = 0.0, request_log: str | None = None) -> tuple[uvicorn.Config, Store, RequestLog]:
    active = Active(tuple(deviations))  # raises ValueError on an unknown name, before anything starts
    if latency < 0 or jitter < 0:
        raise ValueError("latency and jitter must not be negative")
    store = Store(db)
    app = RequestLog(create_app(api_key=api_key, store=store, active=active, latency=latency / 1000,
                                jitter=jitter / 1000), request_log)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    return config, store, app


def serve_forever(*, host: str, port: int, api_key: str, db: str, deviations: Iterable[str], latency: float = 0.0,
                  jitter: float = 0.0) -> None:
    """latency and jitter in milliseconds: each answer waits latency plus a seeded draw from [0, jitter]."""
    config, store, _ = _config(host, port, api_key, db, deviations, latency, jitter)
    try:
        uvicorn.Server(config).run()
    finally:
        store.close()


class BackgroundServer:
    """A reference server on 127.0.0.1 and a free port, for the length of a `with` block.
    latency and jitter in milliseconds, as `conformance mock --latency MS --jitter MS`."""

    def __init__(self, *, api_key: str, deviations: Iterable[str] = (), db: str = ":memory:",
                 host: str = "127.0.0.1", port: int = 0, latency: float = 0.0, jitter: float = 0.0,
                 request_log: str | None = None) -> None:
        config, self.store, self.log = _config(host, port, api_key, db, deviations, latency, jitter, request_log)
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None
        self._thread = threading.Thread(target=self._server.run, name="reference-server", daemon=True)
        self.host = host
        self.port = port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> "BackgroundServer":
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the reference server did not start on {self.host}:{self.port}")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self.store.close()

    def __enter__(self) -> "BackgroundServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
