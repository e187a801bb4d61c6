"""junit.xml: one testcase per requirement, so CI test tabs show the catalogue."""
from __future__ import annotations

from xml.etree import ElementTree as ET

from conformance.report.wording import doc_source, plain_message


def render(result: dict) -> str:
    reqs = result["requirements"]
    suite = ET.Element("testsuite", name="zexa-conformance", tests=str(len(reqs)),
                       failures=str(sum(r["gating"] for r in reqs)),
                       skipped=str(sum(r["status"] in ("not_checked", "inconclusive") for r in reqs)),
                       time=str(result.get("seconds", 0)))
    for req in reqs:
        case = ET.SubElement(suite, "testcase", classname=req["area"], name=req["id"],
                             time=str(round(sum(c["seconds"] for c in req["cases"]), 3)))
        ET.SubElement(ET.SubElement(case, "properties"), "property", name="level", value=req["level"])
        detail = "\n\n".join(f"{f['case']}: {f['message']}\n" + "\n".join(e["curl"] for e in f["evidence"][:1])
                             for f in req["failures"])
        output = list(req["observations"])
        if req["gating"]:
            ET.SubElement(case, "failure", message=_failure_message(req)).text = detail
        elif req["status"] == "failed":  # a SHOULD finding or a baselined failure: shown, never a CI failure
            why = "known deviation (baseline)" if req["baselined"] else f"{req['level']} finding"
            output.insert(0, f"{why}, does not fail the gate\n{detail}")
        elif req["status"] in ("not_checked", "inconclusive"):
            ET.SubElement(case, "skipped", message=f"{req['status']}: {'; '.join(req['why_not_checked'])}"[:500])
        if output:
            ET.SubElement(case, "system-out").text = "\n".join(output)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)


def _failure_message(req: dict) -> str:
    """The first violation seen, in the API's words, on the first line (what CI test views show), then the rule."""
    first = min(req["failures"], key=lambda failure: failure.get("order", 0))
    return f"{plain_message(first['message'])}\n{req['id']}: {doc_source(req['doc'])}"[:500]
