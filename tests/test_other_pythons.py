"""The wheel, installed into a fresh venv, passes a quick run on every other Python 3.11-3.13 of this machine
(tests/other_pythons.sh; run inside the suite so it overlaps the other tests instead of delaying them)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_the_wheel_passes_a_quick_run_on_every_other_python():
    done = subprocess.run(["sh", "tests/other_pythons.sh", sys.executable], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "other Pythons: ran on" in done.stdout
