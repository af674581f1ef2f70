"""A 100 MB multipart upload through boto3's upload_file on loopback, beside references from the same run.

The server runs as its own process (``sagelocal serve``) in a fresh home. References: copying the same file on
the same disk (the floor any upload must pay), and a single PutObject of it. Target: multipart ≥ 200 MB/s.
Usage: ``python benchmarks/s3_multipart.py [--mb 100] [--runs 3]``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from review_loops import start_server  # noqa: E402

TARGET_MB_S = 200.0
MB = 1024 * 1024


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        home, source = scratch / "home", scratch / "upload.bin"
        with source.open("wb") as handle:
            for _ in range(args.mb):
                handle.write(os.urandom(MB))
        process, url = start_server(home)
        try:
            os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(home / "credentials")
            s3 = boto3.Session(profile_name="sagelocal", region_name="us-east-1").client(
                "s3", endpoint_url=url, config=Config(retries={"max_attempts": 1}, max_pool_connections=16))
            s3.create_bucket(Bucket="bench")
            multipart, single, copy = [], [], []
            for run in range(args.runs):
                copy.append(timed(lambda: shutil.copyfile(source, scratch / "copy.bin")))
                multipart.append(timed(lambda: s3.upload_file(str(source), "bench", f"multipart-{run}.bin",
                                                              Config=TransferConfig())))
                with source.open("rb") as body:
                    single.append(timed(lambda: s3.put_object(Bucket="bench", Key=f"single-{run}.bin", Body=body)))
            assert s3.head_object(Bucket="bench", Key="multipart-0.bin")["ETag"].endswith(f'-{-(-args.mb // 8)}"')
        finally:
            process.terminate()
            process.wait(timeout=30)

    def rate(seconds: list[float]) -> str:
        rates = [args.mb / s for s in seconds]
        return f"best {max(rates):7.0f} MB/s   median {statistics.median(rates):7.0f} MB/s"

    print(f"{args.mb} MB, {args.runs} runs, loopback, server in its own process")
    print(f"  multipart upload_file (8 MB parts, 10 threads)  {rate(multipart)}   target >= {TARGET_MB_S:.0f} MB/s")
    print(f"  reference: one PutObject                        {rate(single)}")
    print(f"  reference: copying the file on this disk        {rate(copy)}")


if __name__ == "__main__":
    main()
