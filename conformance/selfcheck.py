"""Mutation self-check: the default profile against the faithful reference server (must pass), each fault (must fail
with the requirement the fault breaks, under every seed) and each legal variant (must pass under every seed).

Each run's evidence is also held against what the server received (byte for byte), and each failure's repro command
is sent again to a fresh server with the same fault: a repro must ask the same question and get the same answer."""
from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from conformance.evidence_check import unmatched_evidence, replay_statuses
from conformance.mock.faults import REGISTRY, faults, variants
from conformance.requirements import catalogue

SEED = 20261123


@dataclass
class Trial:
    name: str
    kind: str  # faithful, fault, variant
    declared: tuple[str, ...]  # what a fault declares it breaks (the first is the rule it exists for)
    seed: int
    concurrency: int
    exit_code: int
    failed_must: list[str]
    seconds: float
    not_checked: list[str] = field(default_factory=list)
    failed_should: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)  # the report's first message of each failed MUST requirement
    unmatched_evidence: list[str] = field(default_factory=list)
    replays: dict = field(default_factory=dict)  # {"same": n, "differ": [..]}
    only: str = ""  # the run had only the cases of this requirement (a targeted self-check)
    profile: str = "default"

    @property
    def ok(self) -> bool:
        if self.kind == "fault" and self.concurrency < catalogue()[self.declared[0]].needs_in_flight:
            # a race cannot be run with fewer requests in flight: the rule must say "not checked", and nothing fail
            return self.exit_code == 0 and self.declared[0] in self.not_checked
        if self.kind == "fault" and catalogue()[self.declared[0]].level == "SHOULD":
            # a SHOULD never fails the gate: the run passes, and says the rule is not met
            return self.exit_code == 0 and self.declared[0] in self.failed_should
        if self.kind == "fault":
            return self.exit_code == 1 and self.declared[0] in self.failed_must
        return self.exit_code == 0 and not self.failed_must

    @property
    def attributed(self) -> bool:
        """The failed MUST requirements are exactly ones the fault declares."""
        return self.kind != "fault" or (self.ok and set(self.failed_must) <= set(self.declared))


def declared(name: str) -> tuple[str, ...]:
    return REGISTRY[name].rules if name else ()


