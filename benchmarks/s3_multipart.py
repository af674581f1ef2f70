"""A 100 MB multipart upload through boto3's upload_file on loopback, beside references from the same run.

The server runs as its own process (``sagelocal serve``) in a fresh home. References, in the same run: the same
upload_file to a bare uvicorn server that discards the bytes (benchmarks/upload_sink.py: the client's and the
HTTP layer's own cost, which no S3 work can go below), a single PutObject, and copying the file on the same disk.
Each upload also reports the CPU seconds of the client and of the server process (every thread), which a loaded
machine disturbs far less than wall-clock time. Target: multipart ≥ 200 MB/s.
Usage: ``python benchmarks/s3_multipart.py [--mb 100] [--runs 3]``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cpu_time import cpu_seconds, load_average  # noqa: E402
from review_loops import free_port, listening, start_server  # noqa: E402

TARGET_MB_S = 200.0
MB = 1024 * 1024


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


class Upload:
    """Wall and CPU seconds (client, server) of each run of one way of uploading."""

    def __init__(self, server_pid: int | None = None):
        self.server_pid, self.wall, self.client, self.server = server_pid, [], [], []

    def run(self, action) -> None:
        client, server = time.process_time(), self._server_cpu()
        self.wall.append(timed(action))
        self.client.append(time.process_time() - client)
        self.server.append(self._server_cpu() - server)

    def _server_cpu(self) -> float:
        return cpu_seconds(self.server_pid) if self.server_pid else 0.0

    def report(self, name: str, mb: int, target: str = "") -> str:
        rates = [mb / s for s in self.wall]
        cpu = (f"   CPU s client {statistics.median(self.client):.2f} server {statistics.median(self.server):.2f}"
               if self.server_pid else "")
        runs = "\n" + " " * 52 + "runs: " + " ".join(f"{rate:.0f}" for rate in rates) if self.server_pid else ""
        return (f"  {name:<50}best {max(rates):5.0f} MB/s  median {statistics.median(rates):5.0f} MB/s{cpu}{target}"
                + runs)


def client(url: str, home: Path):
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(home / "credentials")
    return boto3.Session(profile_name="sagelocal", region_name="us-east-1").client(
        "s3", endpoint_url=url, config=Config(retries={"max_attempts": 1}, max_pool_connections=16))


def start_sink() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, str(Path(__file__).with_name("upload_sink.py")), str(port)])
    return process, listening(process, port)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    load_before = load_average()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        home, source = scratch / "home", scratch / "upload.bin"
        with source.open("wb") as handle:
            for _ in range(args.mb):
                handle.write(os.urandom(MB))
        process, url = start_server(home)
        sink, sink_url = start_sink()
        try:
            s3, bare = client(url, home), client(sink_url, home)
            s3.create_bucket(Bucket="bench")
            multipart, reference, single, copy = Upload(process.pid), Upload(sink.pid), Upload(process.pid), Upload()
            for run in range(args.runs):  # interleaved, so that a change in the machine's load hits each alike
                copy.run(lambda: shutil.copyfile(source, scratch / "copy.bin"))
                reference.run(lambda: bare.upload_file(str(source), "bench", "sink", Config=TransferConfig()))
                multipart.run(lambda: s3.upload_file(str(source), "bench", "multipart.bin", Config=TransferConfig()))
                with source.open("rb") as body:
                    single.run(lambda: s3.put_object(Bucket="bench", Key="single.bin", Body=body))
            assert s3.head_object(Bucket="bench", Key="multipart.bin")["ETag"].endswith(f'-{-(-args.mb // 8)}"')
        finally:
            for started in (process, sink):
                started.terminate()
                started.wait(timeout=30)

    print(f"{args.mb} MB, {args.runs} runs, loopback, server in its own process; "
          f"load average {load_before} before, {load_average()} after, {os.cpu_count()} CPUs")
    print(multipart.report("multipart upload_file (8 MB parts, 10 threads)", args.mb,
                           f"   target >= {TARGET_MB_S:.0f} MB/s"))
    print(reference.report("reference: the same to a bare uvicorn sink", args.mb))
    print(single.report("reference: one PutObject", args.mb))
    print(copy.report("reference: copying the file on this disk", args.mb))


if __name__ == "__main__":
    main()
