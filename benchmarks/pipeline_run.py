"""Run the project's pipeline.json offline once and compare the wall time with the step processes' own time.

Prints per step: wall time (as recorded by the runner) and process time (the job subprocess alone); the
difference is the runner's overhead. Targets: the whole run in 10 s or less, overhead under 0.5 s per step.
Uses a fresh SAGELOCAL_HOME in a temporary folder; stages the input data and step scripts first.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFINITION = ROOT / "pipeline.json"


def stage(home: Path) -> None:
    from sagelocal.storage.s3 import LocalS3

    definition = json.loads(DEFINITION.read_text())
    defaults = {p["Name"]: p.get("DefaultValue") for p in definition["Parameters"]}
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_input_data.py"), "--s3-root", str(home / "s3"),
                    defaults["InputDataUrl"]], check=True, capture_output=True)
    s3 = LocalS3(home / "s3")
    # What run_pipeline_on_aws.py stages when no version is approved yet (see scripts/champion.py).
    s3.write_bytes(f"{defaults['ChampionUrl']}/champion.json", b'{"version": null}')
    for step in definition["Steps"]:
        for item in step["Arguments"].get("ProcessingInputs", []):
            if item["InputName"] == "code":
                s3.copy_in(ROOT / "steps" / item["S3Input"]["S3Uri"].rsplit("/", 1)[-1], item["S3Input"]["S3Uri"])


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="sagelocal-bench-") as folder:
        home = Path(folder)
        stage(home)
        env = {**os.environ, "SAGELOCAL_HOME": str(home)}
        started = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "sagelocal", "pipeline", "run", str(DEFINITION), "--json"],
                             env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if run.returncode != 0:
            print(run.stderr, file=sys.stderr)
            return 1
        execution_id = json.loads(run.stdout)["Execution"]["PipelineExecutionArn"].rsplit("/", 1)[-1]
        described = subprocess.run([sys.executable, "-m", "sagelocal", "pipeline", "describe", execution_id, "--json"],
                                   env=env, capture_output=True, text=True, check=True)
    report = json.loads(described.stdout)
    from datetime import datetime

    print(f"{'step':<24} {'wall s':>8} {'process s':>10} {'overhead s':>11}")
    total_process = step_overhead = 0.0
    for step in report["Steps"]:
        step_wall = (datetime.fromisoformat(step["EndTime"]) - datetime.fromisoformat(step["StartTime"])).total_seconds()
        process = report["Properties"].get(step["StepName"], {}).get("ProcessSeconds", 0.0)
        total_process += process
        step_overhead += step_wall - process
        print(f"{step['StepName']:<24} {step_wall:8.2f} {process:10.2f} {step_wall - process:11.2f}")
    steps = len(report["Steps"])
    # Per step: what the runner adds around the job process (staging inputs, uploads, records), plus an
    # equal share of the command's own start-up, which no step accounts for.
    startup = wall - (datetime.fromisoformat(report["Execution"]["LastModifiedTime"])
                      - datetime.fromisoformat(report["Execution"]["CreationTime"])).total_seconds()
    overhead = (step_overhead + startup) / steps
    print(f"\nwhole run (command start to exit): {wall:.2f} s   sum of step processes: {total_process:.2f} s "
          f"(independent steps overlap)")
    print(f"runner overhead: {step_overhead:.2f} s around the steps + {startup:.2f} s command start-up and "
          f"report = {overhead:.2f} s per step over {steps} steps")
    print(f"targets: whole run <= 10 s: {'met' if wall <= 10 else 'MISSED'}; "
          f"overhead < 0.5 s per step: {'met' if overhead < 0.5 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
