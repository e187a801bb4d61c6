"""pytest integration of the checker: options, the run's one Config and Client, write gating, evidence capture,
cleanup of everything the run created, reports, and the exit code (`pytest conformance/cases --base-url …`)."""
from __future__ import annotations

import random
import signal
import time
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from conformance import baseline, report
from conformance.client import BudgetExhausted, Client, Exchange, TargetUnusable, UnsafeRequest
from conformance.config import Config, ConfigError, resolve
from conformance.paging import tag_name
from conformance.requirements import catalogue
from conformance.results import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_UNUSABLE, REPORT, CaseOutcome, Violation, expect, summarize
from conformance.strategies import e164_for, phone_regions

CONFIG = pytest.StashKey[Config]()
CLIENT = pytest.StashKey[Client]()
OUTCOMES = pytest.StashKey[list]()
OBSERVATIONS = pytest.StashKey[dict]()
STARTED = pytest.StashKey[float]()
HISTORY_MARK = pytest.StashKey[int]()
UNUSABLE = pytest.StashKey[str]()
WRITES_OFF = "writes are off for this target (pass --allow-writes, or set ZEXA_ALLOW_WRITES=1)"
BLAMED = pytest.StashKey[set]()  # requirements a case's failure is narrowed to (set by the case)
BASELINE = pytest.StashKey[set]()

MARKERS = (
    "requirement(*ids): the catalogue requirement IDs a conformance case checks",
    "create: POST /contacts", "auth: authentication", "errors: error bodies and content types",
    "listing: GET /contacts and pagination", "delete: DELETE /contacts/{id}", "spec: schemathesis property tests",
    "writes: the case creates or deletes data on the target",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "Zexa Contacts API conformance")
    group.addoption("--base-url", help="API base URL, e.g. https://api.zexa.ao/v1 (or ZEXA_BASE_URL)")
    group.addoption("--api-key", help="API key (default: the ZEXA_API_KEY environment variable)")
    group.addoption("--profile", choices=["quick", "default", "thorough"], help="how much to generate (default: default)")
    group.addoption("--seed", help="seed for generated data; a run with the same seed sends the same data")
    group.addoption("--list-ids", help="lst_ ids the run may add its own contacts to (comma-separated)")
    group.addoption("--allow-writes", action="store_true", help="create/delete data on a non-loopback target")
    group.addoption("--run-tag", help="tag carried by every contact this run creates (default: random)")
    group.addoption("--report-dir", help="write junit.xml, report.json, report.html and summary.md here")
    group.addoption("--baseline", help="JSON file of known deviations that do not fail the gate")
    group.addoption("--update-baseline", action="store_true", help="write the current MUST failures to --baseline")
    group.addoption("--concurrency", help="requests in flight at most (default 8, or ZEXA_CONCURRENCY)")
    group.addoption("--settle", help="seconds a list may take to show a write (default 3, or ZEXA_SETTLE)")


def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    option = config.getoption
    try:
        run = resolve(base_url=option("base_url"), api_key=option("api_key"), profile=option("profile"),
                      seed=option("seed"), list_ids=option("list_ids"), allow_writes=option("allow_writes"),
                      run_tag=option("run_tag"), concurrency=option("concurrency"), settle=option("settle"))
        known = baseline.load(None if option("update_baseline") else option("baseline"))
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[CONFIG] = run
    config.stash[CLIENT] = Client(run)
    config.pluginmanager.register(_Redactor(config.stash[CLIENT].session.redact), "conformance-redactor")
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


class _Redactor:
    """Redacts the key from every failure report before any reporter (terminal, --junitxml, plugins, schemathesis'
    subtests) reads it: the messages quote responses, and a target may echo the key."""

    def __init__(self, redact) -> None:
        self.redact = redact

    def _scrub(self, report: pytest.TestReport) -> None:
        if report.failed and report.longrepr is not None:
            report.longrepr = self.redact(str(report.longrepr))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._scrub(report)

    @pytest.hookimpl(trylast=True)  # schemathesis rewrites longrepr from the raw exception in this hook
    def pytest_exception_interact(self, node, call, report: pytest.TestReport) -> None:
        self._scrub(report)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    config.stash[STARTED] = time.monotonic()
    if config.option.collectonly:
        return
    client = config.stash[CLIENT]
    run = config.stash[CONFIG]
    try:
        probe = client.list(per_page=1)
    except (TargetUnusable, BudgetExhausted) as exc:
        _unusable(config, str(exc))
        return
    if probe.error:
        _unusable(config, f"cannot reach {run.base_url}: {probe.error}")
    elif probe.status in (401, 403):
        _unusable(config, f"the target rejected the API key on GET /contacts ({probe.status}): check your key")
    elif probe.status == 404:
        _unusable(config, f"GET {run.base_url}/contacts answered 404: is the base URL right (it ends in /v1)?")


