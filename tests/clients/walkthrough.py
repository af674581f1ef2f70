"""Test helper: the environment in which unchanged AWS clients reach the local server, and the data the
walkthrough's monitoring cells need (a deployed endpoint with captured traffic, the training CSV in S3)."""
from __future__ import annotations

import os
from pathlib import Path

from hosting.deploy import csv_row, deploy, feature_rows
from sagelocal.credentials import credentials_path
from sagelocal.storage import LocalS3

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
BUCKET, PREFIX = "sagemaker-us-east-1-000000000000", "a2i-blog"
ENDPOINT = "xgb-breast-cancer"


def client_environment(server, tmp_path: Path) -> dict:
    """The process environment of a client pointed at ``server`` with AWS_ENDPOINT_URL and nothing else changed;
    ``sitecustomize`` installs the network guard (any non-loopback attempt fails the client)."""
    guard = tmp_path / "guard"
    guard.mkdir(exist_ok=True)
    (guard / "sitecustomize.py").write_text(f"import sys\nsys.path.insert(0, {str(TESTS)!r})\n"
                                            "import netguard\nnetguard.install()\n")
    return dict(os.environ, AWS_ENDPOINT_URL=server.url, AWS_SHARED_CREDENTIALS_FILE=str(credentials_path(server.settings)),
                AWS_PROFILE="sagelocal", AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
                AWS_CONFIG_FILE=str(tmp_path / "no-aws-config"), SAGEMAKER_VALIDATE_ROLE="false",
                SAGELOCAL_HOME=str(server.settings.home),
                PYTHONPATH=os.pathsep.join([str(guard), str(ROOT)]))


def deploy_with_traffic(server, requests: int = 40) -> None:
    """The walkthrough's endpoint (data capture at 100 %), its traffic, and train.csv (label first, no header)."""
    env = deploy(server, name=ENDPOINT)
    for row in feature_rows(requests):
        env["runtime"].invoke_endpoint(EndpointName=ENDPOINT, ContentType="text/csv", Body=csv_row(row))
    rows = feature_rows(200, seed=11)
    train = "".join(f"{int(r[0] > 0)}," + csv_row(r) + "\n" for r in rows)
    LocalS3(server.settings.s3_root).write_bytes(f"s3://{BUCKET}/{PREFIX}/baselining/data/train.csv", train.encode())
