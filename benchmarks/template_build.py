"""The "model building, training, and deployment" MLOps template offline, end to end: its definition as the SDK
wrote it, run with ``sagelocal pipeline run`` from a fresh home holding only the uploaded scripts and the
abalone CSV. Target: 15 s or less.

References, measured in the same run: each job's own process time (what the runner reports as process
seconds: the scripts themselves), and the same three programs' Python start-up with their libraries imported,
as bare subprocesses (what any runner pays before a line of the scripts runs; the template's scripts cannot
run bare: they read and write /opt/ml literally).
Usage: ``python benchmarks/template_build.py``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from templates.build_template import DEFINITION, place_template  # noqa: E402  (the tests' own staging)

TARGET_S = 15.0
# What each job's program imports before it does anything: preprocess.py, the XGBoost algorithm, evaluate.py.
IMPORTS = {"PreprocessAbaloneData": "import boto3, numpy, pandas, requests, sklearn.compose, sklearn.impute, "
                                    "sklearn.pipeline, sklearn.preprocessing",
           "TrainAbaloneModel": "import numpy, xgboost",
           "EvaluateAbaloneModel": "import numpy, pandas, xgboost, sklearn.metrics"}


def bare_start_up(imports: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", imports], check=True)
    return time.perf_counter() - started


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="sagelocal-bench-") as folder:
        home = place_template(Path(folder) / "home")
        env = {**os.environ, "SAGELOCAL_HOME": str(home), "PYTHONPATH": str(ROOT)}
        started = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "sagelocal", "pipeline", "run", str(DEFINITION), "--json"],
                             env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if run.returncode != 0:
            print(run.stderr[-3000:], file=sys.stderr)
            return 1
        steps = json.loads(run.stdout)["Steps"]
        described = subprocess.run([sys.executable, "-m", "sagelocal", "pipeline", "describe",
                                    json.loads(run.stdout)["Execution"]["PipelineExecutionArn"], "--json"],
                                   env=env, capture_output=True, text=True, check=True)
        properties = json.loads(described.stdout)["Properties"]
    print(f"{'step':<36} {'wall s':>7} {'process s':>9} {'bare start-up s':>15}")
    for step in sorted(steps, key=lambda s: str(s["StartTime"])):
        name = step["StepName"]
        seconds = _seconds(step)
        process = properties.get(name, {}).get("ProcessSeconds")
        start_up = bare_start_up(IMPORTS[name]) if name in IMPORTS else None
        print(f"{name:<36} {seconds:7.2f} {f'{process:.2f}' if process is not None else '-':>9} "
              f"{f'{start_up:.2f}' if start_up is not None else '-':>15}")
    in_steps = sum(_seconds(step) for step in steps)
    print(f"whole run (sagelocal pipeline run, its own server included): {wall:.2f} s (target <= {TARGET_S:.0f} s)")
    print(f"outside the steps (start-up, server, between steps, shutdown): {wall - in_steps:.2f} s")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0 if wall <= TARGET_S else 1


def _seconds(step: dict) -> float:
    start, end = (datetime.fromisoformat(str(step[k])) for k in ("StartTime", "EndTime"))
    return (end - start).total_seconds()


if __name__ == "__main__":
    sys.exit(main())
