"""Run the conformance cases once against a fresh reference server and print every request sent, normalised
(run tag and server-made ids removed), as JSON: the reproducibility tests compare such runs.

    python -m tests.record_requests SEED [CONCURRENCY]"""
from __future__ import annotations

import json
import os
import re
import sys

import pytest

from conformance.mock.server import BackgroundServer

# a server-made id, with what a probe puts after it: its last character percent-encoded as text, or fullwidth
VOLATILE = re.compile(r"(?i)zxconf[ _+]?[0-9a-f]{8}|cnt_[0-9a-f]+(?:%25[0-9a-f]{2}|%EF%B[CD]%[0-9A-F]{2})?"
                      r"|http://[^/]+")


class Recorder:
    requests: list[str] = []

    def pytest_sessionfinish(self, session) -> None:
        from conformance.plugin.keys import CLIENT
        self.requests = sorted(VOLATILE.sub("", f"{e.method} {e.url} {e.request_body or ''}")
                               for e in session.config.stash[CLIENT].history)


if __name__ == "__main__":
    recorder = Recorder()
    concurrency = sys.argv[2] if len(sys.argv) > 2 else "8"
    with BackgroundServer(api_key="repro-key") as server:
        os.environ["ZEXA_API_KEY"] = "repro-key"
        pytest.main(["conformance/cases", "--base-url", server.base_url, "--seed", sys.argv[1], "--profile", "quick",
                     "--concurrency", concurrency, "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--assert=plain"],
                    plugins=[recorder])
    sys.stdout.write("\nREQUESTS " + json.dumps(recorder.requests) + "\n")
