"""Fixtures that start servers and run the CLI, shared by the project's own tests."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.mock.server import BackgroundServer

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT.parent / "shared" / "docs"
API_KEY = "zx_test_key_7f3a9c"


@pytest.fixture
def server():
    with BackgroundServer(api_key=API_KEY) as running:
        yield running


@pytest.fixture
def api(server):
    """requests helpers bound to the reference server."""
    import requests

    class Api:
        base = server.base_url
        auth = {"Authorization": f"Bearer {API_KEY}"}

        def post(self, body=None, **kw):
            return requests.post(self.base + "/contacts", json=body, headers=kw.pop("headers", self.auth), **kw)

        def get(self, **params):
            return requests.get(self.base + "/contacts", params=params, headers=self.auth)

        def delete(self, contact_id, **kw):
            return requests.delete(f"{self.base}/contacts/{contact_id}", headers=kw.pop("headers", self.auth), **kw)
    return Api()


def run_cli(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """The `conformance` command in a subprocess, as a user runs it."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ZEXA_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "conformance", *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env, cwd=ROOT)
