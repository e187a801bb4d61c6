"""pytest integration of the checker: options, the run's one Config and Client, write gating, evidence capture,
cleanup of everything the run created, reports, and the exit code (`pytest conformance/cases --base-url …`)."""
from __future__ import annotations

import gc
import threading
from concurrent.futures import Future
from collections.abc import Sequence
import signal
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from conformance import baseline, case_context, report, resources
from conformance.checker_faults import is_checker_fault
from conformance.cases import side_by_side
from conformance.cleanup import delete_leftovers
from conformance.client import BudgetExhausted, Client, Exchange, TargetUnusable, UnsafeRequest, created_id
from conformance.config import PROFILES, Config, ConfigError, resolve
from conformance.paging import tag_name
from conformance.requirements import catalogue
from conformance.sampling import keep_hypothesis_cache
from conformance.state_probe import StateProbe, probe_state
from conformance.results import REPORT, CaseOutcome, Violation, expect, summarize
from phonenumbers import parse, region_code_for_number

from conformance.strategies import e164_for

CONFIG = pytest.StashKey[Config]()
CLIENT = pytest.StashKey[Client]()
OUTCOMES = pytest.StashKey[list]()
OBSERVATIONS = pytest.StashKey[dict]()
STARTED = pytest.StashKey[float]()
RAN = pytest.StashKey[side_by_side.Ran]()  # what a case run side by side did
UNUSABLE = pytest.StashKey[str]()
WRITES_OFF = "writes are off for this target (pass --allow-writes, or set ZEXA_ALLOW_WRITES=1)"
BLAMED = pytest.StashKey[set]()  # requirements a case's failure is narrowed to (set by the case)
BLOCKED_BY = pytest.StashKey[str]()  # the requirement whose failure kept a case from setting up what it needs
BASELINE = pytest.StashKey[set]()
INTERNAL = pytest.StashKey[str]()  # the first error of the checker itself inside a case (the run ends with exit 4)
INTERNAL_TRACEBACK = pytest.StashKey[str]()  # its traceback, written to the report directory for a bug report
INTERNAL_ERROR_FILE = "internal-error.txt"
FACTORY = pytest.StashKey["ContactFactory"]()
STATE = pytest.StashKey[StateProbe]()
PROBING = pytest.StashKey[Future]()  # the state probe, while it runs beside collection
NO_STATE_CLAIMS = "not checked: the contract profile makes no claim that needs state"
KEEPS_NO_STATE = "not checked: the target keeps no state"

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
    elif run.allow_writes and run.profile.checks_state:
        # its round trips overlap the collection of the cases; its verdict is needed once they are collected
        probing = config.stash[PROBING] = Future()

        def probe() -> None:
            try:
                probing.set_result(probe_state(client, config.stash[FACTORY], run.run_list("state")))
            except BaseException as exc:  # noqa: BLE001 - raised again in the main thread
                probing.set_exception(exc)
        side_by_side.syntax_trees_one_at_a_time()
        threading.Thread(target=probe, name="conformance-state-probe", daemon=True).start()


def _probed(config: pytest.Config) -> None:
    """Wait for the state probe, if it runs: its creates must be recorded before anything is judged or cleaned."""
    probing = config.stash.get(PROBING, None)
    if probing is not None:
        del config.stash[PROBING]
        config.stash[STATE] = probing.result()


@pytest.hookimpl(tryfirst=True)  # before the terminal's, which may fail
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


def expect_created(exchange: Exchange, why: str) -> None:
    """Accepted and created: any 2xx (that it is 201 exactly is CREATE-201-CREATED's rule, judged there)."""
    expect(exchange.status is not None and 200 <= exchange.status < 300,
           f"{why}: expected 201, got {exchange.status or exchange.error}: {exchange.text[:300]}", exchange)


