"""Mutation self-check: the default profile against the faithful reference server (must pass), each fault (must fail
with the requirement the fault breaks) and each legal variant (must pass)."""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from conformance.mock.faults import Deviation, faults, variants

SEED = 20261123


@dataclass
class Trial:
    name: str
    kind: str  # faithful, fault, variant
    breaks: str
    exit_code: int
    failed_must: list[str]
    seconds: float

    @property
    def ok(self) -> bool:
        if self.kind == "fault":
            return self.exit_code == 1 and self.breaks in self.failed_must
        return self.exit_code == 0 and not self.failed_must


def trial(name: str, kind: str, breaks: str, workdir: Path) -> Trial:
    report_dir = workdir / (name or "faithful")
    command = [sys.executable, "-m", "conformance", "run", "--seed", str(SEED), "--profile", "default",
               "--report-dir", str(report_dir), *(["--reference-fault", name] if name else [])]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    seconds = time.monotonic() - started
    try:
        report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
        failed = [r["id"] for r in report["requirements"] if r["status"] == "failed" and r["level"] == "MUST"]
    except (OSError, ValueError):
        failed = [f"no report (exit {done.returncode}): {done.stderr.strip()[-300:]}"]
    return Trial(name or "faithful", kind, breaks, done.returncode, failed, seconds)


def run_trials(deviations: list[Deviation], workdir: Path, jobs: int = 2) -> list[Trial]:
    plan = [("", "faithful", "")] + [(d.name, d.kind, d.breaks) for d in deviations]
    with ThreadPoolExecutor(jobs) as pool:
        return list(pool.map(lambda p: trial(*p, workdir), plan))


def table(trials: list[Trial]) -> list[str]:
    lines = [f"{'server':34} {'kind':9} {'expected':34} {'verdict':8} {'failing MUST requirements':40} {'s':>5}"]
    for t in trials:
        expected = t.breaks if t.kind == "fault" else "pass"
        verdict = ("caught" if t.ok else "MISSED") if t.kind == "fault" else ("clean" if t.ok else "FALSE ALARM")
        lines.append(f"{t.name:34} {t.kind:9} {expected:34} {verdict:8} {', '.join(t.failed_must)[:40] or '-':40} "
                     f"{t.seconds:5.1f}")
    return lines


def selfcheck(out: str = "reports/selfcheck.json") -> int:
    deviations = faults() + variants()
    print(f"self-check: the default profile against the faithful reference server, {len(faults())} faults and "
          f"{len(variants())} legal variants (seed {SEED})", flush=True)
    with tempfile.TemporaryDirectory(prefix="selfcheck-") as tmp:
        trials = run_trials(deviations, Path(tmp))
    for line in table(trials):
        print(line)
    fault_trials = [t for t in trials if t.kind == "fault"]
    clean_trials = [t for t in trials if t.kind != "fault"]
    caught = sum(t.ok for t in fault_trials)
    false_alarms = sum(not t.ok for t in clean_trials)
    summary = {"seed": SEED, "faults": len(fault_trials), "caught": caught,
               "score": round(caught / len(fault_trials), 3) if fault_trials else 1.0,
               "false_alarms": false_alarms, "trials": [asdict(t) | {"ok": t.ok} for t in trials]}
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"score {caught}/{len(fault_trials)} faults caught · {false_alarms} false alarms · written to {out}")
    return 0 if caught == len(fault_trials) and false_alarms == 0 else 1
