"""Failures in the API's words: the first human sentence of a message, without the test libraries' vocabulary."""
from __future__ import annotations

import re
from functools import cache

from conformance.requirements import catalogue

MAX_CHARS = 300
# Words a reader of the report should never need: they name our tools, not the API's behaviour.
JARGON = re.compile(r"hypothesis|schemathesis|pytest|falsifying|flaky|unreliable|traceback|\bassert|subtest|"
                    r"exceptiongroup|sub-exception|\btest_\w+\(|\.py::", re.IGNORECASE)
_CASE_CALL = re.compile(r"\btest_\w+\((?P<args>.*)\)")
_ARGUMENT = re.compile(r"(\w+)=('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[-+\w.]+)")
_EXCEPTION_NAME = re.compile(r"^(\w+\.)*\w*(Error|Exception|Violation|Failure|Group|Unsatisfiable|Flaky)$")
_ASSERTION_PREFIX = re.compile(r"^(AssertionError|Violation): ")
_EXCEPTION_PREFIX = re.compile(r"^(\w+\.)*\w*(Error|Exception): ")
_FALSIFYING_EXAMPLE = re.compile(r"^Falsifying (explicit )?example: \w+\(.*?\)$", re.DOTALL | re.MULTILINE)
_NOISE = re.compile(r"^(Traceback|File \"|Falsifying|You can reproduce|@reproduce_failure|Reproduce with|"
                    r"Schemathesis found|Hypothesis found|\+ Exception Group|\||\+-)", re.IGNORECASE)
_SUB_EXCEPTIONS = re.compile(r"\s*\(\d+ sub-exceptions?\)\s*$")
_CHECK_CODE = re.compile(r"^- [A-Z]{2}\d{3} ")
_STATUS_LINE = re.compile(r"^\[(\d{3})\] ?([^:]*):?$")
_SOURCES = {"C": "Contacts API docs", "P": "Platform docs", "C and P": "Contacts API and Platform docs"}
_SCHEMA_HEADER = re.compile(r"^x-schemathesis-", re.IGNORECASE)
_SCHEMA_CURL_HEADER = re.compile(r" -H 'X-Schemathesis-[^']*'", re.IGNORECASE)


def case_title(case: str) -> str:
    """`test_duplicate_phone_is_409_conflict` -> "duplicate phone is 409 conflict"."""
    return case.split("[")[0].removeprefix("test_").replace("_", " ").strip()


def plain_message(text: str) -> str:
    """A failure message as one sentence a person can act on: what was expected and what came back."""
    if not text or not text.strip():
        return "the check failed without a message"
    if re.search(r"produces unreliable results|\bFlaky|Unreliable", text):
        return _repeated_check_disagreed(text)
    if re.search(r"^- [A-Z]{2}\d{3} ", text, re.MULTILINE):
        return _finish(_checked_response(text.splitlines()))
    distinct = re.search(r"found (\d+) distinct failures", text)
    for line in _FALSIFYING_EXAMPLE.sub("", text).splitlines():
        sentence = _clean(line)
        if sentence:
            return _finish(sentence)
    if distinct:
        return f"{distinct.group(1)} different failures were found for this rule"
    return "the check failed without a message"


def doc_source(doc: str) -> str:
    """A catalogue `doc` with its source spelled out: "C, Add a Contact" -> "Contacts API docs, Add a Contact"."""
    return re.sub(r"^(C and P|C|P)\b", lambda m: _SOURCES[m.group(1)], doc)


def plain_notes(notes: list[str]) -> list[str]:
    """Skip reasons and observations, with the same wording rules as failures."""
    return [plain_message(note) for note in notes]


def request_headers(headers: dict) -> dict:
    """A request's headers as the API sees them: without the generator's bookkeeping header."""
    return {name: value for name, value in headers.items() if not _SCHEMA_HEADER.match(name)}


def plain_curl(curl: str) -> str:
    return _SCHEMA_CURL_HEADER.sub("", curl)


def _clean(line: str) -> str:
    line = line.strip().removeprefix("E ").strip()
    if not line or _EXCEPTION_NAME.match(line) or _NOISE.match(line):
        return ""
    line = _ASSERTION_PREFIX.sub("", line)
    if _EXCEPTION_PREFIX.match(line):
        line = f"the check could not finish: {line}"
    line = re.sub(r"^assert\b", "check failed:", line)
    line = _SUB_EXCEPTIONS.sub("", line)
    if JARGON.search(line):
        return ""
    return _case_names().sub(lambda m: f'"{case_title(m.group())}"', line)


@cache
def _case_names() -> re.Pattern:
    """Our case function names, which a message may mention; other `test_` words may be the API's own data."""
    names = sorted({case for req in catalogue().values() for case in req.cases}, key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")


def _finish(sentence: str) -> str:
    sentence = sentence.strip()
    return sentence if len(sentence) <= MAX_CHARS else sentence[:MAX_CHARS - 1].rstrip() + "…"


def _repeated_check_disagreed(text: str) -> str:
    call = _CASE_CALL.search(text)
    inputs = ", ".join(f"{name}={value}" for name, value in _ARGUMENT.findall(call.group("args"))) if call else ""
    return _finish("the check failed once, then passed when the same input was sent again"
                   + (f" (input: {inputs})" if inputs else ""))


def _checked_response(lines: list[str]) -> str:
    """A response check's report (title, explanation, expectation, the status that came) as one sentence."""
    stripped = [line.strip() for line in lines]
    first = next(i for i, line in enumerate(stripped) if _CHECK_CODE.match(line))
    title, details = _CHECK_CODE.sub("", stripped[first]), []
    for line in stripped[first + 1:]:
        status = _STATUS_LINE.match(line)
        if status:
            details.append(f"got {status.group(1)} {status.group(2)}".strip())
            break
        if line and not _NOISE.match(line):
            details.append(line.rstrip("."))
    return f"{title}: {'; '.join(details)}" if details else title


def completeness_lines(result: dict) -> list[str]:
    """How much of the catalogue the run judged: one line, then one per reason rules were not judged."""
    complete = result.get("completeness")
    if not complete:
        return []
    lines = [f"MUST rules judged: {complete['judged']} of {complete['must_rules']}"
             + (f" ({len(complete['could_not_apply'])} could not apply to this target)"
                if complete["could_not_apply"] else "")]
    for reason, ids in complete["not_judged"].items():
        lines.append(f"not judged, {reason}: {len(ids)} ({', '.join(ids[:6])}{', …' if len(ids) > 6 else ''})")
    return lines