class ContactFactory:
    """Creates contacts that belong to this run: tagged names, phones no other contact of the run uses, and a new
    number when the account already holds the phone (a 409 from someone else's contact is not a finding).

    Each case draws its phones from its own share of the numbers, by the run's seed: the same seed sends the same
    data whatever ran beside it. Setup phones are Angolan (the docs' own example region), so a target that rejects
    some other region fails only the case that tests regions."""

    def __init__(self, client: Client, run: Config) -> None:
        self.client = client
        self.run = run
        self.used: set[str] = set()
        self._lock = threading.Lock()

    def phone(self, region: str = "AO") -> str:
        context = case_context.current()
        while True:
            number = e164_for(region, context.phone_tail(region, 10_000))
            with self._lock:
                if number not in self.used:
                    self.used.add(number)
                    return number

    def body(self, name: str = "Conformance", region: str = "AO", **fields: Any) -> dict:
        return {"name": tag_name(name, self.run.run_tag), "phone": self.phone(region), **fields}

    def create_all(self, bodies: Sequence[dict], retries: int = 3) -> list[Created]:
        """Send the bodies side by side; a 409 (the phone exists on the account) is sent again with a new number."""
        created = [Created(body, exchange) for body, exchange in
                   zip(bodies, self.client.gather([lambda b=body: self.client.create(b) for body in bodies]))]
        for _ in range(retries - 1):
            taken = [i for i, c in enumerate(created) if c.exchange.status == 409]
            if not taken:
                break
            bodies = [{**created[i].body, "phone": self.phone(_region_of(created[i].body["phone"]))} for i in taken]
            answers = self.client.gather([lambda b=body: self.client.create(b) for body in bodies])
            for i, body, exchange in zip(taken, bodies, answers):
                created[i] = Created(body, exchange)
        return created

    def __call__(self, name: str = "Conformance", region: str = "AO", **fields: Any) -> Created:
        return self.create_all([self.body(name, region, **fields)])[0]


def _region_of(phone: str) -> str:
    return region_code_for_number(parse(phone)) or "AO"


@pytest.fixture(scope="session")
def new_contact(pytestconfig: pytest.Config) -> ContactFactory:
    return pytestconfig.stash[FACTORY]


@pytest.fixture(scope="session")
def state_probe(pytestconfig: pytest.Config) -> StateProbe:
    """What the probe at session start saw: whether the target lists the contacts it was sent."""
    return pytestconfig.stash.get(STATE, StateProbe(None, "the state probe did not run"))


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


@pytest.fixture
def needs(request: pytest.FixtureRequest):
    """Setup that must succeed for the case to judge anything: when a contact it needs was not created, the case
    is not checked and names the requirement that failure belongs to (that requirement fails in its own case)."""
    def check(created: Created | Sequence[Created], what: str, blocked_by: str = "CREATE-201-CREATED") -> None:
        for one in [created] if isinstance(created, Created) else created:
            if created_id(one.exchange) is None:
                request.node.stash[BLOCKED_BY] = blocked_by
                answer = f"{one.exchange.status or one.exchange.error} {one.exchange.text[:200]}"
                redact = request.config.stash[CLIENT].session.redact  # the answer may echo the key
                pytest.skip(redact(f"not checked: could not create {what}: {answer}".rstrip()))
    return check


# --- collection, gating, evidence, results -------------------------------------------------------------------

def _requirements(item: pytest.Item) -> tuple[str, ...]:
    return tuple(arg for marker in item.iter_markers("requirement") for arg in marker.args)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    _probed(config)
    if UNUSABLE in config.stash:
        config.hook.pytest_deselected(items=list(items))
        items[:] = []
        return
    known = catalogue()
    for item in items:
        unknown = [r for r in _requirements(item) if r not in known]
        if unknown:
            raise pytest.UsageError(f"{item.nodeid} names unknown requirement(s) {unknown}")
    _only_requirements(config, items)
    if STATE in config.stash and config.stash[STATE].kept is False:
        _stop_early(config, items)


