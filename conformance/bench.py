"""`make bench`: our profiles vs a plain request loop (the machine's ceiling) vs `st run` alone, on the local
reference server — wall time, requests, requests per second, contacts left behind, and faults caught."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from conformance import resources
from conformance.config import free_port
from conformance.mock.faults import faults

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key"
SEED = 20261123
LOOP_REQUESTS = 1000


class Server:
    """The reference server in its own process, as a real target would be."""

    def __init__(self, fault: str = "") -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/v1"
        args = [sys.executable, "-m", "conformance", "mock", "--port", str(self.port), "--api-key", KEY]
        self.process = subprocess.Popen(args + (["--fault", fault] if fault else []), cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(self.base + "/contacts", timeout=1)
                return
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the reference server did not start") from None
                time.sleep(0.1)

    def contacts(self) -> int:
        return requests.get(self.base + "/contacts", headers={"Authorization": f"Bearer {KEY}"}).json()["meta"]["total"]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def plain_loop() -> dict:
    server = Server()
    try:
        session = requests.Session()
        started = time.monotonic()
        for _ in range(LOOP_REQUESTS):
            session.get(server.base + "/contacts", params={"per_page": 1}, headers={"Authorization": f"Bearer {KEY}"})
        seconds = time.monotonic() - started
    finally:
        server.stop()
    return {"tool": "plain requests.Session loop", "seconds": seconds, "requests": LOOP_REQUESTS,
            "rps": LOOP_REQUESTS / seconds, "left_behind": 0}


def ours(profile: str, fault: str = "") -> dict:
    server = Server(fault)
    try:
        with tempfile.TemporaryDirectory() as out:
            started = time.monotonic()
            done = subprocess.run([sys.executable, "-m", "conformance", "run", "--base-url", server.base,
                                   "--profile", profile, "--seed", str(SEED), "--report-dir", out],
                                  cwd=ROOT, capture_output=True, text=True, env={**os.environ, "ZEXA_API_KEY": KEY})
            seconds = time.monotonic() - started
            report = json.loads((Path(out) / "report.json").read_text(encoding="utf-8"))
        left = server.contacts()
    finally:
        server.stop()
    return {"tool": f"conformance run --profile {profile}", "seconds": seconds, "requests": report["requests"],
            "rps": report["requests"] / seconds, "left_behind": left, "exit": done.returncode}


def st_run(fault: str = "", examples: int = 20) -> dict:
    server = Server(fault)
    st = shutil.which("st") or str(Path(sys.executable).with_name("st"))
    try:
        with tempfile.TemporaryDirectory() as out:
            started = time.monotonic()
            done = subprocess.run([st, "run", str(resources.spec_path()), "--url", server.base, "-H",
                                   f"Authorization: Bearer {KEY}", "--checks", "all", "--max-examples", str(examples),
                                   "--seed", str(SEED), "--no-color", "--report", "har",
                                   "--report-har-path", str(Path(out) / "run.har")],
                                  cwd=out, capture_output=True, text=True)
            seconds = time.monotonic() - started
            failures = _st_failures(done.stdout)
            har = Path(out) / "run.har"
            count = len(json.loads(har.read_text())["log"]["entries"]) if har.exists() else 0
        left = server.contacts()
    finally:
        server.stop()
    return {"tool": "st run --checks all (schemathesis CLI)", "seconds": seconds, "requests": count,
            "rps": count / seconds if seconds else 0, "left_behind": left, "exit": done.returncode,
            "failures": failures}


def _st_failures(output: str) -> set[tuple[str, str]]:
    """(operation, failure code) pairs from st run's failure section, e.g. ("GET /contacts", "ST201")."""
    found, operation = set(), ""
    for line in output.splitlines():
        if header := re.match(r"^_+ ([A-Z]+ \S+) _+$", line):
            operation = header.group(1)
        elif code := re.match(r"^- (ST\d+) ", line):
            found.add((operation, code.group(1)))
    return found


def fault_scores() -> tuple[int, int, int, set]:
    """Faults caught by our default profile (exit 1), and by `st run`: it already reports failures on the
    faithful server (doc-silent behaviours), so a fault counts as caught when st reports a failure kind on an
    operation that it does not report for the faithful server."""
    names = [f.name for f in faults()]
    with ThreadPoolExecutor(2) as pool:
        our_exits = list(pool.map(lambda n: ours("default", n)["exit"], names))
        st_faithful = st_run()["failures"]
        st_found = list(pool.map(lambda n: st_run(n)["failures"], names))
    return len(names), sum(code == 1 for code in our_exits), sum(bool(f - st_faithful) for f in st_found), st_faithful


def main() -> int:
    print("benchmark on the local reference server (each tool against a fresh server process)", flush=True)
    rows = [plain_loop(), ours("quick"), ours("default"), st_run()]
    ceiling = rows[0]["rps"]
    print(f"{'tool':42} {'wall s':>7} {'requests':>9} {'req/s':>7} {'vs loop':>8} {'contacts left':>14}")
    for row in rows:
        print(f"{row['tool']:42} {row['seconds']:7.1f} {row['requests']:9d} {row['rps']:7.0f} "
              f"{row['rps'] / ceiling:7.0%} {row['left_behind']:14d}")
    default, st = rows[2], rows[3]
    print(f"default profile: {default['seconds'] / st['seconds']:.2f}x the wall time of st run, "
          f"{default['rps'] / ceiling:.0%} of the plain loop's request rate")
    if "--faults" in sys.argv:
        total, ours_caught, st_caught, st_false = fault_scores()
        print(f"reference faults caught: ours {ours_caught}/{total}, st run {st_caught}/{total}")
        print(f"st run failures on the faithful server (false alarms): {sorted(st_false)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
