"""Whose fault an exception that ended a case is: the target's (a finding, or a rule not checked, as the case says)
or the checker's own (the run ends with exit 4 and never blames the target)."""
from __future__ import annotations

from concurrent.futures import CancelledError
from pathlib import Path

import pytest
import requests

from conformance.errors import BudgetExhausted, CheckerBug, RunStopping, TargetUnusable, UnsafeRequest
from conformance.wire import WireError

PACKAGE = Path(__file__).resolve().parent
# No answer of a target can cause these, wherever they are raised: a bug or a broken installation.
ALWAYS_OURS = (ImportError, NameError, SyntaxError, FileNotFoundError, pytest.FixtureLookupError, CheckerBug)
# How the checker reports what a target did (a broken rule, an unusable or slow target, the run's own limits).
TARGET_OUTCOMES = (AssertionError, BudgetExhausted, TargetUnusable, UnsafeRequest, RunStopping, CancelledError,
                   requests.RequestException, WireError)


def is_checker_fault(error: BaseException, cases: Path | None = None) -> bool:
    """A case's own code broke: an exception of a kind that reports nothing about the target, raised inside the
    checker (this package, or `cases`, the folder of the case that ran: a TypeError or KeyError in a case or the
    client); or one of the kinds no target can cause. An exception a library raised about what the target sent
    (a JSON decoder given a target's body) stays the case's finding, as does every check failure."""
    if isinstance(error, BaseExceptionGroup):
        return any(is_checker_fault(inner, cases) for inner in error.exceptions)
    if isinstance(error, ALWAYS_OURS):
        return True
    folders = [PACKAGE, *([cases.resolve()] if cases else [])]
    return not isinstance(error, TARGET_OUTCOMES) and _raised_in(error, folders)


def _raised_in(error: BaseException, folders: list[Path]) -> bool:
    """The innermost frame of the exception's traceback (where it was raised) lies in one of the folders."""
    tb = error.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    raised_in = Path(tb.tb_frame.f_code.co_filename).resolve()
    return any(raised_in.is_relative_to(folder) for folder in folders)
