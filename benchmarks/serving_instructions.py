"""InvokeEndpoint's cost in machine instructions per request, counted by callgrind: a figure that other work
on the machine does not move, unlike requests/s on a shared 2-core box.

Starts ``sagelocal serve`` under ``valgrind --tool=callgrind`` with instrumentation off, deploys the XGBoost
model with capture on and off, warms up, then counts only while BENCH_REQUESTS requests (default 400,
concurrency 32) are answered. The reference, in the same run, is the same load on an endpoint that does not
exist: the HTTP layer's and the signature check's floor. With ``BENCH_REFERENCE_TREE=<checkout>`` the whole
measure is repeated with that checkout's code (an older commit, say), so two versions compare in one run
(see callgrind_counts.py).

Needs valgrind (``apt-get install valgrind``). Slow: about a minute per tree.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from callgrind_counts import InstructionCounter, compare_trees, servers_under_callgrind

REQUESTS = os.environ.setdefault("BENCH_REQUESTS", "400")
ENDPOINTS = ("bench-missing", "bench-nocapture", "bench-capture")


def _measure_here(out: Path) -> None:
    """In a child process whose working directory is the tree to measure: print one line per endpoint."""
    sys.path[:0] = [os.getcwd(), os.path.join(os.getcwd(), "tests")]
    from benchmarks import serving_load
    from hosting.deploy import deploy
    from hosting.process import ServerProcess

    with tempfile.TemporaryDirectory(prefix="sagelocal-bench-") as home:
        with servers_under_callgrind(out):
            server = ServerProcess(Path(home)).start(timeout=900)
        try:
            deploy(server, name="bench-capture")
            deploy(server, name="bench-nocapture", capture={})
            for endpoint in ENDPOINTS:
                serving_load._load(server, endpoint, f"warm-{endpoint}")
            counter = InstructionCounter(server.process.pid, out)
            for endpoint in ENDPOINTS:
                instructions = counter.count(lambda: serving_load._load(server, endpoint, f"count-{endpoint}"))
                print(f"{endpoint} {instructions / int(REQUESTS):.0f}", flush=True)
        finally:
            server.stop()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--here"]:
        _measure_here(Path(sys.argv[2]))
    else:
        compare_trees(__file__, ENDPOINTS,
                      f"instructions per request ({REQUESTS} requests each, concurrency 32, counted by callgrind)")
