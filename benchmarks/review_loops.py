"""Human loops at volume: 10,000 StartHumanLoop calls through boto3 on loopback, then list them all.

The server runs as its own process (``sagelocal serve``) in a fresh home, so client and server do not share
an interpreter. Targets: p99 start under 20 ms; listing all 10,000 with pagination under 2 s.
Usage: ``python benchmarks/review_loops.py [--loops N]``.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
from botocore.config import Config

P99_TARGET_MS, LIST_TARGET_S = 20.0, 2.0
# What each benchmark loop is started with: one row to review, no features (the input is stored, not read).
INPUT_CONTENT = json.dumps({"rows": [{"eventId": "e", "probability": 0.5, "features": []}]})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(home: Path, timeout: float = 30) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "SAGELOCAL_HOME": str(home)}
    process = subprocess.Popen([sys.executable, "-m", "sagelocal", "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, listening(process, port, timeout)


def listening(process: subprocess.Popen, port: int, timeout: float = 30) -> str:
    """The URL of the server ``process`` starts on ``port``, once it accepts connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the server ({process.args[1:]}) did not start")


def clients(home: Path, url: str):
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(home / "credentials")
    session = boto3.Session(profile_name="sagelocal", region_name="us-east-1")
    config = Config(retries={"max_attempts": 1})
    return session.client("sagemaker", endpoint_url=url, config=config), session.client(
        "sagemaker-a2i-runtime", endpoint_url=url, config=config)


def setup_flow(sagemaker) -> str:
    ui = sagemaker.create_human_task_ui(HumanTaskUiName="bench-ui", UiTemplate={"Content": "<crowd-form/>"})
    team = sagemaker.create_workteam(WorkteamName="bench", Description="benchmark", MemberDefinitions=[
        {"CognitoMemberDefinition": {"UserPool": "us-east-1_bench", "UserGroup": "bench", "ClientId": "bench"}}])
    return sagemaker.create_flow_definition(
        FlowDefinitionName="bench-flow", RoleArn="arn:aws:iam::000000000000:role/bench",
        OutputConfig={"S3OutputPath": "s3://bench/a2i"},
        HumanLoopConfig={"WorkteamArn": team["WorkteamArn"], "HumanTaskUiArn": ui["HumanTaskUiArn"], "TaskCount": 1,
                         "TaskTitle": "bench", "TaskDescription": "bench"})["FlowDefinitionArn"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=10_000)
    args = parser.parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="sagelocal-bench-review-"))
    process, url = start_server(home)
    try:
        sagemaker, a2i = clients(home, url)
        flow = setup_flow(sagemaker)
        latencies = []
        began = time.perf_counter()
        for index in range(args.loops):
            start = time.perf_counter()
            a2i.start_human_loop(HumanLoopName=f"bench-{index:05d}", FlowDefinitionArn=flow,
                                 HumanLoopInput={"InputContent": INPUT_CONTENT})
            latencies.append((time.perf_counter() - start) * 1000)
        started_in = time.perf_counter() - began
        listing = time.perf_counter()
        listed = sum(len(page["HumanLoopSummaries"]) for page in a2i.get_paginator("list_human_loops").paginate(
            FlowDefinitionArn=flow, PaginationConfig={"PageSize": 100}))
        list_seconds = time.perf_counter() - listing
    finally:
        process.terminate()
        process.wait(timeout=10)
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print(f"StartHumanLoop x{args.loops}: {started_in:.1f} s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
          f"max {max(latencies):.2f} ms (target p99 < {P99_TARGET_MS:.0f} ms)")
    print(f"ListHumanLoops: {listed} loops in {list_seconds:.2f} s over {-(-listed // 100)} pages "
          f"(target < {LIST_TARGET_S:.0f} s)")
    ok = p99 < P99_TARGET_MS and list_seconds < LIST_TARGET_S and listed == args.loops
    print("review loops benchmark:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
