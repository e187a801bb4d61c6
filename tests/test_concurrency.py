"""Requests in flight together: the bound holds (counted by the server), 429s lower it, the verdict does not depend
on it, and an interrupt with requests in flight still leaves nothing behind."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest
import requests

from conformance.mock.server import BackgroundServer
from tests.conftest import API_KEY, ROOT, run_cli

AUTH = {"Authorization": f"Bearer {API_KEY}"}


def run_against(server: BackgroundServer, tmp_path, *args: str) -> dict:
    done = run_cli("run", "--base-url", server.base_url, "--profile", "quick", "--seed", "5",
                   "--report-dir", str(tmp_path), *args, env={"ZEXA_API_KEY": API_KEY})
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    return json.loads((tmp_path / "report.json").read_text(encoding="utf-8")) | {"exit": done.returncode}


# answers are held so that requests sent together overlap; at 1 in flight the ~700 requests go one by one
@pytest.mark.parametrize("bound, latency", [(1, 5), (3, 20), (8, 20)])
def test_requests_in_flight_never_exceed_the_bound(tmp_path, bound, latency):
    with BackgroundServer(api_key=API_KEY, latency=latency) as server:
        result = run_against(server, tmp_path, "--concurrency", str(bound))
        peak = server.log.peak
    assert result["exit"] == 0 and result["verdict"] == "pass"
    assert peak <= bound, f"the server held {peak} requests at once; the bound is {bound}"
    assert peak >= min(bound, 3), f"only {peak} requests were ever in flight together (bound {bound})"


def test_rate_limiting_lowers_the_bound_and_the_run_still_passes(tmp_path):
    with BackgroundServer(api_key=API_KEY, deviations=["occasional_429"], latency=10) as server:
        result = run_against(server, tmp_path, "--concurrency", "8")
    assert result["exit"] == 0, result.get("new_must_failures")
    limited = result["rate_limited"]
    assert limited["responses"] > 0 and limited["lowest_in_flight_bound"] < 8


def test_same_seed_gives_the_same_verdict_at_every_bound(tmp_path):
    verdicts = {}
    for bound in (1, 8):
        with BackgroundServer(api_key=API_KEY, deviations=["no_conflict"]) as server:
            result = run_against(server, tmp_path / str(bound), "--concurrency", str(bound))
        verdicts[bound] = (result["exit"], sorted(result["new_must_failures"]))
    assert verdicts[1] == verdicts[8] and verdicts[1][0] == 1


def test_interrupt_with_requests_in_flight_leaves_nothing_behind(tmp_path):
    with BackgroundServer(api_key=API_KEY, latency=200) as server:
        process = subprocess.Popen([sys.executable, "-m", "conformance", "run", "--base-url", server.base_url,
                                    "--profile", "default", "--report-dir", str(tmp_path), "--concurrency", "8"],
                                   cwd=ROOT, env={"PATH": "/usr/bin:/bin", "ZEXA_API_KEY": API_KEY},
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not (server.log.in_flight >= 4 and any(e["method"] == "POST" for e in server.log.entries[-8:])):
            assert time.monotonic() < deadline and process.poll() is None, "never saw several requests in flight"
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
        remaining = requests.get(server.base_url + "/contacts", params={"per_page": 100}, headers=AUTH).json()
    assert process.returncode == 130, stdout[-2000:] + stderr[-2000:]
    assert remaining["meta"]["total"] == 0, [c["name"] for c in remaining["data"]]
    assert "Traceback" not in stderr


UNSUPPORTED_CASES = {
    "autouse": "@pytest.fixture(autouse=True)\ndef everywhere():\n    return 1\n\n\n"
               "def test_one(declared):\n    pass\n",
    "pytest_fixture": "@pytest.fixture\ndef undeclared():\n    return 1\n\n\ndef test_one(undeclared):\n    pass\n",
    "missing": "def test_one(nowhere):\n    pass\n",
    "skip_mark": "@pytest.mark.skip(reason='later')\ndef test_one(declared):\n    pass\n",
    "scope": "@fixture(scope='module')\ndef wide(declared):\n    return 1\n\n\ndef test_one(wide):\n    pass\n",
}


def _collect_with_the_runner(folder):
    """pytest's collection of `folder` with the side-by-side runner's hooks, as the cases are collected."""
    return subprocess.run([sys.executable, "-m", "pytest", str(folder), "-p", "conformance.plugin.runner",
                           "--collect-only", "-q", "-p", "no:cacheprovider", "-c", "/dev/null",
                           "--rootdir", str(folder)], capture_output=True, text=True, timeout=120, cwd=ROOT)


@pytest.mark.parametrize(("kind", "says"), [
    ("autouse", "pytest would also set up everywhere"), ("pytest_fixture", "needs fixture 'undeclared'"),
    ("missing", "needs fixture 'nowhere'"), ("skip_mark", "is marked skip"),
    ("scope", "fixture 'wide' (module fixture) needs 'declared', a function fixture"),
])
def test_a_case_the_runner_cannot_run_as_pytest_would_stops_the_run_at_collection(tmp_path, kind, says):
    """The runner resolves the cases' fixtures itself: what pytest would do beyond that (an autouse fixture, a
    fixture not declared for the runner, a skip mark) is refused before any case runs, never silently left out."""
    (tmp_path / "test_unsupported.py").write_text(
        "import pytest\n\nfrom conformance.cases.fixtures import fixture\n\n\n@fixture\ndef declared():\n"
        "    return 1\n\n\n" + UNSUPPORTED_CASES[kind], encoding="utf-8")
    done = _collect_with_the_runner(tmp_path)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout[-2000:] + done.stderr[-2000:]
    assert says in done.stderr, done.stderr[-2000:]


def test_cases_the_runner_can_run_pass_the_collection_check(tmp_path):
    (tmp_path / "test_supported.py").write_text(
        "import pytest\n\nfrom conformance.cases.fixtures import fixture\n\n\n@fixture(scope='session')\n"
        "def wide(pytestconfig):\n    return 1\n\n\n@fixture\ndef narrow(wide, request):\n    yield wide\n\n\n"
        "@pytest.mark.parametrize('n', [1, 2])\ndef test_one(narrow, n):\n    pass\n", encoding="utf-8")
    done = _collect_with_the_runner(tmp_path)
    assert done.returncode == 0 and "2 tests collected" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]


def test_a_case_whose_shared_fixture_is_being_computed_is_put_aside_instead_of_holding_a_thread():
    """A case thread that waited for another case to finish computing a shared fixture would send nothing
    meanwhile: the case is put aside and handed back once the fixture is there."""
    import threading
    from pathlib import Path
    from types import SimpleNamespace
    from conformance.cases import fixtures as declared, side_by_side

    fixtures, started, release = side_by_side.Fixtures(), threading.Event(), threading.Event()

    def slow():
        started.set()
        return release.wait(10) and "value"
    provider = declared.Provider(slow, "session")
    item = SimpleNamespace(path=Path("test_x.py"))
    key = declared.shared_key(item, "slow", "session")
    plan = declared.Plan(arguments=("slow",), params={}, providers={"slow": provider}, shared=[key])
    computing = threading.Thread(target=fixtures.shared_value, args=(item, plan, provider, []))
    computing.start()
    assert started.wait(5), "the fixture never started"
    resumed = []
    assert fixtures.put_aside(["fixture other", key], lambda: resumed.append("resumed"))
    assert resumed == [], "handed back before the fixture was computed"
    release.set()
    computing.join(5)
    assert resumed == ["resumed"]
    assert fixtures.computed(key).value == "value"
    assert not fixtures.put_aside([key], lambda: resumed.append("again")), "a computed fixture is no reason to wait"
    assert resumed == ["resumed"]


PARSES_OUT_OF_TURN = """
import ast, os, sys, threading
import pytest
from conformance.mock.server import BackgroundServer
from conformance.sampling import HYPOTHESIS

