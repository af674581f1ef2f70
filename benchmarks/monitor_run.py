"""Benchmark: a monitoring run (every check, drift on every column) on 1,000,000 drifted rows × 30 floats.

Also checks drift accuracy at scale: the sketch-based distance against scipy's exact two-sample KS
statistic at a million values a side (target: within 1e-3). Times print beside the numpy floor of
``monitor_baseline.py`` measured in the same run. Target (issue 3): ≤ 1.5 s.

Usage: ``python benchmarks/monitor_run.py [--rows N] [--repeat R] [--workdir DIR]``
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from monitor_baseline import datasets, measure, numpy_floor, report  # noqa: E402


def drift_accuracy(rows: int) -> tuple:
    """(sketch distance, exact KS statistic, seconds for both sketches) on two shifted normals."""
    from scipy import stats

    from sagelocal.monitor import drift
    from sagelocal.monitor.kll import KLLSketch

    rng = np.random.default_rng(5)
    first, second = rng.normal(0.0, 1.0, rows), rng.normal(0.01, 1.0, rows)
    started = time.perf_counter()
    distance = drift.numerical_linf(KLLSketch.from_values(first), KLLSketch.from_values(second))[0]
    elapsed = time.perf_counter() - started
    return distance, stats.ks_2samp(first, second).statistic, elapsed


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "sagelocal-monitor-bench")
    args = parser.parse_args(argv)
    paths = datasets(args.workdir, args.rows)
    from sagelocal.monitor import api

    for name in ("floats", "strings"):
        baseline_dir = args.workdir / f"baseline_{name}"
        api.run_baseline(paths[name], baseline_dir, "csv", header=True)
        floor = numpy_floor(paths[f"{name}_current"], args.repeat)
        call = (f"api.run_monitoring({str(paths[name + '_current'])!r}, 'csv', "
                f"{str(baseline_dir / 'statistics.json')!r}, {str(baseline_dir / 'constraints.json')!r}, "
                f"{str(args.workdir / ('run_' + name))!r}, header=True, "
                f"metrics_dir={str(args.workdir / ('run_' + name) / 'metrics')!r}, "
                f"message_file={str(args.workdir / ('run_' + name) / 'message')!r})")
        report(f"monitoring run {name} ({args.rows:,} rows, every check, drift on all columns)",
               measure(call, args.repeat), floor, 1.5)
        print("   ", (args.workdir / f"run_{name}" / "message").read_text())
    distance, exact, seconds = drift_accuracy(args.rows)
    verdict = "OK " if abs(distance - exact) <= 1e-3 else "OFF"
    print(f"{verdict} drift at {args.rows:,} a side: sketch {distance:.6f}, scipy ks_2samp {exact:.6f}, "
          f"|difference| {abs(distance - exact):.2e} (target ≤ 1e-3); sketches + distance {seconds:.2f} s")


if __name__ == "__main__":
    main()
