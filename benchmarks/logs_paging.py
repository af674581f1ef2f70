"""CloudWatch Logs at volume: a processing job prints 100,000 lines; GetLogEvents pages through all of them with
boto3 on loopback (forward tokens from the head, the way ``wait(logs=True)`` and ``aws logs get-log-events``
read), first when the lines are not ingested yet, then again. References, measured in the same run: reading
the same lines from the job's stdout.log, and botocore parsing the same responses (the client's own share, which
no server can remove). Each paging also reports the CPU seconds of the client and of the server process (every
thread), which a loaded machine disturbs far less than wall-clock time. Target: all 100,000 paged in under 2 s.
Usage: ``python benchmarks/logs_paging.py [--lines N]``.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.parsers import create_parser

from cpu_time import cpu_seconds, load_average
from review_loops import start_server

TARGET_S = 2.0
SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
GROUP = "/aws/sagemaker/ProcessingJobs"


def run_job(home: Path, url: str, lines: int) -> None:
    session = boto3.Session(profile_name="sagelocal", region_name="us-east-1")
    s3 = session.client("s3", endpoint_url=url)
    s3.create_bucket(Bucket="bench")
    s3.put_object(Bucket="bench", Key="print.py", Body=(
        f"import sys\nfor i in range({lines}):\n    sys.stdout.write(f'{{i:08d}} a log line of a typical length "
        "from the job, with some words in it\\n')\n").encode())
    sagemaker = session.client("sagemaker", endpoint_url=url)
    sagemaker.create_processing_job(
        ProcessingJobName="bench-logs", RoleArn="arn:aws:iam::000000000000:role/bench",
        ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 1}},
        AppSpecification={"ImageUri": SKLEARN, "ContainerEntrypoint": ["python3", "/opt/ml/processing/code/print.py"]},
        ProcessingInputs=[{"InputName": "code", "S3Input": {"S3Uri": "s3://bench/print.py", "S3DataType": "S3Prefix",
                                                             "LocalPath": "/opt/ml/processing/code",
                                                             "S3InputMode": "File"}}])
    while sagemaker.describe_processing_job(ProcessingJobName="bench-logs")["ProcessingJobStatus"] == "InProgress":
        time.sleep(0.2)


def page_all(logs, server_pid: int) -> tuple[int, float, float, str]:
    """(events, seconds paging, seconds botocore spent parsing the same responses again, CPU seconds spent)."""
    bodies = []
    logs.meta.events.register("after-call.logs.GetLogEvents",
                              lambda http_response, **_: bodies.append(http_response.content))
    started, client_cpu, server_cpu = time.perf_counter(), time.process_time(), cpu_seconds(server_pid)
    stream = logs.describe_log_streams(logGroupName=GROUP)["logStreams"][0]["logStreamName"]
    count, request = 0, {"logGroupName": GROUP, "logStreamName": stream, "startFromHead": True}
    while True:
        page = logs.get_log_events(**request)
        if not page["events"]:
            break
        count += len(page["events"])
        request["nextToken"] = page["nextForwardToken"]
    seconds = time.perf_counter() - started
    cpu = f"CPU s client {time.process_time() - client_cpu:.2f} server {cpu_seconds(server_pid) - server_cpu:.2f}"
    parser, shape = create_parser("json"), logs.meta.service_model.operation_model("GetLogEvents").output_shape
    started = time.perf_counter()
    for body in bodies:
        parser.parse({"body": body, "headers": {}, "status_code": 200}, shape)
    return count, seconds, time.perf_counter() - started, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sagelocal-bench-logs-") as scratch:
        home = Path(scratch)
        process, url = start_server(home)
        try:
            os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(home / "credentials")
            run_job(home, url, args.lines)
            logs = boto3.Session(profile_name="sagelocal", region_name="us-east-1").client(
                "logs", endpoint_url=url, config=Config(retries={"max_attempts": 1}))
            load_before = load_average()
            first_count, first, _, first_cpu = page_all(logs, process.pid)
            again_count, again, parsing, again_cpu = page_all(logs, process.pid)
            started = time.perf_counter()
            reference = len((home / "jobs" / "bench-logs" / "stdout.log").read_text().splitlines())
            reference_s = time.perf_counter() - started
        finally:
            process.terminate()
            process.wait(timeout=10)
    assert first_count == again_count == reference == args.lines, (first_count, again_count, reference)
    print(f"GetLogEvents, {args.lines:,} lines paged from the head; load average {load_before} before, "
          f"{load_average()} after, {os.cpu_count()} CPUs")
    print(f"  the first time (ingesting): {first:.2f} s ({first_cpu})")
    print(f"  again:                      {again:.2f} s ({again_cpu})   target < {TARGET_S:.0f} s")
    print(f"  reference: botocore parsing those responses alone {parsing:.2f} s; reading stdout.log "
          f"{reference_s * 1000:.0f} ms")
    return 0 if max(first, again) < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