class Worker:
    """A trial_worker process: trials run in its forked children (start-up paid once per worker, not per trial)."""

    def __init__(self) -> None:
        # the trials' summaries are not the job's: none of them goes to a CI job summary
        env = {name: value for name, value in os.environ.items() if name != "GITHUB_STEP_SUMMARY"}
        self.process = subprocess.Popen([sys.executable, "-m", "conformance.trial_worker"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, env=env)

    def run(self, argv: list[str], output: Path) -> int:
        self.process.stdin.write(json.dumps({"argv": argv, "log": str(output)}) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError("a self-check worker died")
        return json.loads(answer)["exit"]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


_workers = threading.local()


def trial(name: str, kind: str, seed: int, concurrency: int, workdir: Path, replay: bool, settle: str,
          targeted: bool = False, variant_profile: str = "default") -> Trial:
    """One run of the default profile (a variant's of `variant_profile`); `targeted` runs a fault's server with
    only the cases of the rule it breaks, and the whole profile when those alone do not catch it (a finding may need
    what other cases send)."""
    if targeted and kind == "fault":
        result = _trial(name, kind, seed, concurrency, workdir, replay, settle, requirement=declared(name)[0])
        if result.ok:
            return result
    profile = variant_profile if kind == "variant" else "default"
    return _trial(name, kind, seed, concurrency, workdir, replay, settle, profile=profile)


def _trial(name: str, kind: str, seed: int, concurrency: int, workdir: Path, replay: bool, settle: str,
           requirement: str = "", profile: str = "default") -> Trial:
    label = f"{name or 'faithful'}-s{seed}-c{concurrency}"
    report_dir, log, output = workdir / label, workdir / f"{label}.requests.jsonl", workdir / f"{label}.out"
    argv = ["run", "--seed", str(seed), "--profile", profile, "--concurrency", str(concurrency),
            "--report-dir", str(report_dir), "--reference-request-log", str(log),
            *(["--reference-fault", name] if name else []), *(["--settle", settle] if settle else []),
            *(["--requirement", requirement] if requirement else [])]
    if not hasattr(_workers, "worker"):
        _workers.worker = Worker()
        _WORKERS.append(_workers.worker)
    started = time.monotonic()
    exit_code = _workers.worker.run(argv, output)
    seconds = time.monotonic() - started
    result = Trial(name or "faithful", kind, declared(name), seed, concurrency, exit_code, [], seconds,
                   only=requirement, profile=profile)
    try:
        report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        tail = output.read_text(encoding="utf-8", errors="replace").strip()[-300:] if output.exists() else ""
        result.failed_must = [f"no report (exit {exit_code}): {tail}"]
        return result
    result.failed_must = [r["id"] for r in report["requirements"] if r["status"] == "failed" and r["level"] == "MUST"]
    result.not_checked = [r["id"] for r in report["requirements"] if r["status"] == "not_checked"]
    result.failed_should = [r["id"] for r in report["requirements"]
                            if r["status"] == "failed" and r["level"] == "SHOULD"]
    result.why = [f"{r['id']}: {_first_message(r)}" for r in report["requirements"]
                  if r["status"] == "failed" and r["level"] == "MUST"]
    result.unmatched_evidence = unmatched_evidence(report, log)
    if replay and kind == "fault":
        result.replays = replay_statuses(report, name)
    shutil.rmtree(report_dir, ignore_errors=True)
    log.unlink(missing_ok=True)
    return result


_WORKERS: list[Worker] = []


def run_trials(plan: list[tuple[str, str, int, int]], workdir: Path, jobs: int, replay: bool,
               settle: str = "", targeted: bool = False, variant_profile: str = "default") -> list[Trial]:
    done = itertools.count(1)

    def run(step: tuple[str, str, int, int]) -> Trial:
        result = trial(*step, workdir, replay, settle, targeted, variant_profile)
        verdict = ("caught" if result.ok else "MISSED") if result.kind == "fault" else (
            "clean" if result.ok else "FALSE ALARM")
        print(f"  [{next(done)}/{len(plan)}] {result.name} (seed {result.seed}, {result.concurrency} in flight): "
              f"{verdict}{f' by the cases of {result.only} alone' if result.only else ''}, {result.seconds:.1f} s", flush=True)
        return result
    # whole-profile runs first, the targeted ones after: a long run started last would hold up the end alone
    whole_first = sorted(range(len(plan)), key=lambda i: targeted and plan[i][1] == "fault")
    try:
        with ThreadPoolExecutor(jobs) as pool:
            futures = {i: pool.submit(run, plan[i]) for i in whole_first}
            return [futures[i].result() for i in range(len(plan))]
    finally:
        while _WORKERS:
            _WORKERS.pop().close()


def _first_message(requirement: dict) -> str:
    message = next((case["message"] for case in requirement["cases"] if case["message"]), "")
    return " ".join(message.split())[:300]


def verdicts(trials: list[Trial]) -> list[dict]:
    """One row per server: caught/clean only when every seed and concurrency agrees; flips named."""
    rows: dict[str, dict] = {}
    for t in trials:
        row = rows.setdefault(t.name, {"name": t.name, "kind": t.kind, "declared": list(t.declared), "runs": []})
        row["runs"].append({"seed": t.seed, "concurrency": t.concurrency, "ok": t.ok, "attributed": t.attributed,
                            "exit": t.exit_code, "failed_must": t.failed_must, "failed_should": t.failed_should,
                            "seconds": round(t.seconds, 1), **({"why": t.why} if not t.ok else {}),
                            "unmatched_evidence": t.unmatched_evidence, "replays": t.replays,
                            **({"only": t.only} if t.only else {}), "profile": t.profile})
    for row in rows.values():
        oks = [r["ok"] for r in row["runs"]]
        row["ok"] = all(oks) and not any(r["unmatched_evidence"] for r in row["runs"])
        row["flips"] = 0 < sum(oks) < len(oks)
        row["attributed"] = all(r["attributed"] for r in row["runs"])
        row["same_failures_everywhere"] = len({tuple(sorted(r["failed_must"])) for r in row["runs"]}) == 1
    return list(rows.values())


def table(rows: list[dict]) -> list[str]:
    lines = [f"{'server':36} {'kind':8} {'expected':32} {'verdict':11} {'failing MUST requirements (first run)':44}"]
    for row in rows:
        expected = row["declared"][0] if row["kind"] == "fault" else "pass"
        good, bad = ("caught", "MISSED") if row["kind"] == "fault" else ("clean", "FALSE ALARM")
        verdict = "FLIPS" if row["flips"] else good if row["ok"] else bad
        if row["ok"] and row["kind"] == "fault" and not row["attributed"]:
            verdict = "caught+"
        first = row["runs"][0]
        failing = ", ".join(first["failed_must"] + [f"{r} (SHOULD)" for r in first["failed_should"]
                                                   if r in row["declared"]]) or "-"
        lines.append(f"{row['name']:36} {row['kind']:8} {expected:32} {verdict:11} {failing[:44]:44}")
        for run in (r for r in row["runs"] if not r["ok"] and row["kind"] != "fault"):
            for why in run.get("why", [])[:3]:  # a false alarm says what failed (faults' misses name no message)
                lines.append(f"    seed {run['seed']}, {run['concurrency']} in flight: {why}")
        if any(r["unmatched_evidence"] for r in row["runs"]):
            lines.append(f"    evidence not received as recorded: {row['runs'][0]['unmatched_evidence'][:2]}")
    return lines


def selfcheck(out: str = "reports/selfcheck.json", seeds: int = 1, concurrency: tuple[int, ...] = (8,),
              only: tuple[str, ...] = (), jobs: int = 2, replay: bool = True, settle: str = "",
              targeted: bool = False, variant_profile: str = "default") -> int:
    deviations = [d for d in faults() + variants() if not only or d.name in only]
    plan = [(name, kind, SEED + i, n) for name, kind in [("", "faithful")] + [(d.name, d.kind) for d in deviations]
            for i in range(seeds) for n in concurrency]
    print(f"self-check: the default profile against the faithful reference server, {sum(d.kind == 'fault' for d in deviations)} "
          f"faults and {sum(d.kind == 'variant' for d in deviations)} legal variants"
          f"{f' (the {variant_profile} profile)' if variant_profile != 'default' else ''}; seeds "
          f"{', '.join(str(SEED + i) for i in range(seeds))}; concurrency {', '.join(map(str, concurrency))} "
          f"({len(plan)} runs, {jobs} at a time)", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="selfcheck-") as tmp:
        rows = verdicts(run_trials(plan, Path(tmp), jobs, replay, settle, targeted, variant_profile))
    for line in table(rows):
        print(line)
    fault_rows = [r for r in rows if r["kind"] == "fault"]
    clean_rows = [r for r in rows if r["kind"] != "fault"]
    caught = sum(r["ok"] for r in fault_rows)
    attributed = sum(r["ok"] and r["attributed"] for r in fault_rows)
    false_alarms = sum(not r["ok"] for r in clean_rows)
    flips = [r["name"] for r in rows if r["flips"]]
    unstable = [r["name"] for r in rows if not r["same_failures_everywhere"]]
    replayed = [run["replays"] for r in fault_rows for run in r["runs"] if run["replays"]]
    same = sum(p.get("same", 0) for p in replayed)
    differ = [d for p in replayed for d in p.get("differ", [])]
    summary = {"seeds": [SEED + i for i in range(seeds)], "concurrency": list(concurrency),
               "faults": len(fault_rows), "caught": caught, "variants": len(clean_rows) - 1,
               "score": round(caught / len(fault_rows), 3) if fault_rows else 1.0, "false_alarms": false_alarms,
               "attribution": {"exact": attributed, "of": caught}, "flips": flips,
               "different_failures_across_runs": unstable, "replays": {"same_status": same, "differ": differ},
               "seconds": round(time.monotonic() - started, 1), "servers": rows}
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"score {caught}/{len(fault_rows)} faults caught under every run · {false_alarms} false alarms on "
          f"{len(clean_rows)} clean servers · attribution exact for {attributed}/{caught} caught faults · "
          f"flips: {', '.join(flips) or 'none'} · repros replayed: {same} same status, {len(differ)} differ · "
          f"{summary['seconds']} s · written to {out}")
    return 0 if caught == len(fault_rows) and false_alarms == 0 and not flips else 1