def pytest_keyboard_interrupt(excinfo) -> None:
    _SESSION_FLAGS["interrupted"] = True


_SESSION_FLAGS: dict[str, bool] = {}


def _unusable(config: pytest.Config, message: str) -> None:
    """Nothing can be checked: no case runs, and the report says why (exit 3)."""
    config.stash[UNUSABLE] = message


# --- fixtures the cases use ----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def run_config(pytestconfig: pytest.Config) -> Config:
    return pytestconfig.stash[CONFIG]


@pytest.fixture(scope="session")
def client(pytestconfig: pytest.Config) -> Client:
    return pytestconfig.stash[CLIENT]


@pytest.fixture
def observe(request: pytest.FixtureRequest):
    """Record what the target does where the docs leave the choice to it; never a failure."""
    ids = _requirements(request.node)
    store = request.config.stash[OBSERVATIONS]

    def record(message: str, requirement: str | None = None) -> None:
        store.setdefault(requirement or ids[0], []).append(message)
    return record


@dataclass
class Created:
    body: dict  # what was sent
    exchange: Exchange

    @property
    def response(self) -> dict:
        data = self.exchange.json_or_none()
        expect(isinstance(data, dict), f"create answered {self.exchange.status} without a JSON object body",
               self.exchange)
        return data

    @property
    def id(self) -> str:
        contact_id = self.response.get("id")
        expect(isinstance(contact_id, str), f"create response has no string id: {self.response!r}", self.exchange)
        return contact_id


class ContactFactory:
    """Creates contacts that belong to this run: tagged names, phones no other contact of the run uses, and a new
    number when the account already holds the phone (a 409 from someone else's contact is not a finding)."""

    def __init__(self, client: Client, run: Config) -> None:
        self.client = client
        self.run = run
        self.rng = random.Random(run.seed)
        self.used: set[str] = set()

    def phone(self, region: str | None = None) -> str:
        regions = phone_regions()
        while True:
            number = e164_for(region or self.rng.choice(regions[:40]), self.rng.randrange(10_000))
            if number not in self.used:
                self.used.add(number)
                return number

    def body(self, name: str = "Conformance", region: str | None = None, **fields: Any) -> dict:
        return {"name": tag_name(name, self.run.run_tag), "phone": self.phone(region), **fields}

    def __call__(self, name: str = "Conformance", region: str | None = None, retries: int = 3, **fields: Any) -> Created:
        body = self.body(name, region, **fields)
        for _ in range(retries):
            exchange = self.client.create(body)
            if exchange.status != 409:
                break
            body = {**body, "phone": self.phone(region)}
        return Created(body, exchange)


@pytest.fixture(scope="session")
def new_contact(client: Client, run_config: Config) -> ContactFactory:
    return ContactFactory(client, run_config)


@pytest.fixture(scope="session")
def lists_accepted(new_contact: ContactFactory, run_config: Config) -> bool:
    """Whether the target lets the run put contacts in its own list ids (lists may have to exist first)."""
    if not run_config.allow_writes:
        pytest.skip(f"not checked: the case creates its own contacts and {WRITES_OFF}")
    return new_contact("List Probe", lists=[run_config.run_list("probe")]).exchange.status == 201


@pytest.fixture
def need_lists(lists_accepted: bool, run_config: Config) -> None:
    if not lists_accepted:
        pytest.skip(f"not checked: the target would not add a contact to list {run_config.run_list('probe')}; "
                    "pass --list-ids with a list of the account")


# --- collection, gating, evidence, results -------------------------------------------------------------------

