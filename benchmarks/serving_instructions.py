"""InvokeEndpoint's cost in machine instructions per request, counted by callgrind: a figure that other work
on the machine does not move, unlike requests/s on a shared 2-core box.

Starts ``sagelocal serve`` under ``valgrind --tool=callgrind`` with instrumentation off, deploys the XGBoost
model with capture on and off, warms up, then counts only while BENCH_REQUESTS requests (default 400,
concurrency 32) are answered. The reference, in the same run, is the same load on an endpoint that does not
exist: the HTTP layer's and the signature check's floor. With ``BENCH_REFERENCE_TREE=<checkout>`` the whole
measure is repeated with that checkout's code (an older commit, say), so two versions compare in one run.

Needs valgrind (``apt-get install valgrind``). Slow: about a minute per tree.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = os.environ.setdefault("BENCH_REQUESTS", "400")
ENDPOINTS = ("bench-missing", "bench-nocapture", "bench-capture")


def _measure_here(out: Path) -> None:
    """In a child process whose sys.path starts at the tree to measure: print one line per endpoint."""
    sys.path[:0] = [os.getcwd(), os.path.join(os.getcwd(), "tests")]
    from benchmarks import serving_load
    from hosting.deploy import deploy
    from hosting.process import ServerProcess

    wrapper = out / "python-under-callgrind"
    wrapper.write_text(f"#!/bin/sh\nexec valgrind --tool=callgrind --instr-atstart=no "
                       f"--callgrind-out-file={out}/callgrind.%p {sys.executable} \"$@\"\n")
    wrapper.chmod(0o700)
    with tempfile.TemporaryDirectory(prefix="sagelocal-bench-") as home:
        python, sys.executable = sys.executable, str(wrapper)  # the server starts as `sys.executable -m sagelocal`
        server = ServerProcess(Path(home)).start(timeout=900)
        sys.executable = python
        try:
            deploy(server, name="bench-capture")
            deploy(server, name="bench-nocapture", capture={})
            for endpoint in ENDPOINTS:
                serving_load._load(server, endpoint, f"warm-{endpoint}")
            pid = str(server.process.pid)
            for dump, endpoint in enumerate(ENDPOINTS, start=1):
                subprocess.run(["callgrind_control", "-z", pid], capture_output=True, check=True)
                subprocess.run(["callgrind_control", "-i", "on", pid], capture_output=True, check=True)
                serving_load._load(server, endpoint, f"count-{endpoint}")
                subprocess.run(["callgrind_control", "-i", "off", pid], capture_output=True, check=True)
                subprocess.run(["callgrind_control", "-d", pid], capture_output=True, check=True)
                totals = (out / f"callgrind.{pid}.{dump}").read_text().split("\ntotals:", 1)[1].split()[0]
                print(f"{endpoint} {int(totals) / int(REQUESTS):.0f}", flush=True)
        finally:
            server.stop()


def _measure(tree: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="callgrind-") as out:
        done = subprocess.run([sys.executable, __file__, "--here", out], cwd=tree, capture_output=True, text=True,
                              env=dict(os.environ, PYTHONPATH=str(tree)), check=True)
    return {name: float(value) for name, value in (line.split() for line in done.stdout.splitlines())}


def main() -> int:
    trees = {"this tree": ROOT}
    if os.environ.get("BENCH_REFERENCE_TREE"):
        trees["reference tree"] = Path(os.environ["BENCH_REFERENCE_TREE"]).resolve()
    figures = {label: _measure(tree) for label, tree in trees.items()}
    print(f"instructions per request ({REQUESTS} requests each, concurrency 32, counted by callgrind)")
    print(f"{'':<16}" + "".join(f"{endpoint:>18}" for endpoint in ENDPOINTS))
    for label, counts in figures.items():
        print(f"{label:<16}" + "".join(f"{counts[endpoint] / 1e6:>16.2f} M" for endpoint in ENDPOINTS))
    if len(figures) == 2:
        mine, reference = figures.values()
        print(f"{'change':<16}" + "".join(f"{mine[e] / reference[e] - 1:>17.1%} " for e in ENDPOINTS))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--here"]:
        _measure_here(Path(sys.argv[2]))
    else:
        sys.exit(main())
