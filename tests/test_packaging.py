"""The installed package, not the clone: a wheel that carries the spec, the catalogue and the cases and passes a
run from any directory; and the checker's own faults end a run with exit 4, never as a verdict on the target."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

SHIPPED = {"conformance/openapi.yaml", "conformance/requirements.yaml", "conformance/cases/__init__.py",
           "conformance/cases/conftest.py", "conformance/cases/test_spec.py", "conformance/plugin/__init__.py",
           "conformance/plugin/support.py", "conformance/mock/app.py"}


def _env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith(("ZEXA_", "PYTEST_"))}


def _broken_checker(patch: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Runs `python -c` with `patch` (Python source breaking the checker the way a bug or a bad install would)
    followed by the code in `args[0]`, with the rest of `args` as its sys.argv."""
    code = f"import sys\n{patch}\n{args[0]}"
    return subprocess.run([sys.executable, "-c", code, *args[1:]], capture_output=True, text=True, timeout=300,
                          env=_env(), cwd=cwd)


CLI = "from conformance.cli import main\nsys.exit(main(sys.argv[1:]))"
NO_SPEC = "import conformance.resources\nconformance.resources.SPEC_NAME = 'missing.yaml'"


def test_missing_spec_ends_the_run_with_exit_4_before_any_case(tmp_path):
    done = _broken_checker(NO_SPEC, CLI, "run", "--profile", "quick", "--report-dir", str(tmp_path))
    assert done.returncode == 4, done.stdout + done.stderr
    assert done.stderr.splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith("conformance: internal error: missing.yaml is missing from the installed")
    assert "Traceback" not in done.stdout + done.stderr
    assert not (tmp_path / "report.json").exists()


def test_missing_spec_stops_plain_pytest_with_one_line(tmp_path):
    run_pytest = ("import pytest\nsys.exit(pytest.main(['conformance/cases', '--base-url', 'http://127.0.0.1:9/v1', "
                  "'-p', 'no:cacheprovider', '--report-dir', sys.argv[1]]))")
    done = _broken_checker(NO_SPEC, run_pytest, str(tmp_path))
    assert done.returncode == 4, done.stdout + done.stderr
    assert "ERROR: internal error: missing.yaml is missing from the installed" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert not (tmp_path / "report.json").exists()


def test_a_checker_bug_inside_cases_is_exit_4_and_fails_no_requirement(tmp_path):
    bug = ("from conformance import strategies\n"
           "def every_class(*args, **kwargs):\n"
           "    raise ImportError('simulated: a module the checker needs is missing')\n"
           "strategies.every_class = every_class")
    done = _broken_checker(bug, CLI, "run", "--profile", "quick", "--seed", "5", "--report-dir", str(tmp_path))
    assert done.returncode == 4, done.stdout[-3000:] + done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("conformance: internal error in test_") and ("ImportError: simulated: a module the "
                                                                        "checker needs is missing") in line
    assert "ImportError" in (tmp_path / "internal-error.txt").read_text(encoding="utf-8")
    assert "Traceback" not in done.stdout + done.stderr
    result = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert result["verdict"] == "error" and result["exit_code"] == 4
    assert [r["id"] for r in result["requirements"] if r["status"] == "failed"] == []
    assert any(r["status"] == "passed" for r in result["requirements"])  # cases the bug does not touch still ran


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    return next(out.glob("zexa_conformance-*.whl"))


@pytest.mark.slow
def test_wheel_ships_the_spec_the_catalogue_and_the_cases(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert SHIPPED <= names, SHIPPED - names


@pytest.mark.slow
def test_installed_wheel_passes_a_quick_run_from_another_directory(wheel, tmp_path):
    project = tmp_path / "someone's project"  # its pytest.ini and conftest.py must not leak into the run
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\naddopts = --no-such-option\n", encoding="utf-8")
    (project / "conftest.py").write_text("raise SystemExit('a conftest.py around the install was loaded')\n",
                                         encoding="utf-8")
    venv = project / ".venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    install = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-compile", str(wheel)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-3000:]
    done = subprocess.run([str(venv / "bin" / "conformance"), "run", "--profile", "quick"], cwd=project,
                          capture_output=True, text=True, timeout=300, env=_env())
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads((project / "reports" / "report.json").read_text(encoding="utf-8"))
    assert result["verdict"] == "pass" and result["data"]["leaked"] == []
    assert {"report.html", "junit.xml", "summary.md"} <= {p.name for p in (project / "reports").iterdir()}
    assert not (project / ".hypothesis").exists(), "hypothesis' cache was left in the user's project"
