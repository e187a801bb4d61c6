"""Report writers: one module per format, each taking the report dict; none makes an HTTP call."""
from __future__ import annotations

import json
from pathlib import Path

from conformance.report import html, junit, markdown
from conformance.report.areas import area_rows
from conformance.report.findings import findings
from conformance.report.wording import completeness_lines, plain_message


def write_all(result: dict, directory: str | Path) -> list[Path]:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "report.json": json.dumps(result, indent=2, ensure_ascii=False),
        "junit.xml": junit.render(result),
        "report.html": html.render(result),
        "summary.md": markdown.render(result),
    }
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    return [out / name for name in files]


def append_summary(result: dict, path: str | Path) -> None:
    """Add summary.md to a CI job summary (GitHub Actions shows $GITHUB_STEP_SUMMARY on the run's page)."""
    with open(path, "a", encoding="utf-8") as summary:
        summary.write(markdown.render(result) + "\n")


def terminal_lines(result: dict) -> list[str]:
    lines = [f"{'area':<10} {'MUST ok':>8} {'MUST fail':>10} {'SHOULD fail':>12} {'unchecked':>10} {'observed':>9}"]
    lines += [f"{a:<10} {p:>8} {f:>10} {s:>12} {u:>10} {o:>9}" for a, p, f, s, u, o in area_rows(result)]
    shown = set()
    for finding in findings(result):
        req = finding.requirement
        if req["id"] not in shown:
            shown.add(req["id"])
            tag = "FAIL" if req["gating"] else ("known" if req["baselined"] else req["level"])
            lines.append(f"  [{tag}] {req['id']}: {plain_message(finding.failure['message'])[:160]}")
    data, limited = result.get("data", {}), result.get("rate_limited", {})
    lines.append(f"requests: {result.get('requests')}  created: {data.get('created')}  deleted: {data.get('deleted')}  "
                 f"leaked: {len(data.get('leaked', []))}  seed: {result.get('seed')}  run tag: {result.get('run_tag')}")
    if limited.get("responses"):
        lines.append(f"rate limited {limited['responses']} times; waited {limited['waited_s']} s as Retry-After asked")
    if data.get("leaked"):
        lines.append(f"LEAKED contacts (delete them with `conformance cleanup`): {', '.join(data['leaked'])}")
    if result.get("stale_baseline"):
        lines.append(f"stale baseline entries (no longer failing): {', '.join(result['stale_baseline'])}")
    lines += completeness_lines(result)
    lines.append(f"verdict: {result['verdict'].upper()} (exit {result['exit_code']})"
                 + (f" — {result['unusable']}" if result.get("unusable") else ""))
    return lines
