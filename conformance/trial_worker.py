"""Runs `conformance run` trials for the self-check in forked children of one process that has already imported and
loaded what every trial needs, so a trial does not pay for start-up again. One JSON line in (argv and log file), one
out (exit)."""
from __future__ import annotations

import importlib
import json
import os
import pkgutil
import sys

import hypothesis  # noqa: F401  (imported once here, inherited by every forked trial)
import pytest  # noqa: F401
import requests  # noqa: F401
import schemathesis
import uvicorn
from hypothesis import strategies as st

from conformance import cases, cli, mock, plugin, resources, sampling


def warm() -> None:
    """What each trial would otherwise load again: the cases and the plugin (a run imports them with pytest's
    assertion rewriting off, so the modules imported here are the ones it would import), the reference server and the
    protocol modules uvicorn picks when it loads a config, what schemathesis imports as it reads a spec, phone metadata
    and codecs."""
    for package in (cases, plugin, mock):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(module.name)
    uvicorn.Config(lambda scope, receive, send: None, lifespan="off", log_level="warning").load()
    schemathesis.openapi.from_path(resources.spec_path())
    st.from_regex("^a$").validate()
    sampling.import_before_cases()


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
    warm()
    for line in sys.stdin:
        request = json.loads(line)
        print(json.dumps({"exit": run_forked(request["argv"], request["log"])}), flush=True)


if __name__ == "__main__":
    main()
