"""summary.md: the verdict and failures in the API's words, short enough for a PR comment or a CI job summary."""
from __future__ import annotations

from conformance.report.areas import area_rows
from conformance.report.findings import findings
from conformance.report.wording import completeness_lines, doc_source, plain_message

MAX_LISTED = 12  # keeps the summary under 60 lines however many requirements fail


def render(result: dict) -> str:
    icon = {"pass": "✅", "fail": "❌"}.get(result["verdict"], "⚠️")
    lines = [f"## {icon} Zexa Contacts API conformance: {result['verdict'].upper()}", "",
             f"Target `{result.get('target')}` · profile `{result.get('profile')}` · seed `{result.get('seed')}` · "
             f"{result.get('requests')} requests in {result.get('seconds')} s", ""]
    if result.get("unusable"):
        lines += [f"**Target unusable:** {result['unusable']}", ""]
    lines += [f"{line}  " for line in completeness_lines(result)] + [""] * bool(result.get("completeness"))
    lines += ["| area | MUST ok | MUST fail | SHOULD fail | unchecked | observed |", "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {a} | {p} | {f} | {s} | {u} | {o} |" for a, p, f, s, u, o in area_rows(result)]
    failed = _failed_requirements(result)
    if failed:
        lines += ["", "### Failures (first seen first)", ""]
        for req, failure in failed[:MAX_LISTED]:
            state = "fails the gate" if req["gating"] else ("baselined" if req["baselined"] else req["level"])
            lines.append(f"- **{req['id']}** ({state}): {plain_message(failure['message'])}  \n"
                         f"  _{doc_source(req['doc'])}_")
        if len(failed) > MAX_LISTED:
            lines.append(f"- … and {len(failed) - MAX_LISTED} more, see report.html")
    data = result.get("data", {})
    lines += ["", f"Data: created {data.get('created')}, deleted {data.get('deleted')}, "
                  f"leaked {len(data.get('leaked', []))}."]
    if data.get("leaked"):
        lines.append(f"**Leaked contacts** (delete them with `conformance cleanup`): {', '.join(data['leaked'][:20])}")
    if result.get("stale_baseline"):
        lines.append(f"Stale baseline entries: {', '.join(result['stale_baseline'][:20])}.")
    return "\n".join(lines) + "\n"


def _failed_requirements(result: dict) -> list[tuple[dict, dict]]:
    """Each failed requirement once, with its first failure, in the order they were seen."""
    first: dict[str, tuple[dict, dict]] = {}
    for finding in findings(result):
        first.setdefault(finding.requirement["id"], (finding.requirement, finding.failure))
    return list(first.values())
