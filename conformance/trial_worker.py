"""Runs `conformance run` trials for the self-check in forked children of one process that has already imported the
heavy libraries, so a trial does not pay for start-up again. One JSON line in (argv and log file), one out (exit)."""
from __future__ import annotations

import json
import os
import sys

import hypothesis  # noqa: F401  (imported once here, inherited by every forked trial)
import pytest  # noqa: F401
import requests  # noqa: F401
import schemathesis  # noqa: F401
import uvicorn  # noqa: F401

from conformance import cli


def run_forked(argv: list[str], log_path: str) -> int:
    pid = os.fork()
    if pid == 0:  # the child: a fresh `conformance run`, its output in the log file
        code = 4
        try:
            fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            code = cli.main(argv)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code if isinstance(code, int) else 4)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        print(json.dumps({"exit": run_forked(request["argv"], request["log"])}), flush=True)


if __name__ == "__main__":
    main()
