"""summary.md: the verdict and failures, short enough for a PR comment or a CI job summary."""
from __future__ import annotations

from conformance.report.areas import area_rows


def render(result: dict) -> str:
    icon = {"pass": "✅", "fail": "❌"}.get(result["verdict"], "⚠️")
    lines = [f"## {icon} Zexa Contacts API conformance: {result['verdict'].upper()}", "",
             f"Target `{result.get('target')}` · profile `{result.get('profile')}` · seed `{result.get('seed')}` · "
             f"{result.get('requests')} requests in {result.get('seconds')} s", ""]
    if result.get("unusable"):
        lines += [f"**Target unusable:** {result['unusable']}", ""]
    lines += ["| area | MUST ok | MUST fail | SHOULD fail | unchecked | observed |", "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {a} | {p} | {f} | {s} | {u} | {o} |" for a, p, f, s, u, o in area_rows(result)]
    failed = [r for r in result["requirements"] if r["status"] == "failed"]
    if failed:
        lines += ["", "### Failures", ""]
        for req in failed:
            state = "gate" if req["gating"] else ("baselined" if req["baselined"] else req["level"])
            message = req["failures"][0]["message"].splitlines()[0][:200] if req["failures"] else ""
            lines.append(f"- **{req['id']}** ({state}): {message}  \n  _{req['doc']}_")
    data = result.get("data", {})
    lines += ["", f"Data: created {data.get('created')}, deleted {data.get('deleted')}, "
                  f"leaked {len(data.get('leaked', []))}."]
    if result.get("stale_baseline"):
        lines.append(f"Stale baseline entries: {', '.join(result['stale_baseline'])}.")
    return "\n".join(lines) + "\n"
