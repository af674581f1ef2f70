"""InvokeEndpoint under load: throughput and p50/p99 latency with data capture on and off, in one run.

Starts ``sagelocal serve`` as a subprocess on loopback with a fresh home, deploys the same XGBoost model
twice (capture 100 % and capture off), and sends 20,000 single-row requests at concurrency 32 to each,
alternating, ROUNDS times. The reference is the same load against an endpoint name that does not exist:
the signed request is parsed, authenticated and answered with ValidationError, with no model and no
capture, so it is the floor of what the HTTP layer costs on this machine.

Checks (exit status 1 if one fails): zero errors; exactly one capture record per acknowledged request
(matched by InferenceId); at least 1,000 requests/s; capture costs at most 10 % of throughput (best round
of each mode, since other work on the machine only ever slows a round down).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from benchmarks.serving_client import presign, run_load  # noqa: E402
from hosting.deploy import CAPTURE_URI, csv_row, deploy, feature_rows  # noqa: E402
from hosting.process import ServerProcess  # noqa: E402

from sagelocal.credentials import load_or_create  # noqa: E402
from sagelocal.monitor.capture import capture_files, read_capture_file  # noqa: E402
from sagelocal.storage import LocalS3  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "20000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "32"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
TIMEOUT = 300.0  # per run: the load stops by itself even if the server stalls


def _load(server, endpoint: str, tag: str):
    key = load_or_create(server.settings)
    rows = feature_rows(500)
    ids = [f"{tag}-{i:06d}" for i in range(REQUESTS)]
    bodies = [csv_row(rows[i % 500]).encode() for i in range(REQUESTS)]
    raw = presign(server.port, endpoint, bodies, ids, key.access_key_id, key.secret_access_key)
    return run_load(server.port, list(zip(ids, raw)), CONCURRENCY, TIMEOUT)


def _captured(server, endpoint: str) -> Counter:
    root = LocalS3(server.settings.s3_root).path(CAPTURE_URI) / endpoint
    return Counter(r.raw["eventMetadata"]["inferenceId"] for p in capture_files(root) for r in read_capture_file(p))


def _line(label: str, result) -> str:
    errors = sum(n for s, n in result.statuses.items() if s != 200) + result.connection_errors
    return (f"{label:<34} {result.throughput:8.0f} req/s   p50 {result.percentile(50):6.2f} ms   "
            f"p99 {result.percentile(99):6.2f} ms   ok {result.ok:>6}   errors {errors}")


def main() -> int:
    failures = []
    with tempfile.TemporaryDirectory(prefix="sagelocal-bench-") as home:
        server = ServerProcess(Path(home)).start()
        try:
            deploy(server, name="bench-capture")
            deploy(server, name="bench-nocapture", capture={})
            print(f"{REQUESTS} single-row requests per run, concurrency {CONCURRENCY}, {os.cpu_count()} cores, "
                  f"server pid {server.process.pid}")
            reference = _load(server, "bench-missing", "ref")
            print(_line("reference (no model, no capture)", reference))
            best = {"on": 0.0, "off": 0.0}
            for round_number in range(1, ROUNDS + 1):
                modes = (("off", "bench-nocapture"), ("on", "bench-capture"))
                # Alternate which mode goes first, so neither always inherits the other's after-effects
                # (page-cache writeback of the capture files, a warmer or colder machine).
                for mode, endpoint in modes if round_number % 2 else modes[::-1]:
                    result = _load(server, endpoint, f"r{round_number}{mode}")
                    print(_line(f"round {round_number}: capture {mode}", result))
                    best[mode] = max(best[mode], result.throughput)
                    if result.ok != REQUESTS:
                        failures.append(f"capture {mode} round {round_number}: {REQUESTS - result.ok} errors")
            captured = _captured(server, "bench-capture")
            acknowledged = REQUESTS * ROUNDS
            if set(captured.values()) != {1} or len(captured) != acknowledged:
                failures.append(f"capture records: {len(captured)} distinct ids for {acknowledged} acknowledged "
                                f"requests, duplicates {sum(1 for n in captured.values() if n > 1)}")
            else:
                print(f"capture: exactly one record for each of the {acknowledged} acknowledged requests")
        finally:
            server.stop()
    cost = 1 - best["on"] / best["off"] if best["off"] else 1.0
    print(f"best throughput: capture off {best['off']:.0f} req/s, capture on {best['on']:.0f} req/s, "
          f"capture cost {cost:.1%}; reference {reference.throughput:.0f} req/s")
    if best["on"] < 1000:
        failures.append(f"throughput with capture {best['on']:.0f} req/s < 1000")
    if cost > 0.10:
        failures.append(f"capture costs {cost:.1%} of throughput (> 10 %)")
    for failure in failures:
        print(f"FAIL: {failure}")
    print("PASS" if not failures else "FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    started = time.monotonic()
    status = main()
    print(f"({time.monotonic() - started:.0f} s)")
    sys.exit(status)
