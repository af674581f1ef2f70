"""Shared by the scripts and the review steps: clients for AWS by default, or any endpoint speaking its API with
--endpoint-url; reading an object by its s3:// URI; waiting for a resource to settle."""
from __future__ import annotations

import argparse
import time
from typing import Callable


def add_connection_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument("--endpoint-url", help="send every call to this URL (e.g. a local sagelocal server) "
                       "instead of AWS")
    group.add_argument("--region", help="AWS region (default: boto3's configuration)")
    group.add_argument("--profile", help="AWS profile from the shared credentials/config files")


def clients(args: argparse.Namespace, *services: str) -> list:
    """One boto3 client per service, all with the same endpoint, region and profile."""
    import boto3
    from botocore.config import Config

    session = boto3.Session(region_name=args.region, profile_name=args.profile)
    # Path-style S3 addressing works with AWS and with an endpoint that is not a DNS name.
    config = Config(s3={"addressing_style": "path"}) if args.endpoint_url else None
    return [session.client(service, endpoint_url=args.endpoint_url, config=config) for service in services]


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise SystemExit(f"expected an s3:// URI, got {uri!r}")
    bucket, _, key = uri[len("s3://"):].partition("/")
    return bucket, key


def read_object(s3, uri: str) -> bytes:
    bucket, key = split_s3_uri(uri)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def wait_for(describe: Callable[[], dict], status_field: str, settled: set[str], poll_seconds: float,
             sleep: Callable[[float], None] = time.sleep) -> dict:
    """Call ``describe`` until its ``status_field`` is one of ``settled``; return that description."""
    while True:
        described = describe()
        if described[status_field] in settled:
            return described
        sleep(poll_seconds)
