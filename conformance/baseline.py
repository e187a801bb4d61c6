"""Known deviations: requirement ID + failure signature pairs that do not fail the gate."""
from __future__ import annotations

import json
from pathlib import Path

from conformance.config import ConfigError


def load(path: str | None) -> set[tuple[str, str]]:
    if not path:
        return set()
    try:
        entries = json.loads(Path(path).read_text(encoding="utf-8"))["known_failures"]
        return {(e["requirement"], e["signature"]) for e in entries}
    except FileNotFoundError:
        raise ConfigError(f"baseline file not found: {path}") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"baseline file {path} is unreadable ({type(exc).__name__}); "
                          "expected JSON with a 'known_failures' list written by --update-baseline") from None


def write(path: str, report: dict) -> None:
    known = [{"requirement": r["id"], "signature": r["signature"], "doc": r["doc"]}
             for r in report["requirements"] if r["status"] == "failed" and r["level"] == "MUST"]
    Path(path).write_text(json.dumps({"known_failures": known}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
