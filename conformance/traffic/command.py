"""`conformance judge FILE.har`: read, judge, write the reports, print the verdict; exit codes as for a run."""
from __future__ import annotations

import sys
import time
from urllib.parse import urlsplit

from conformance import report
from conformance.results import EXIT_USAGE
from conformance.traffic import har
from conformance.traffic.judge import TrafficJudge, account_key


def judge_file(path: str, report_dir: str, settle: float) -> int:
    started = time.monotonic()
    if not settle >= 0:
        print(f"conformance: --settle takes a number of seconds of at least 0, not {settle}", file=sys.stderr)
        return EXIT_USAGE
    try:
        exchanges = har.read(path)
    except har.HarError as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return EXIT_USAGE
    exchanges.sort(key=lambda e: (e.started_at, e.index))
    judge = TrafficJudge(settle, account_key(exchanges), source=path)
    for exchange in exchanges:
        judge.add(exchange)
    targets = sorted({f"{u.scheme}://{u.netloc}" for u in (urlsplit(e.url) for e in exchanges)})
    result = judge.report({"target": ", ".join(targets), "seconds": round(time.monotonic() - started, 2)})
    report.write_all(result, report_dir)
    for line in summary_lines(result):
        print(line)
    print(f"reports: {report_dir}/report.html, report.json, junit.xml, summary.md")
    return result["exit_code"]


def summary_lines(result: dict) -> list[str]:
    lines = [line for line in report.terminal_lines(result) if not line.startswith("requests:")]
    checked = sum(1 for r in result["requirements"] if r["status"] != "not_checked")
    lines.insert(-1, f"exchanges judged: {result['requests']} from {result['source']} · requirements with evidence: "
                     f"{checked} of {len(result['requirements'])} (the rest: not checked, no such traffic)")
    return lines
