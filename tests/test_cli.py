"""`conformance run/diff` end to end over real HTTP: exit codes, reports, the baseline gate, redaction."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest

from conformance.config import free_port
from conformance.mock.server import BackgroundServer
from conformance.report.wording import plain_message
from conformance.requirements import catalogue
from tests.conftest import ROOT, run_cli

SECRET = "zx_live_RECOGNISABLE_secret_91c2e7"


def report(directory: Path) -> dict:
    return json.loads((directory / "report.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def faithful(tmp_path_factory):
    out = tmp_path_factory.mktemp("faithful")
    (out / "job-summary.md").write_text("# an earlier step's summary\n", encoding="utf-8")
    return run_cli("run", "--profile", "quick", "--seed", "11", "--report-dir", str(out),
                   env={"GITHUB_STEP_SUMMARY": str(out / "job-summary.md")}), out


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    out = tmp_path_factory.mktemp("faulty")
    return run_cli("run", "--profile", "quick", "--seed", "11", "--report-dir", str(out),
                   "--reference-fault", "no_conflict"), out


def test_faithful_run_exits_0_and_writes_every_report(faithful):
    done, out = faithful
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "seed 11" in done.stdout and "verdict: PASS" in done.stdout
    result = report(out)
    assert result["verdict"] == "pass" and result["seed"] == 11 and result["requests"] > 50
    assert result["data"]["leaked"] == [] and result["data"]["created"] == result["data"]["deleted"] > 0
    suite = ElementTree.parse(out / "junit.xml").getroot()
    assert len(suite.findall("testcase")) == len(catalogue()) and suite.get("failures") == "0"
    assert "PASS" in (out / "summary.md").read_text(encoding="utf-8")
    job_summary = (out / "job-summary.md").read_text(encoding="utf-8")
    assert job_summary == "# an earlier step's summary\n" + (out / "summary.md").read_text(encoding="utf-8") + "\n"


def test_fault_run_exits_1_naming_the_broken_requirement(faulty):
    done, out = faulty
    assert done.returncode == 1
    result = report(out)
    assert "CREATE-409-DUPLICATE-PHONE" in result["new_must_failures"]
    failing = next(r for r in result["requirements"] if r["id"] == "CREATE-409-DUPLICATE-PHONE")
    evidence = failing["failures"][0]["evidence"][0]
    assert evidence["response"]["status"] == 201 and evidence["curl"].startswith("curl")
    assert '"$ZEXA_API_KEY"' in evidence["curl"]
    junit = ElementTree.parse(out / "junit.xml").getroot()
    case = junit.find(".//testcase[@name='CREATE-409-DUPLICATE-PHONE']")
    assert case.get("classname") == "create" and case.find(".//property[@name='level']").get("value") == "MUST"
    headline = plain_message(min(failing["failures"], key=lambda f: f["order"])["message"])
    assert case.find("failure").get("message").splitlines()[0] == headline and "expected 409" in headline


def render_in_chromium(page: Path, tmp_path: Path) -> str:
    chromium = shutil.which("chromium")
    assert chromium, "chromium is required (make test installs Debian's chromium)"
    done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-1000:]
    return done.stdout


def test_html_report_renders_verdict_and_failing_rows_in_a_real_browser(faulty, tmp_path):
    dom = render_in_chromium(faulty[1] / "report.html", tmp_path)
    assert 'id="verdict"' in dom and "FAIL — MUST requirements failed" in dom
    assert 'class="failed" id="row-CREATE-409-DUPLICATE-PHONE"' in dom
    assert 'id="fail-CREATE-409-DUPLICATE-PHONE"' in dom and "Reproduce" in dom


def test_baseline_absorbs_known_failures_and_reports_stale_entries(faulty, tmp_path):
    baseline = tmp_path / "baseline.json"
    written = run_cli("run", "--profile", "quick", "--seed", "11", "--report-dir", str(tmp_path / "a"),
                      "--reference-fault", "no_conflict", "--baseline", str(baseline), "--update-baseline")
    assert written.returncode == 1 and baseline.exists()
    gated = run_cli("run", "--profile", "quick", "--seed", "11", "--report-dir", str(tmp_path / "b"),
                    "--reference-fault", "no_conflict", "--baseline", str(baseline))
    assert gated.returncode == 0, gated.stdout[-2000:]
    assert "CREATE-409-DUPLICATE-PHONE" in report(tmp_path / "b")["baselined_failures"]
    junit = ElementTree.parse(tmp_path / "b" / "junit.xml").getroot()
    assert junit.get("failures") == str(len(junit.findall(".//failure"))) == "0"
    assert "known deviation" in junit.find(".//testcase[@name='CREATE-409-DUPLICATE-PHONE']/system-out").text
    fixed = run_cli("run", "--profile", "quick", "--seed", "11", "--report-dir", str(tmp_path / "c"),
                    "--baseline", str(baseline))
    assert fixed.returncode == 0 and any(e.startswith("CREATE-409-DUPLICATE-PHONE")
                                         for e in report(tmp_path / "c")["stale_baseline"])
    assert "stale baseline entries" in fixed.stdout


def test_diff_lists_fixed_and_new_requirements(faithful, faulty):
    old, new = faulty[1] / "report.json", faithful[1] / "report.json"
    improved = run_cli("diff", str(old), str(new))
    assert improved.returncode == 0 and "CREATE-409-DUPLICATE-PHONE" in improved.stdout.split("new")[0]
    regressed = run_cli("diff", str(new), str(old))
    assert regressed.returncode == 1


@pytest.mark.parametrize("args,env,message", [
    (["run", "--base-url", "not-a-url"], {"ZEXA_API_KEY": "k"}, "--base-url must be an http(s) URL"),
    (["run", "--base-url", "http://127.0.0.1:9/v1"], {}, "no API key"),
    (["run", "--base-url", "http://127.0.0.1:9/v1", "--api-key", "  "], {}, "no API key"),
    (["run", "--profile", "bogus"], {}, "invalid choice: 'bogus'"),
    (["run", "--seed", "abc"], {}, "--seed must be a whole number"),
    (["run", "--baseline", "/nonexistent/baseline.json"], {}, "baseline file not found"),
    (["run", "--baseline", str(ROOT / "pyproject.toml")], {}, "is unreadable"),
    (["run"], {"ZEXA_READ_TIMEOUT": "soon"}, "ZEXA_READ_TIMEOUT must be a positive number"),
    (["run", "--list-ids", "abc"], {}, "not a list id: abc"),
    (["diff", "/nonexistent/a.json", "/nonexistent/b.json"], {}, "cannot read report"),
])
def test_bad_input_is_exit_2_with_one_line_and_no_traceback(args, env, message):
    done = run_cli(*args, env=env, timeout=60)
    assert done.returncode == 2 and message in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_unreachable_target_is_exit_3(tmp_path):
    done = run_cli("run", "--base-url", f"http://127.0.0.1:{free_port()}/v1", "--report-dir", str(tmp_path),
                   env={"ZEXA_API_KEY": "k"}, timeout=60)
    assert done.returncode == 3 and "cannot reach" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_rejected_key_is_exit_3_check_your_key(tmp_path):
    with BackgroundServer(api_key="the-real-key") as server:
        done = run_cli("run", "--base-url", server.base_url, "--report-dir", str(tmp_path),
                       env={"ZEXA_API_KEY": SECRET}, timeout=60)
    assert done.returncode == 3 and "check your key" in done.stdout + done.stderr
    assert SECRET not in done.stdout + done.stderr


def test_key_never_appears_in_output_or_any_artifact_of_a_failing_run(tmp_path):
    with BackgroundServer(api_key=SECRET, deviations=["any_key_accepted", "error_without_message"]) as server:
        done = run_cli("run", "--base-url", server.base_url, "--api-key", SECRET, "--profile", "quick",
                       "--report-dir", str(tmp_path), timeout=300)
    assert done.returncode == 1
    artifacts = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir() if p.is_file()}
    assert set(artifacts) == {"report.json", "junit.xml", "report.html", "summary.md"}
    for name, text in {**artifacts, "stdout": done.stdout, "stderr": done.stderr}.items():
        assert SECRET not in text, f"the key leaked into {name}"
    assert '"Bearer $ZEXA_API_KEY"' in artifacts["report.json"]  # the run's key, as the reader's shell holds it
