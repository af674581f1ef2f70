"""Create or update a pipeline and run it, as the SageMaker Project template's ``run-pipeline``, so the template's
buildspec runs this project unchanged:

    run-pipeline -n pipelines.breast_cancer.pipeline -role-arn <role ARN> \
        -tags '[{"Key": "sagemaker:project-name", "Value": "..."}, {"Key": "sagemaker:project-id", "Value": "..."}]' \
        -kwargs '{"region": "...", "role": "...", "default_bucket": "...", "pipeline_name": "...", ...}'

Beyond the template, as ``scripts/run_pipeline_on_aws.py`` does: the step scripts, and the Clarify checks'
configurations the SDK made while building (kept by the build session, not uploaded then), are uploaded to the S3 URIs
the definition names, and the approved champion is staged for the evaluation step. It waits for the execution and
exits non-zero unless it succeeded. boto3's own configuration applies (``AWS_ENDPOINT_URL`` for a local server).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a file: the checkout is the import root, as for `python -m`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines._utils import (  # noqa: E402
    convert_struct, definition_text, get_pipeline_custom_tags, get_pipeline_driver, pipeline_parser, project_root,
    scripts_on_path,
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = pipeline_parser("Creates or updates and runs the pipeline for the pipeline script.")
    parser.add_argument("-role-arn", "--role-arn", dest="role_arn", required=True,
                        help="the role ARN of the pipeline's execution")
    parser.add_argument("-description", "--description", dest="description", default=None,
                        help="the pipeline's description")
    parser.add_argument("-tags", "--tags", dest="tags", default=None,
                        help='JSON list of tags: [{"Key": "string", "Value": "string"}, ...]')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    kwargs = convert_struct(args.kwargs) or {}
    pipeline = get_pipeline_driver(args.module_name, kwargs)
    text = definition_text(pipeline)
    print("###### Creating/updating a SageMaker pipeline with the following definition:")
    print(text)
    tags = get_pipeline_custom_tags(args.module_name, kwargs, convert_struct(args.tags) or [])
    scripts_on_path()
    import boto3
    import build_pipeline_json
    import run_pipeline_on_aws as deploy

    definition = json.loads(text)
    session = boto3.Session(region_name=kwargs.get("region"))
    with tempfile.TemporaryDirectory() as build_files:
        try:
            build_pipeline_json.write_build_time_files(pipeline, text, Path(build_files))
            uploads = deploy.script_uploads(definition, project_root() / "steps") + deploy.analysis_config_uploads(
                definition, Path(build_files))
        except deploy.DeployError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        return deploy.deploy_and_start(session.client("s3"), session.client("sagemaker"), pipeline.name, text,
                                       definition, uploads, args.role_arn, [], wait=True,
                                       description=args.description or deploy.DESCRIPTION, tags=tags)


if __name__ == "__main__":
    sys.exit(main())
