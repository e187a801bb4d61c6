"""Keeps the API key out of every failure report pytest or a plugin writes."""
from __future__ import annotations

from collections.abc import Callable

import pytest


class Redactor:
    """Redacts the key from every failure report before any reporter (terminal, --junitxml, plugins, schemathesis'
    subtests) reads it: the messages quote responses, and a target may echo the key."""

    def __init__(self, redact: Callable[[str], str]) -> None:
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
