"""Write ``pipeline.json``, the breast-cancer pipeline's definition, offline and byte-identical on every run.

Usage: ``.venv/bin/python scripts/build_pipeline_json.py [--region R] [--role ARN] [--bucket B] [--output PATH]
[--pipeline-name N] [--model-package-group G] [--data-quality {model-monitor,processing}]`` (``make pipeline-json``).
No AWS credentials and no network are needed: the SDK is configured below so that it never calls AWS (see
../shared/reference/sagemaker-sdk-v3.md §3.1).

The files the SDK uploads while it builds (each ClarifyCheck step's ``analysis_config.json``) are written beside
the output, at their path under the code prefix (``clarify/<check>/analysis_config.json``); commit them with
``pipeline.json``: ``run_pipeline_on_aws.py`` uploads them to the URIs the definition names.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REGION = "us-east-1"
# Placeholders: the AWS face (scripts/run_pipeline_on_aws.py) needs a definition built with real values.
PLACEHOLDER_ACCOUNT = "000000000000"
DEFAULT_ROLE = f"arn:aws:iam::{PLACEHOLDER_ACCOUNT}:role/SageMakerExecutionRole"
DATA_QUALITY_CHECKS = ("model-monitor", "processing")
DATA_QUALITY_HELP = """--data-quality:
  model-monitor  a QualityCheck step on the Model Monitor analyzer image; SkipDataQualityCheck and
                 RegisterNewDataQualityBaseline choose whether to check against the approved baseline and
                 which baseline the model package keeps for drift checks.
  processing     for accounts without Model Monitor: a processing step on the scikit-learn image running the
                 monitor library (sagelocal.monitor); scripts/run_pipeline_on_aws.py uploads the library to
                 <bucket>/<pipeline name>/code/library. It always computes a fresh baseline and registers it;
                 the two parameters above are still declared but have no effect."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=DATA_QUALITY_HELP,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--region", default=DEFAULT_REGION, help=f"AWS region of the images (default {DEFAULT_REGION})")
    parser.add_argument("--role", default=DEFAULT_ROLE, help=f"SageMaker execution role ARN (default {DEFAULT_ROLE})")
    parser.add_argument("--bucket", help=f"default bucket (default sagemaker-<region>-{PLACEHOLDER_ACCOUNT})")
    parser.add_argument("--output", type=Path, default=ROOT / "pipeline.json",
                        help="where to write (default: pipeline.json at the repository root)")
    # No defaults for the names: get_pipeline's own apply (its module is imported only once the SDK is set up).
    parser.add_argument("--pipeline-name", help="pipeline name, also the S3 prefix of its code and outputs "
                        "(default BreastCancerXGBoost; a SageMaker Project uses <project name>-<project id>)")
    parser.add_argument("--model-package-group", help="model package group to register in "
                        "(default breast-cancer-xgboost)")
    parser.add_argument("--data-quality", choices=DATA_QUALITY_CHECKS, default=DATA_QUALITY_CHECKS[0],
                        help="how DataQualityBaseline runs (default %(default)s; see below)")
    return parser.parse_args(argv)


def configure_offline_sdk(region: str) -> None:
    """Set what the SDK reads at import time; call before anything imports ``sagemaker``."""
    # The SDK builds boto3 clients at import time and boto3 ignores AWS_REGION.
    os.environ["AWS_DEFAULT_REGION"] = region
    # No credentials: stop botocore's credential chain before it asks the EC2 metadata service.
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    # ModelTrainer would otherwise simulate the role's policies through IAM.
    os.environ["SAGEMAKER_VALIDATE_ROLE"] = "false"


def silence_sdk() -> None:
    """Keep the SDK's informational logs, warnings and telemetry out of a build."""
    # SDK modules set their own logger levels at import, so only a process-wide switch silences them.
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore", module=r"sagemaker\.")
    import sagemaker.core.telemetry.telemetry_logging as telemetry_logging

    # The official opt-out (a config file) slows every config lookup by seconds; every report goes through this.
    telemetry_logging._send_telemetry_request = lambda *args, **kwargs: None


def build_pipeline(region: str, role: str, bucket: str, **options):
    """The SDK's Pipeline, built offline. ``options``: further keyword arguments of ``get_pipeline``
    (pipeline_name, data_quality_check, ...)."""
    configure_offline_sdk(region)
    silence_sdk()
    sys.path.insert(0, str(ROOT))
    from pipelines.breast_cancer.pipeline import get_pipeline

    return get_pipeline(region=region, role=role, default_bucket=bucket, **options)


def write_build_time_files(pipeline, text: str, folder: Path) -> list[Path]:
    """Write under ``folder`` the SDK's build-time uploads that the definition ``text`` names, where the deploy
    scripts look for them. Its other upload, a copy of each check's configuration for monitoring schedules at a
    random key, is named by nothing in the definition and is left out."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from run_pipeline_on_aws import build_time_file  # beside this script; the deploy side owns the layout

    written = []
    for uri, body in sorted(getattr(pipeline.sagemaker_session, "uploads", {}).items()):
        if json.dumps(uri) in text:
            path = build_time_file(folder, uri)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
            written.append(path)
    return written


def definition_text(pipeline) -> str:
    """``pipeline``'s definition as indented JSON in the SDK's own key order, with a final newline."""
    return json.dumps(json.loads(pipeline.definition()), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bucket = args.bucket or f"sagemaker-{args.region}-{PLACEHOLDER_ACCOUNT}"
    options = {"pipeline_name": args.pipeline_name, "model_package_group_name": args.model_package_group,
               "data_quality_check": args.data_quality}
    try:
        pipeline = build_pipeline(args.region, args.role, bucket,
                                  **{name: value for name, value in options.items() if value is not None})
    except ValueError as error:  # get_pipeline's own checks of region, role and bucket
        print(f"error: {error}", file=sys.stderr)
        return 2
    text = definition_text(pipeline)
    args.output.write_text(text, encoding="utf-8")
    files = write_build_time_files(pipeline, text, args.output.resolve().parent)
    steps = len(json.loads(text)["Steps"])
    print(f"wrote {args.output} ({len(text.encode())} bytes, {steps} top-level steps, "
          f"region {args.region}, bucket {bucket}) and {len(files)} build-time files beside it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
