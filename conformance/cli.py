"""`conformance` command: argument parsing and exit codes; the work happens in pytest, the server and the writers."""
from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from conformance import resources
from conformance.config import PROFILES, ConfigError, resolve
from conformance.results import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_PASS, EXIT_USAGE, REPORT, decide

CASES = Path(__file__).with_name("cases")

EPILOG = """exit codes: 0 no MUST requirement failed (PASS, or PARTIAL: some rules not judged) · 1 a MUST requirement
failed (not in the baseline), data leaked, or PARTIAL with --require-complete ·
2 usage or configuration error · 3 target unusable (unreachable, key rejected, rate-limited beyond the wait limit) ·
4 internal error of the checker · 130 interrupted"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="conformance", description="Conformance checker for the Zexa Contacts API.",
                                     epilog=EPILOG)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="check a target (default: the bundled reference server)", epilog=EPILOG)
    run.add_argument("--base-url", help="API base URL, e.g. https://api.zexa.ao/v1 (default: start the bundled "
                                        "reference server on 127.0.0.1)")
    run.add_argument("--api-key", help="API key (default: the ZEXA_API_KEY environment variable)")
    run.add_argument("--report-dir", default="reports", help="where reports are written (default: reports)")
    run.add_argument("--profile", choices=list(PROFILES), default=None, help="quick, default, thorough, or contract (each response judged alone, no claim that needs "
                          "state: for stateless mocks such as Prism)")
    run.add_argument("--seed", help="seed for generated data (printed and written to the report)")
    run.add_argument("--baseline", help="JSON file of known deviations that do not fail the gate")
    run.add_argument("--update-baseline", action="store_true", help="write the current MUST failures to --baseline")
    run.add_argument("--list-ids", help="lst_ ids the run may add its own contacts to (comma-separated)")
    run.add_argument("--allow-writes", action="store_true",
                     help="create and delete (only its own) contacts on a non-loopback target (or ZEXA_ALLOW_WRITES=1)")
    run.add_argument("--concurrency", help="requests in flight at most (default 8, or ZEXA_CONCURRENCY)")
    run.add_argument("--settle", help="seconds a list may take to show a create or delete before it is judged "
                                      "(default 3, 0 under --profile contract; or ZEXA_SETTLE)")
    run.add_argument("--require-complete", action="store_true",
                     help="exit 1 on a PARTIAL verdict: rules the run's settings or budget kept from being judged "
                          "(or ZEXA_REQUIRE_COMPLETE=1)")
    run.add_argument("-k", dest="keyword", help="only run cases matching this pytest -k expression")
    run.add_argument("--requirement", action="append", default=[], metavar="ID",
                     help="only run the cases that check this requirement of the catalogue (repeatable)")
    run.add_argument("--reference-fault", action="append", default=[], metavar="NAME",
                     help="with the bundled server only: switch on this fault or variant (the self-check uses it)")
    run.add_argument("--har", metavar="FILE", help="also write the run's own traffic as a HAR file (the key shows "
                                                   "as $ZEXA_API_KEY; the account's other contacts show as the "
                                                   "target sent them), e.g. for `conformance judge`")
    run.add_argument("--reference-request-log", help=argparse.SUPPRESS)  # the self-check compares evidence with it

    mock = sub.add_parser("mock", help="serve the bundled reference server")
    mock.add_argument("--port", type=int, default=8080)
    mock.add_argument("--host", default="127.0.0.1")
    mock.add_argument("--api-key", help="the key the server accepts (default: ZEXA_API_KEY, else a new one, printed)")
    mock.add_argument("--db", default=":memory:", help="SQLite file to keep data across restarts (default: memory)")
    mock.add_argument("--fault", action="append", default=[], metavar="NAME", help="switch on a fault or legal variant")
    mock.add_argument("--list-faults", action="store_true", help="list faults and variants, then exit")
    mock.add_argument("--latency", type=float, default=0.0, metavar="MS", help="delay every answer by MS milliseconds")
    mock.add_argument("--jitter", type=float, default=0.0, metavar="MS",
                      help="add a seeded random delay of up to MS milliseconds to every answer")

    spec = sub.add_parser("spec", help="write the bundled OpenAPI contract (openapi.yaml), for Prism, Swagger UI or "
                                        "Postman")
    spec.add_argument("--output", metavar="FILE", help="write it to FILE (default: standard output)")

    cleanup = sub.add_parser("cleanup", help="delete contacts left behind by earlier (crashed) runs")
    cleanup.add_argument("--base-url", required=True)
    cleanup.add_argument("--api-key")
    group = cleanup.add_mutually_exclusive_group(required=True)
    group.add_argument("--run-tag", help="the run tag printed by the run that left them")
    group.add_argument("--all-runs", action="store_true", help="every contact tagged by any run of this checker")

    diff = sub.add_parser("diff", help="compare two report.json files")
    diff.add_argument("old")
    diff.add_argument("new")

    judge = sub.add_parser("judge", help="judge recorded traffic (a HAR file) with the requirement catalogue",
                           epilog=EPILOG)
    judge.add_argument("har", metavar="FILE.har", help="HAR 1.2 file (browser, Playwright, mitmproxy export)")
    judge.add_argument("--report-dir", default="reports", help="where reports are written (default: reports)")
    judge.add_argument("--settle", type=float, default=3.0, metavar="SECONDS",
                       help="seconds a list may take to show a delete before it is judged (default 3)")
    proxy = sub.add_parser("proxy", help="a reverse proxy that judges the live traffic a client sends through it",
                           epilog=EPILOG)
    proxy.add_argument("--upstream", required=True, help="the API's base URL, e.g. https://api.zexa.ao/v1")
    proxy.add_argument("--host", default="127.0.0.1")
    proxy.add_argument("--port", type=int, default=8888, help="port to listen on (default 8888; 0: any free one)")
    proxy.add_argument("--report-dir", default="reports", help="where reports are written (default: reports)")
    proxy.add_argument("--report-every", type=float, metavar="SECONDS", help="also write the reports this often")
    proxy.add_argument("--settle", type=float, default=3.0, metavar="SECONDS",
                       help="seconds a list may take to show a delete before it is judged (default 3)")
    proxy.add_argument("--api-key", help="the account's key (default: ZEXA_API_KEY, else the first key the "
                                         "upstream accepts); only used to tell it from forged keys")
    check = sub.add_parser("selfcheck", help="prove the checker: every reference fault caught, every legal variant clean")
    check.add_argument("--seeds", type=int, default=1, help="run every server under this many seeds (default 1)")
    check.add_argument("--concurrency", default="8",
                       help="comma-separated in-flight bounds to run each seed at; verdicts must agree (default 8)")
    check.add_argument("--only", action="append", default=[], metavar="NAME", help="only this fault or variant")
    check.add_argument("--jobs", type=int, default=2, help="runs side by side (default 2)")
    check.add_argument("--settle", default="", help="--settle for every run (default: the run's own default)")
    check.add_argument("--targeted", action="store_true",
                       help="run each fault's server with only the cases of the rule it breaks (the whole profile "
                            "when those miss it); clean servers always get the whole profile")
    check.add_argument("--variant-profile", default="default", choices=("quick", "default"),
                       help="the profile legal variants' servers get (default: default; quick is about a quarter "
                            "cheaper, with fewer drawn inputs)")
    check.add_argument("--out", default="reports/selfcheck.json")
    check.add_argument("--traffic", action="store_true",
                       help="instead: judge each server's default-run HAR passively (`judge`) and report the share "
                            "of faults caught")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "mock":
            return _mock(args)
        if args.command == "spec":
            return _spec(args.output)
        if args.command == "cleanup":
            from conformance.cleanup import cleanup
            return cleanup(args.base_url, args.api_key, args.run_tag, args.all_runs)
        if args.command == "judge":
            from conformance.traffic.command import judge_file
            return judge_file(args.har, args.report_dir, args.settle)
        if args.command == "proxy":
            from conformance.traffic.proxy import serve
            return serve(args.upstream, args.host, args.port, args.report_dir, args.report_every, args.settle,
                         args.api_key)
        if args.command == "diff":
            from conformance.diff import diff
            return diff(args.old, args.new)
        if args.traffic:
            from conformance.traffic.selfcheck import selfcheck_traffic
            return selfcheck_traffic(args.out, jobs=args.jobs, only=tuple(args.only))
        from conformance.selfcheck import selfcheck
        if args.seeds < 1 or args.jobs < 1:
            raise ConfigError("--seeds and --jobs take a whole number of at least 1")
        return selfcheck(args.out, seeds=args.seeds, concurrency=_levels(args.concurrency), only=tuple(args.only),
                         jobs=args.jobs, settle=args.settle, targeted=args.targeted,
                         variant_profile=args.variant_profile)
    except ConfigError as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("conformance: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # the checker's own fault: one line and exit 4, never a verdict on the target
        print(f"conformance: internal error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_INTERNAL


def _one_line(exc: Exception) -> str:
    if isinstance(exc, resources.MissingResource):
        return str(exc)
    return f"{type(exc).__name__}: {(str(exc) or 'no detail').splitlines()[0]}"


def _levels(raw: str) -> tuple[int, ...]:
    try:
        levels = tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        levels = ()
    if not levels or any(not 1 <= n <= 64 for n in levels):
        raise ConfigError(f"--concurrency takes in-flight bounds from 1 to 64 separated by commas, not {raw!r}")
    return levels


def _spec(output: str | None) -> int:
    text = resources.spec_path().read_text(encoding="utf-8")
    if output is None:
        sys.stdout.write(text)
        return EXIT_PASS
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {output}: {exc.strerror or exc}") from None
    return EXIT_PASS


def _mock(args: argparse.Namespace) -> int:
    from conformance.mock.faults import REGISTRY
    from conformance.mock.server import serve_forever
    if args.list_faults:
        for deviation in REGISTRY.values():
            breaks = f" (breaks {deviation.breaks})" if deviation.breaks else " (legal variant)"
            print(f"{deviation.name:32} {deviation.description}{breaks}")
        return EXIT_PASS
    unknown = [name for name in args.fault if name.partition("=")[0] not in REGISTRY]
    if unknown:
        raise ConfigError(f"unknown fault {', '.join(unknown)}; see `conformance mock --list-faults`")
    key = args.api_key or os.environ.get("ZEXA_API_KEY") or secrets.token_urlsafe(24)
    if not (args.api_key or os.environ.get("ZEXA_API_KEY")):
        print(f"API key for this server (not saved anywhere): {key}")
    print(f"Zexa Contacts API reference server on http://{args.host}:{args.port}/v1"
          + (f" with {', '.join(args.fault)}" if args.fault else ""), flush=True)
    try:
        serve_forever(host=args.host, port=args.port, api_key=key, db=args.db, deviations=args.fault,
                      latency=args.latency, jitter=args.jitter)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    except OSError as exc:
        raise ConfigError(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return EXIT_PASS


def _run(args: argparse.Namespace) -> int:
    resources.check()
    if args.reference_fault and args.base_url:
        raise ConfigError("--reference-fault only applies to the bundled reference server (leave out --base-url)")
    if args.base_url:
        return _check(args, args.base_url, args.api_key)
    from conformance.mock.server import BackgroundServer
    key = secrets.token_urlsafe(24)
    try:
        server = BackgroundServer(api_key=key, deviations=args.reference_fault,
                                  request_log=args.reference_request_log)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    with server:
        print(f"checking the bundled reference server at {server.base_url}"
              + (f" with {', '.join(args.reference_fault)}" if args.reference_fault else ""), flush=True)
        return _check(args, server.base_url, key)


class _ReportCapture:
    report: dict | None = None

    def pytest_unconfigure(self, config) -> None:
        self.report = config.stash.get(REPORT, None)


def _check(args: argparse.Namespace, base_url: str, api_key: str | None) -> int:
    import pytest

    from conformance import baseline
    config = resolve(base_url=base_url, api_key=api_key, profile=args.profile, seed=args.seed,
                     list_ids=args.list_ids, allow_writes=args.allow_writes, concurrency=args.concurrency,
                     settle=args.settle, require_complete=args.require_complete)
    if args.baseline and not args.update_baseline:
        baseline.load(args.baseline)
    print(f"target {config.base_url} · profile {config.profile.name} · seed {config.seed} · run tag {config.run_tag}"
          f" · writes {'allowed' if config.allow_writes else 'off (read-only subset)'}"
          f" · {config.concurrency} in flight", flush=True)
    os.environ["ZEXA_API_KEY"] = config.api_key  # passed by environment, never on a command line
    pytest_args = [str(CASES), "--base-url", config.base_url, "--profile", config.profile.name,
                   "--seed", str(config.seed), "--run-tag", config.run_tag, "--report-dir", args.report_dir,
                   "--concurrency", str(config.concurrency), "--settle", str(config.settle),
                   "-p", "no:cacheprovider", "--rootdir", str(CASES), "--no-header",
                   "--disable-plugin-autoload",  # the plugins of the user's environment play no part in a run
                   # no pytest.ini or conftest.py of the directories around the installation or the cwd applies
                   "-c", os.devnull, "--confcutdir", str(CASES),
                   "--assert=plain",  # cases report through expect(); rewriting schemathesis costs seconds
                   # its five full garbage collections at exit cost a quarter of a second of every run
                   "-p", "no:unraisableexception",
                   "--tb=no", "-W", "ignore::DeprecationWarning"]
    for flag, value in (("--baseline", args.baseline), ("--list-ids", args.list_ids), ("-k", args.keyword),
                        ("--har", args.har)):
        if value:
            pytest_args += [flag, value]
    for requirement in args.requirement:
        pytest_args += ["--requirement", requirement]
    pytest_args += (["--allow-writes"] * config.allow_writes + ["--update-baseline"] * args.update_baseline
                    + ["--require-complete"] * config.require_complete)
    capture = _ReportCapture()
    try:
        code = pytest.main(pytest_args, plugins=[capture])
    except SystemError as exc:  # CPython 3.11 building two syntax trees at once (see side_by_side.py)
        interrupted = capture.report is not None and capture.report["verdict"] == "interrupted"
        if not interrupted or "AST constructor" not in str(exc):
            raise
        code = pytest.ExitCode.INTERRUPTED  # pytest failed while it formatted the interrupt the report records
    if capture.report is None:
        verdict, exit_code = decide(reported=False, pytest_exit=code)
        print(f"conformance: {'' if verdict == 'usage' else 'internal error: '}the run ended before a verdict "
              f"(pytest exit {int(code)})", file=sys.stderr)
        return exit_code
    print(f"reports: {args.report_dir}/report.html, report.json, junit.xml, summary.md")
    if capture.report["verdict"] == "error":
        print(f"conformance: {capture.report['error']}", file=sys.stderr)
    return capture.report["exit_code"]
