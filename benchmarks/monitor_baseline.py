"""Benchmark: baselining 1,000,000 rows × 30 float columns (and a variant with 2 string columns).

Prints, in one run, the job's wall time and peak RSS (each job in a fresh child process, best and median
of ``--repeat``) beside a numpy floor measured on the same machine at the same moment: per-column
sum/mean/std/min/max plus a full sort of every column, on arrays already in memory (no parsing).
Targets (issue 3): baseline ≤ 2 s and ≤ 1 GB peak RSS.

Usage: ``python benchmarks/monitor_baseline.py [--rows N] [--repeat R] [--workdir DIR]``
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FLOAT_COLUMNS = 30
STATES = np.array(["California", "Texas", "New York", "Florida", "Oregon", "Nevada", "Utah", "Ohio", "Iowa",
                   "Maine", "Idaho", "Alaska"])

# Runs in the child: one job, then its own wall time and peak RSS as JSON. VmHWM, not ru_maxrss: Linux
# carries ru_maxrss over exec from the forked parent (which holds the floor's arrays), VmHWM starts afresh.
_CHILD = """
import json, re, time
from sagelocal.monitor import api
started = time.perf_counter()
{call}
elapsed = time.perf_counter() - started
status = open("/proc/self/status").read()
peak_kb = int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))
print(json.dumps({{"seconds": elapsed, "peak_rss_mb": peak_kb / 1024}}))
"""


def make_table(rows: int, seed: int, shift: float = 0.0, strings: bool = False):
    """A pyarrow table: 30 normal float columns (``shift`` moves every mean), optionally 2 string columns."""
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    columns = {f"f{i}": np.round(rng.normal(i + shift, 1 + i / 10, rows), 6) for i in range(FLOAT_COLUMNS)}
    if strings:
        columns["state"] = STATES[rng.integers(0, len(STATES), rows)]
        columns["user"] = np.char.add("u", rng.integers(0, rows, rows).astype(str))
    return pa.table(columns)


def write_csv(table, path: Path) -> Path:
    import pyarrow.csv as pcsv

    if not path.exists():
        pcsv.write_csv(table, path, pcsv.WriteOptions(include_header=True))
    return path


def datasets(workdir: Path, rows: int) -> dict:
    """Write (once) the benchmark CSVs: baseline and drifted current data, float-only and with strings."""
    workdir.mkdir(parents=True, exist_ok=True)
    found = {}
    for name, seed, shift, strings in (("floats", 1, 0.0, False), ("strings", 2, 0.0, True),
                                       ("floats_current", 3, 0.05, False), ("strings_current", 4, 0.05, True)):
        path = workdir / f"{name}_{rows}.csv"
        found[name] = path if path.exists() else write_csv(make_table(rows, seed, shift, strings), path)
    return found


def numpy_floor(path: Path, repeat: int) -> float:
    """Best time of per-column stats plus a full sort, on the float columns of ``path`` held in memory."""
    import pyarrow.csv as pcsv

    table = pcsv.read_csv(path)
    arrays = [table.column(i).to_numpy() for i in range(FLOAT_COLUMNS)]
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for values in arrays:
            values.sum(), values.mean(), values.std(), values.min(), values.max()
            np.sort(values)
        best = min(best, time.perf_counter() - started)
    return best


def run_child(call: str) -> dict:
    """Run ``call`` (Python using ``api``) in a fresh interpreter; its time and peak RSS."""
    done = subprocess.run([sys.executable, "-c", _CHILD.format(call=call)], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(call: str, repeat: int) -> dict:
    runs = [run_child(call) for _ in range(repeat)]
    seconds = [run["seconds"] for run in runs]
    return {"best": min(seconds), "median": statistics.median(seconds),
            "peak_rss_mb": max(run["peak_rss_mb"] for run in runs)}


def report(label: str, result: dict, floor: float, target_seconds: float, target_mb: float | None = None) -> None:
    verdict = "OK " if result["best"] <= target_seconds else "SLOW"
    memory = f", peak RSS {result['peak_rss_mb']:.0f} MB" + (
        "" if target_mb is None else f" (target ≤ {target_mb:.0f})")
    print(f"{verdict} {label}: best {result['best']:.2f} s, median {result['median']:.2f} s "
          f"(target ≤ {target_seconds} s){memory}; numpy floor {floor:.2f} s "
          f"→ {result['best'] / floor:.1f}× floor")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "sagelocal-monitor-bench")
    args = parser.parse_args(argv)
    paths = datasets(args.workdir, args.rows)
    for name in ("floats", "strings"):
        floor = numpy_floor(paths[name], args.repeat)
        output = args.workdir / f"baseline_{name}"
        call = f"api.run_baseline({str(paths[name])!r}, {str(output)!r}, 'csv', header=True)"
        report(f"baseline {name} ({args.rows:,} rows)", measure(call, args.repeat), floor, 2.0, 1024)
    # The path for CSVs bigger than memory: 16 MB blocks, sketches merged block by block.
    streamed = measure("from sagelocal.monitor import reader\nreader.STREAM_THRESHOLD = 0\n"
                       f"api.run_baseline({str(paths['floats'])!r}, {str(args.workdir / 'streamed')!r}, 'csv', "
                       "header=True)", 1)
    print(f"info streamed baseline floats (as if bigger than memory): {streamed['best']:.2f} s, "
          f"peak RSS {streamed['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