def _requirements(item: pytest.Item) -> tuple[str, ...]:
    return tuple(arg for marker in item.iter_markers("requirement") for arg in marker.args)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if UNUSABLE in config.stash:
        config.hook.pytest_deselected(items=list(items))
        items[:] = []
        return
    known = catalogue()
    for item in items:
        unknown = [r for r in _requirements(item) if r not in known]
        if unknown:
            raise pytest.UsageError(f"{item.nodeid} names unknown requirement(s) {unknown}")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.stash[HISTORY_MARK] = len(item.config.stash[CLIENT].history)
    if item.get_closest_marker("writes") and not item.config.stash[CONFIG].allow_writes:
        pytest.skip(f"not checked: the case creates or deletes data and {WRITES_OFF}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    rep = yield
    if rep.when == "call" or (rep.when == "setup" and not rep.passed):
        item.config.stash[OUTCOMES].append(_outcome(item, call, rep))
    return rep


def _outcome(item: pytest.Item, call: pytest.CallInfo, rep: pytest.TestReport) -> CaseOutcome:
    client = item.config.stash[CLIENT]
    requirements = _requirements(item)
    evidence = client.history[item.stash.get(HISTORY_MARK, len(client.history)):]
    message = ""
    if rep.skipped:
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        reason = reason.removeprefix("Skipped: ")
        status = "inconclusive" if reason.startswith("inconclusive") else "not_checked"
        message = reason
    elif rep.failed:
        status = "failed"
        error = call.excinfo.value if call.excinfo else None
        message = client.session.redact(_message(error, rep))
        if isinstance(error, BudgetExhausted):
            status = "not_checked"
        elif isinstance(error, TargetUnusable):
            status = "inconclusive"
            item.config.stash[UNUSABLE] = message
            item.session.shouldstop = f"target unusable: {message}"
        elif isinstance(error, Violation):
            if error.exchange is not None:
                evidence = [error.exchange, *[e for e in evidence if e is not error.exchange]]
            if error.requirement in requirements:
                requirements = (error.requirement,)
        elif item.stash.get(BLAMED, None):
            requirements = tuple(r for r in requirements if r in item.stash[BLAMED]) or requirements
    else:
        status = "passed"
    picked = (evidence[:1] + evidence[-2:]) if len(evidence) > 3 else evidence
    return CaseOutcome(case=getattr(item, "originalname", item.name), nodeid=item.nodeid, requirements=requirements,
                       status=status, message=message, evidence=[e.to_dict(client.session.redact) for e in dict.fromkeys(picked)],
                       seconds=rep.duration)


def _message(error: BaseException | None, rep: pytest.TestReport) -> str:
    if isinstance(error, (Violation, UnsafeRequest, BudgetExhausted, TargetUnusable)):
        return str(error)
    if isinstance(error, BaseExceptionGroup):
        titles = "; ".join(dict.fromkeys(getattr(e, "title", type(e).__name__) for e in error.exceptions))
        return f"{titles}\n{error}"[:3000]
    if error is not None:
        return f"{type(error).__name__}: {error}"[:2000]
    return str(rep.longrepr)[-2000:]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if CLIENT not in config.stash or config.option.collectonly:
        return
    client, run = config.stash[CLIENT], config.stash[CONFIG]
    leaked = client.cleanup()
    unusable = config.stash.get(UNUSABLE, None)
    meta = {
        "target": run.base_url, "profile": run.profile.name, "seed": run.seed, "run_tag": run.run_tag,
        "allow_writes": run.allow_writes,
        "seconds": round(time.monotonic() - config.stash.get(STARTED, time.monotonic()), 2),
        "requests": client.ledger.requests,
        "rate_limited": {"responses": client.ledger.rate_limited,
                         "waited_s": round(client.ledger.rate_limit_wait_s, 1)},
        "settle": {"waits": len(client.ledger.settle_waits), "waited_s": round(sum(client.ledger.settle_waits), 2),
                   "limit_s": run.settle},
        "data": {"created": len(client.ledger.created), "deleted": len(client.ledger.created - set(leaked)),
                 "leaked": leaked},
    }
    result = summarize(config.stash[OUTCOMES], config.stash[OBSERVATIONS], config.stash[BASELINE], meta)
    if unusable:
        result.update(verdict="unusable", exit_code=EXIT_UNUSABLE, unusable=unusable)
    elif _SESSION_FLAGS.pop("interrupted", False):
        result.update(verdict="interrupted", exit_code=EXIT_INTERRUPTED)
    elif exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR):
        result.update(verdict="error", exit_code=EXIT_INTERNAL,
                      error="the checker itself failed (collection or internal error)")
    config.stash[REPORT] = result
    if config.getoption("report_dir"):
        report.write_all(result, config.getoption("report_dir"))
    if config.getoption("update_baseline") and config.getoption("baseline"):
        baseline.write(config.getoption("baseline"), result)
    session.exitstatus = result["exit_code"]


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    result = config.stash.get(REPORT, None)
    if result:
        terminalreporter.write_line("")
        for line in report.terminal_lines(result):
            terminalreporter.write_line(line)