def _only_requirements(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = set(config.getoption("requirement"))
    if not wanted:
        return
    unknown = sorted(wanted - set(catalogue()))
    if unknown:
        raise pytest.UsageError(f"--requirement names no requirement of the catalogue: {', '.join(unknown)}")
    kept, other = [], []
    for item in items:
        (kept if wanted & set(_requirements(item)) else other).append(item)
    config.hook.pytest_deselected(items=other)
    items[:] = kept


def _stop_early(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A target that keeps no state would fail every rule about lists and lifecycle for that one reason: only the
    case that reports it runs, and the rest are not checked."""
    finding = [item for item in items if "LIST-SHOWS-CREATED" in _requirements(item)]
    rest = [item for item in items if item not in finding]
    config.stash[OUTCOMES].extend(CaseOutcome(case=getattr(item, "originalname", item.name), nodeid=item.nodeid,
                                              requirements=_requirements(item), status="not_checked",
                                              message=KEEPS_NO_STATE) for item in rest)
    config.hook.pytest_deselected(items=rest)
    items[:] = finding


def _not_run_because(item: pytest.Item) -> str | None:
    run = item.config.stash[CONFIG]
    if item.get_closest_marker("writes") and not run.allow_writes:
        return f"not checked: the case creates or deletes data and {WRITES_OFF}"
    requirements = _requirements(item)
    if not run.profile.checks_state and requirements and all(catalogue()[r].needs_state for r in requirements):
        return NO_STATE_CLAIMS
    return None


def _case_threads(in_flight: int) -> int:
    """Cases at once: enough that cases waiting on a shared fixture or on their own CPU work leave requests to fill
    the in-flight bound; one at a time when one request may be in flight."""
    return 1 if in_flight == 1 else min(2 * in_flight, 32)


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session):
    config = session.config
    runner = None
    if not config.option.collectonly and not session.testsfailed and CLIENT in config.stash:
        client = config.stash[CLIENT]
        runner = side_by_side.SideBySide(session, [item for item in session.items if _not_run_because(item) is None],
                                         workers=_case_threads(config.stash[CONFIG].concurrency),
                                         on_thread=lambda: setattr(client.session._sending, "pooled", True),
                                         done_with=client.remove_created)
        config.stash[side_by_side.RUNNER] = runner
    # What exists now (modules, the spec, the collected cases) lives for the whole run: kept out of every later
    # collection, hypothesis' per-thread gc.collect() and the automatic ones stop rescanning it
    gc.freeze()
    try:
        if runner is not None:
            runner.start()
        return (yield)
    except BaseException:
        if runner is not None:  # interrupted: no case starts any more, and those running send nothing more
            runner.stop()
            config.stash[CLIENT].drain()
        raise
    finally:
        if runner is not None:
            if session.shouldstop:  # the target became unusable: no further case starts
                runner.stop()
            runner.finish()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    runner = pyfuncitem.config.stash.get(side_by_side.RUNNER, None)
    if runner is None or pyfuncitem.nodeid not in runner.futures:
        return None
    ran = runner.result(pyfuncitem)
    if ran is None:
        pytest.skip("not checked: the run stopped before this case started")
    pyfuncitem.stash[RAN] = ran
    side_by_side.replay(pyfuncitem, ran)
    return True


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    reason = _not_run_because(item)
    if reason:
        pytest.skip(reason)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    rep = yield
    if rep.when == "call" or (rep.when == "setup" and not rep.passed):
        item.config.stash[OUTCOMES].append(_outcome(item, call, rep))
    return rep


def _outcome(item: pytest.Item, call: pytest.CallInfo, rep: pytest.TestReport) -> CaseOutcome:
    client = item.config.stash[CLIENT]
    requirements = _requirements(item)
    ran = item.stash.get(RAN, None)
    evidence = list(ran.exchanges) if ran else []  # a case not run side by side (skipped at setup) sent nothing
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
        elif error is not None and is_checker_fault(error, item.path.parent):
            status = "not_checked"
            message = f"internal error in {item.nodeid}: {message.splitlines()[0]}"
            if INTERNAL not in item.config.stash:
                item.config.stash[INTERNAL] = message
                trace = "".join(traceback.format_exception(error))
                item.config.stash[INTERNAL_TRACEBACK] = client.session.redact(f"{message}\n\n{trace}")
        elif isinstance(error, Violation):
            if error.exchange is not None:
                evidence = [error.exchange, *[e for e in evidence if e is not error.exchange]]
            if error.requirement in requirements:
                requirements = (error.requirement,)
            elif error.requirement:  # a rule this case relies on broke: its own case fails, this one cannot judge
                status, message = "not_checked", f"not checked: {message}"
                item.stash[BLOCKED_BY] = error.requirement
        elif item.stash.get(BLAMED, None):
            requirements = tuple(r for r in requirements if r in item.stash[BLAMED]) or requirements
    else:
        status = "passed"
    unanswered = next((e for e in evidence if e.unanswered), None)
    if unanswered is not None and status in ("passed", "failed") and not _answered_violation(call):
        status, message = "not_checked", f"not checked: {unanswered.error}"
    picked = (evidence[:1] + evidence[-2:]) if len(evidence) > 3 else evidence
    return CaseOutcome(case=getattr(item, "originalname", item.name), nodeid=item.nodeid, requirements=requirements,
                       status=status, message=message, evidence=[e.to_dict(client.session.redact) for e in dict.fromkeys(picked)],
                       seconds=ran.seconds if ran else rep.duration, blocked_by=item.stash.get(BLOCKED_BY, "") if status == "not_checked" else "")


def _answered_violation(call: pytest.CallInfo) -> bool:
    """A rule broken by an answer the target did give stands, whatever else it left unanswered."""
    error = call.excinfo.value if call.excinfo else None
    return isinstance(error, Violation) and error.exchange is not None and not error.exchange.unanswered


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
    try:
        _probed(config)  # interrupted during collection: the probe's contacts are cleaned up too
    except Exception:  # noqa: BLE001 - its failure was no verdict; cleanup goes on
        pass
    leak_check = _why_no_leak_check(config)
    leaked = delete_leftovers(client, verify=not leak_check)
    if config.getoption("har"):
        from conformance.traffic import har_writer
        har_writer.write(config.getoption("har"), client.history)
    unusable = config.stash.get(UNUSABLE, None)
    internal = config.stash.get(INTERNAL, None)
    meta = {
        "target": run.base_url, "profile": run.profile.name, "seed": run.seed, "run_tag": run.run_tag,
        "allow_writes": run.allow_writes,
        "seconds": round(time.monotonic() - config.stash.get(STARTED, time.monotonic()), 2),
        "requests": client.ledger.requests,
        "rate_limited": {"responses": client.ledger.rate_limited,
                         "waited_s": round(client.ledger.rate_limit_wait_s, 1),
                         "lowest_in_flight_bound": client.ledger.lowest_limit or run.concurrency},
        "concurrency": {"bound": run.concurrency, "peak_in_flight": client.session.limit.peak},
        "settle": {"waits": len(client.ledger.settle_waits), "waited_s": round(sum(client.ledger.settle_waits), 2),
                   "limit_s": run.settle},
        "data": {"created": len(client.ledger.created), "deleted": len(client.ledger.created - set(leaked)),
                 "leaked": leaked, **({"leak_check": leak_check} if leak_check else {})},
        "hangs": {"classes": sorted(client.ledger.hangs), "waited_s": round(sum(client.ledger.hangs.values()), 1)},
        "resent": client.ledger.resent,
    }
    if STATE in config.stash:
        meta["state"] = {"kept": config.stash[STATE].kept, "message": config.stash[STATE].message}
    # cases side by side observe in any order: the report lists what was observed in one order on every rerun
    observed = {requirement: sorted(notes) for requirement, notes in config.stash[OBSERVATIONS].items()}
    interrupted = _SESSION_FLAGS.pop("interrupted", False)
    if config.getoption("report_dir"):  # a traceback of an earlier run's error must not pass for this run's
        trace = Path(config.getoption("report_dir")) / INTERNAL_ERROR_FILE
        trace.unlink(missing_ok=True)
        if internal and INTERNAL_TRACEBACK in config.stash:
            trace.parent.mkdir(parents=True, exist_ok=True)
            trace.write_text(config.stash[INTERNAL_TRACEBACK], encoding="utf-8")
            internal += f" (traceback in {trace})"
    if not internal and exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.USAGE_ERROR,
                                       pytest.ExitCode.INTERNAL_ERROR):
        internal = "internal error: the checker itself failed (a case module did not load, or pytest failed)"
    result = summarize(config.stash[OUTCOMES], observed, config.stash[BASELINE], meta, unusable=unusable or "",
                       interrupted=interrupted, error=internal or "", require_complete=run.require_complete)
    config.stash[REPORT] = result
    if config.getoption("report_dir"):
        report.write_all(result, config.getoption("report_dir"))
    if run.step_summary:
        report.append_summary(result, run.step_summary)
    if config.getoption("update_baseline") and config.getoption("baseline"):
        baseline.write(config.getoption("baseline"), result)
    session.exitstatus = result["exit_code"]


def _why_no_leak_check(config: pytest.Config) -> str:
    """Why the account is not searched for leftovers: a target that keeps no state lists its examples, not what it
    was sent, so nothing it lists is ours and nothing can be left behind ('' when the search runs)."""
    if not config.stash[CONFIG].profile.checks_state:
        return "not done: the contract profile assumes a target that keeps nothing, so nothing can be left behind"
    if STATE in config.stash and config.stash[STATE].kept is False:
        return "not done: the target keeps no state and never listed what this run created"
    return ""


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    result = config.stash.get(REPORT, None)
    if result:
        terminalreporter.write_line("")
        lines = report.terminal_lines(result)
        hangs, leak_check = result["hangs"], result["data"].get("leak_check")
        if hangs["classes"]:
            lines.insert(-1, f"unanswered: {', '.join(hangs['classes'])} (waited {hangs['waited_s']} s; later "
                             "requests of the same kind were not sent)")
        if leak_check:
            lines.insert(-1, f"leak check: {leak_check}")
        if result.get("resent"):
            lines.insert(-1, f"resent: {result['resent']} requests the target dropped unanswered (a kept-alive "
                             "connection it closed as they arrived), each once on a fresh connection")
        for line in lines:
            terminalreporter.write_line(line)
