"""What the job sandbox (bubblewrap) adds to a job, against a bare subprocess, measured in the same run.

Two levels, each interleaved (sandboxed, bare, sandboxed, ...) so that a busy machine weighs on both alike:
- process: ``python -c pass`` started bare, and the same in a job's sandbox (its folder, binds, /tmp);
- job: a whole processing job with a one-line script (job folder, input copy, process, output upload), with
  ``SAGELOCAL_JOB_ISOLATION`` bubblewrap against none (which runs the script as a bare subprocess).
Medians; the sandbox's cost is the difference. Target: under 50 ms per job.
Usage: ``python benchmarks/job_sandbox.py [--runs N]``.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sagelocal.config import Settings
from sagelocal.jobs.processing import run_processing_job
from sagelocal.jobs.sandbox import BUBBLEWRAP, NO_ISOLATION, JobSandbox
from sagelocal.storage.s3 import LocalS3

TARGET_MS = 50.0
SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
JOB = {"RoleArn": "arn:aws:iam::000000000000:role/bench",
       "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 1}},
       "AppSpecification": {"ImageUri": SKLEARN, "ContainerEntrypoint": ["python3", "/opt/ml/processing/code/job.py"],
                            "ContainerArguments": ["/opt/ml/processing/out"]},
       "ProcessingInputs": [{"InputName": "code", "S3Input": {"S3Uri": "s3://bench/job.py", "S3DataType": "S3Prefix",
                                                             "LocalPath": "/opt/ml/processing/code",
                                                             "S3InputMode": "File"}}],
       "ProcessingOutputConfig": {"Outputs": [{"OutputName": "out", "S3Output": {
           "S3Uri": "s3://bench/out", "LocalPath": "/opt/ml/processing/out", "S3UploadMode": "EndOfJob"}}]}}
# Its output folder from its arguments: without isolation only the paths a job is given reach its folder.
SCRIPT = b"import sys; open(sys.argv[1] + '/done', 'w').write('done')\n"


def timed(run) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def children_cpu_ms(run) -> float:
    """CPU ms that ``run``'s child processes used (bubblewrap's own work is CPU; waiting to be scheduled is not)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000


def process_level(folder: Path, runs: int) -> tuple[float, float, float]:
    """Median ms of ``python -c pass``: in a job's sandbox, bare; and the median CPU ms the sandbox adds."""
    sandbox = JobSandbox(BUBBLEWRAP, folder, writable=("/opt/ml/processing", "/opt/ml/output"),
                         read_only=("/opt/ml/config",))
    argv = [sys.executable, "-c", "pass"]
    sandboxed, bare, cpu = [], [], []
    for _ in range(runs):
        sandboxed.append(timed(lambda: subprocess.run(sandbox.command(argv), check=True)))
        bare.append(timed(lambda: subprocess.run(argv, check=True)))
        cpu.append(children_cpu_ms(lambda: subprocess.run(sandbox.command(argv), check=True))
                   - children_cpu_ms(lambda: subprocess.run(argv, check=True)))
    return statistics.median(sandboxed), statistics.median(bare), statistics.median(cpu)


def job_level(home: Path, runs: int) -> tuple[float, float]:
    """Median ms of a whole processing job: isolated with bubblewrap, and with no isolation."""
    LocalS3(home / "s3").write_bytes("s3://bench/job.py", SCRIPT)
    times = {BUBBLEWRAP: [], NO_ISOLATION: []}
    for index in range(runs):
        for isolation in times:
            settings = Settings(home=home, job_isolation=isolation)
            name = f"bench-{isolation}-{index}"
            times[isolation].append(timed(lambda: run_processing_job(settings, name, JOB)))
    return statistics.median(times[BUBBLEWRAP]), statistics.median(times[NO_ISOLATION])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sagelocal-bench-") as folder:
        sandboxed, bare, cpu = process_level(Path(folder) / "sandbox", args.runs)
        print(f"process  python -c pass   sandboxed {sandboxed:7.1f} ms   bare {bare:7.1f} ms   "
              f"added {sandboxed - bare:6.1f} ms (CPU added {cpu:.1f} ms)")
        isolated, unisolated = job_level(Path(folder) / "home", args.runs)
        added = isolated - unisolated
        print(f"job      processing job   sandboxed {isolated:7.1f} ms   bare {unisolated:7.1f} ms   "
              f"added {added:6.1f} ms")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    verdict = "meets" if added < TARGET_MS else "MISSES"
    print(f"{verdict} the target: the sandbox adds {added:.1f} ms per job (target < {TARGET_MS:.0f} ms)")
    return 0 if added < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
