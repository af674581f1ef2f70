"""Benchmark: peak RSS of streamed baselines and monitoring runs at several row counts (×30 float columns).

"Inputs bigger than memory stream in chunks with bounded memory": with streaming forced
(``reader.STREAM_THRESHOLD = 0``) a baseline and a monitoring run (every check, drift on every column) at
each ``--sizes`` row count, each in a fresh child process, print wall time and peak RSS (VmHWM), beside the
in-memory baseline of the smallest size measured in the same run. Target: streamed peaks flat in the row
count (largest within 15% of smallest) and well under 1 GB.

Usage: ``python benchmarks/monitor_stream.py [--sizes 1000000,3000000,6000000] [--workdir DIR]``
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from monitor_baseline import FLOAT_COLUMNS, measure  # noqa: E402

PART_ROWS = 1_000_000
STREAMED = "from sagelocal.monitor import reader\nreader.STREAM_THRESHOLD = 0\n"


def float_csv(path: Path, rows: int, seed: int, shift: float = 0.0) -> Path:
    """Write (once) ``rows`` rows of 30 normal float columns, a million rows at a time (bounded memory)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    if path.exists():
        return path
    partial = path.with_suffix(".part")
    with pa.OSFile(str(partial), "wb") as sink:
        writer = None
        for part, start in enumerate(range(0, rows, PART_ROWS)):
            count = min(PART_ROWS, rows - start)
            rng = np.random.default_rng([seed, part])
            table = pa.table({f"f{i}": np.round(rng.normal(i + shift, 1 + i / 10, count), 6)
                              for i in range(FLOAT_COLUMNS)})
            if writer is None:
                writer = pcsv.CSVWriter(sink, table.schema)
            writer.write_table(table)
        writer.close()
    partial.rename(path)
    return path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,3000000,6000000",
                        help="comma-separated row counts (default 1M, 3M, 6M)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "sagelocal-monitor-stream")
    args = parser.parse_args(argv)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    args.workdir.mkdir(parents=True, exist_ok=True)
    files = {rows: (float_csv(args.workdir / f"baseline_{rows}.csv", rows, 11),
                    float_csv(args.workdir / f"current_{rows}.csv", rows, 12, 0.05)) for rows in sizes}

    smallest = files[sizes[0]][0]
    reference = args.workdir / "reference"
    in_memory = measure(f"api.run_baseline({str(smallest)!r}, {str(reference)!r}, 'csv', header=True)", 1)
    print(f"info in-memory baseline ({sizes[0]:,} rows): {in_memory['best']:.2f} s, "
          f"peak RSS {in_memory['peak_rss_mb']:.0f} MB")

    peaks = {"baseline": [], "monitoring run": []}
    for rows in sizes:
        baseline, current = files[rows]
        out = args.workdir / f"out_{rows}"
        job = measure(STREAMED + f"api.run_baseline({str(baseline)!r}, {str(out / 'baseline')!r}, 'csv', "
                      "header=True)", 1)
        run = measure(STREAMED + f"api.run_monitoring({str(current)!r}, 'csv', "
                      f"{str(reference / 'statistics.json')!r}, {str(reference / 'constraints.json')!r}, "
                      f"{str(out / 'run')!r}, header=True, metrics_dir={str(out / 'metrics')!r})", 1)
        for label, result in (("baseline", job), ("monitoring run", run)):
            peaks[label].append(result["peak_rss_mb"])
            print(f"info streamed {label} ({rows:,} rows, {baseline.stat().st_size / 1e6:,.0f} MB CSV): "
                  f"{result['best']:.2f} s, peak RSS {result['peak_rss_mb']:.0f} MB")
    for label, values in peaks.items():
        spread = max(values) / min(values) - 1
        verdict = "OK " if spread <= 0.15 and max(values) < 1024 else "GROWS"
        print(f"{verdict} streamed {label} peak RSS over {', '.join(f'{s:,}' for s in sizes)} rows: "
              f"{min(values):.0f}–{max(values):.0f} MB, spread {spread:.0%} (target ≤ 15%, < 1024 MB)")


if __name__ == "__main__":
    main()