out_of_turn, imported, parse = [], [], ast.parse


def recorded(*args, **kwargs):
    if threading.current_thread() is not threading.main_thread() and not HYPOTHESIS.held():
        out_of_turn.append(threading.current_thread().name)
    return parse(*args, **kwargs)


class ImportsOutOfTurn:
    def find_spec(self, name, path=None, target=None):
        if threading.current_thread().name.startswith("conformance-case") and not HYPOTHESIS.held():
            imported.append(name)
        return None


ast.parse = recorded
sys.meta_path.insert(0, ImportsOutOfTurn())
with BackgroundServer(api_key="k") as server:
    os.environ["ZEXA_API_KEY"] = "k"
    code = pytest.main(["conformance/cases", "--base-url", server.base_url, "--seed", "3", "-q", "--assert=plain",
                        "-p", "no:cacheprovider", "-o", "addopts=", "--report-dir", sys.argv[1]])
print("exit", int(code), "out of turn", len(out_of_turn), sorted(set(out_of_turn)), "imported", sorted(set(imported)))
"""


def test_case_threads_build_syntax_trees_and_import_only_in_hypothesis_turn(tmp_path):
    """CPython 3.11 fails two syntax trees built at once (see side_by_side.py): across a whole default run, every
    one a case's thread builds (hypothesis, schemathesis) is built in hypothesis' turn, which pytest's reporting in
    the main thread takes too. hypothesis reads sys.modules as it draws, which an import in another thread breaks
    (see sampling.import_before_cases): cases' threads import nothing outside that turn either."""
    script = tmp_path / "parses.py"
    script.write_text(PARSES_OUT_OF_TURN, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "reports")], capture_output=True, text=True,
                          timeout=600, cwd=ROOT, env={"PATH": "/usr/bin:/bin"})
    assert "exit 0 out of turn 0 [] imported []" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
