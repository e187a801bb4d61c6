"""The run's options and its one Config, Client and contact factory, made once when pytest is configured."""
from __future__ import annotations

import signal
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from conformance import baseline, case_context, resources
from conformance.client import Client
from conformance.config import PROFILES, ConfigError, resolve
from conformance.plugin.keys import BASELINE, CLIENT, CONFIG, FACTORY, OBSERVATIONS, OUTCOMES
from conformance.plugin.redaction import Redactor
from conformance.plugin.support import ContactFactory
from conformance.sampling import keep_hypothesis_cache

MARKERS = (
    "requirement(*ids): the catalogue requirement IDs a conformance case checks",
    "create: POST /contacts", "auth: authentication", "errors: error bodies and content types",
    "listing: GET /contacts and pagination", "delete: DELETE /contacts/{id}", "spec: schemathesis property tests",
    "writes: the case creates or deletes data on the target",
    "after_all: the case starts once every other case is done (it judges what the whole run saw)",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "Zexa Contacts API conformance")
    group.addoption("--base-url", help="API base URL, e.g. https://api.zexa.ao/v1 (or ZEXA_BASE_URL)")
    group.addoption("--api-key", help="API key (default: the ZEXA_API_KEY environment variable)")
    group.addoption("--profile", choices=list(PROFILES), help="how much to generate, or contract for a stateless "
                                                               "target (default: default)")
    group.addoption("--seed", help="seed for generated data; a run with the same seed sends the same data")
    group.addoption("--list-ids", help="lst_ ids the run may add its own contacts to (comma-separated)")
    group.addoption("--allow-writes", action="store_true", help="create/delete data on a non-loopback target")
    group.addoption("--run-tag", help="tag carried by every contact this run creates (default: random)")
    group.addoption("--report-dir", help="write junit.xml, report.json, report.html and summary.md here")
    group.addoption("--baseline", help="JSON file of known deviations that do not fail the gate")
    group.addoption("--update-baseline", action="store_true", help="write the current MUST failures to --baseline")
    group.addoption("--concurrency", help="requests in flight at most (default 8, or ZEXA_CONCURRENCY)")
    group.addoption("--settle", help="seconds a list may take to show a write (default 3, or ZEXA_SETTLE)")
    group.addoption("--requirement", action="append", default=[], metavar="ID",
                    help="only the cases that check this catalogue requirement (repeatable)")
    group.addoption("--require-complete", action="store_true",
                    help="exit 1 when rules were not judged (a PARTIAL verdict), or ZEXA_REQUIRE_COMPLETE=1")
    group.addoption("--har", help="write the run's own traffic to this HAR file (for `conformance judge`)")


def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    option = config.getoption
    keep_hypothesis_cache()
    try:
        resources.check()
    except resources.MissingResource as exc:
        raise pytest.UsageError(f"internal error: {exc}") from None
    try:
        run = resolve(base_url=option("base_url"), api_key=option("api_key"), profile=option("profile"),
                      seed=option("seed"), list_ids=option("list_ids"), allow_writes=option("allow_writes"),
                      run_tag=option("run_tag"), concurrency=option("concurrency"), settle=option("settle"),
                      require_complete=option("require_complete"))
        known = baseline.load(None if option("update_baseline") else option("baseline"))
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[CONFIG] = run
    case_context.REGISTRY.start(run.seed)
    config.stash[CLIENT] = Client(run)
    config.stash[FACTORY] = ContactFactory(config.stash[CLIENT], run)
    config.pluginmanager.register(Redactor(config.stash[CLIENT].session.redact), "conformance-redactor")
    config.stash[OUTCOMES] = []
    config.stash[OBSERVATIONS] = {}
    config.stash[BASELINE] = known
    settings.register_profile("conformance", max_examples=run.profile.examples, deadline=None, database=None,
                              suppress_health_check=list(HealthCheck), print_blob=False)
    settings.load_profile("conformance")
    if hasattr(config.option, "hypothesis_seed") and config.option.hypothesis_seed is None:
        config.option.hypothesis_seed = run.seed
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")
