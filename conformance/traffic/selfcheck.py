"""`conformance selfcheck --traffic`: how much of what a run catches the traffic judge sees passively. For the
faithful server, each legal variant and each fault, the default run records its own traffic (`run --har`) and
`judge` judges that HAR alone: a fault counts as caught when the rule it breaks fails, as detected when any MUST
rule does; the clean servers must pass."""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from conformance.mock.faults import REGISTRY, faults, variants
from conformance.traffic import har
from conformance.traffic.judge import TrafficJudge, account_key

SEED = 20261123
SETTLE_S = 1.0  # for the run and the judge alike (the bundled server's lists show writes at once)


def _trial(name: str, workdir: Path) -> dict:
    path = workdir / f"{name or 'faithful'}.har"
    run = [sys.executable, "-m", "conformance", "run", "--seed", str(SEED), "--settle", str(SETTLE_S), "--har",
           str(path), "--report-dir", str(workdir / (name or "faithful"))]
    run += ["--reference-fault", name] if name else []
    started = time.monotonic()
    finished = subprocess.run(run, capture_output=True, text=True, timeout=900)
    if not path.exists():
        return {"name": name or "faithful", "error": f"the run wrote no HAR (exit {finished.returncode})"}
    exchanges = har.read(path)
    exchanges.sort(key=lambda e: (e.started_at, e.index))
    judge = TrafficJudge(SETTLE_S, account_key(exchanges), source=str(path))
    for exchange in exchanges:
        judge.add(exchange)
    result = judge.report({})
    path.unlink()
    return {"name": name or "faithful", "kind": REGISTRY[name].kind if name else "faithful",
            "declared": REGISTRY[name].breaks if name else "", "run_exit": finished.returncode,
            "judge_exit": result["exit_code"], "exchanges": result["requests"],
            "failed_must": sorted(r["id"] for r in result["requirements"] if r["gating"]),
            "seconds": round(time.monotonic() - started, 1)}


def selfcheck_traffic(out: str, jobs: int = 2, only: tuple[str, ...] = ()) -> int:
    names = [""] + [d.name for d in variants()] + [d.name for d in faults()]
    if only:
        names = [""] + [n for n in names if n in only]
    with tempfile.TemporaryDirectory(prefix="conformance-traffic-") as workdir, ThreadPoolExecutor(jobs) as pool:
        trials = list(pool.map(lambda n: _trial(n, Path(workdir)), names))
    clean = [t for t in trials if t.get("kind") in ("faithful", "variant")]
    false_alarms = [t["name"] for t in clean if t.get("error") or t["failed_must"]]
    tried = [t for t in trials if t.get("kind") == "fault"]
    caught = [t["name"] for t in tried if t["declared"] in t["failed_must"]]
    detected = [t["name"] for t in tried if t["failed_must"]]
    missed_by_run = [t["name"] for t in tried if t["run_exit"] != 1]
    summary = {"faults": len(tried), "caught_passively": len(caught), "detected_passively": len(detected),
               "false_alarms": false_alarms, "clean_servers": len(clean), "runs_that_missed": missed_by_run,
               "trials": trials}
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(summary, indent=2))
    print(f"traffic: {len(caught)}/{len(tried)} faults caught passively by the rule they break ({len(detected)} fail "
          f"some MUST rule) from the default run's own HAR · {len(false_alarms)} false alarms on {len(clean)} clean "
          f"servers{': ' + ', '.join(false_alarms) if false_alarms else ''} · written to {out}")
    return 0 if not false_alarms and not any(t.get("error") for t in trials) else 1
