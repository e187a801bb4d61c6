"""`conformance diff OLD NEW`: which requirements two runs' report.json files disagree on."""
from __future__ import annotations

import json
from pathlib import Path

from conformance.config import ConfigError


def _failed(path: str) -> dict[str, str]:
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
        return {r["id"]: r["level"] for r in report["requirements"] if r["status"] == "failed"}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot read report {path} ({type(exc).__name__}); expected a report.json of a run") from None


def compare(old: dict[str, str], new: dict[str, str]) -> dict[str, list[str]]:
    return {"fixed": sorted(old.keys() - new.keys()), "new": sorted(new.keys() - old.keys()),
            "still_failing": sorted(old.keys() & new.keys())}


def diff(old_path: str, new_path: str) -> int:
    """Exit 1 when the new run fails a MUST requirement the old one passed."""
    old, new = _failed(old_path), _failed(new_path)
    result = compare(old, new)
    for label, ids in result.items():
        print(f"{label.replace('_', ' ')} ({len(ids)}):")
        for requirement in ids:
            print(f"  {requirement} [{new.get(requirement) or old.get(requirement)}]")
    return 1 if any(new[r] == "MUST" for r in result["new"]) else 0
