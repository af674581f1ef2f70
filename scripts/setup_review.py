"""Set up human review (Amazon A2I): a worker task UI and a flow definition for a given workteam.

Then the review steps do the loop work: ``steps/review_start.py`` starts human loops for uncertain
predictions, ``steps/review_collect.py`` collects the answers and retrains.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import _aws

TERMINAL = {"Active", "Failed"}


def create_task_ui(sagemaker, name: str, template: str) -> str:
    return sagemaker.create_human_task_ui(HumanTaskUiName=name, UiTemplate={"Content": template})["HumanTaskUiArn"]


def create_flow_definition(sagemaker, name: str, workteam_arn: str, task_ui_arn: str, output_uri: str,
                           role_arn: str, task_count: int) -> str:
    return sagemaker.create_flow_definition(
        FlowDefinitionName=name, RoleArn=role_arn, OutputConfig={"S3OutputPath": output_uri},
        HumanLoopConfig={
            "WorkteamArn": workteam_arn, "HumanTaskUiArn": task_ui_arn, "TaskCount": task_count,
            "TaskTitle": "Review a breast-cancer prediction",
            "TaskDescription": "Agree with the model's prediction or correct it, and say why.",
            "TaskAvailabilityLifetimeInSeconds": 864000, "TaskTimeLimitInSeconds": 3600,
        },
    )["FlowDefinitionArn"]


def wait_active(sagemaker, name: str, poll_seconds: float) -> dict:
    return _aws.wait_for(lambda: sagemaker.describe_flow_definition(FlowDefinitionName=name),
                         "FlowDefinitionStatus", TERMINAL, poll_seconds)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workteam-arn", required=True)
    parser.add_argument("--role", required=True, help="role A2I assumes to write the outputs")
    parser.add_argument("--output-uri", required=True, help="s3:// prefix for the human loops' output.json")
    parser.add_argument("--template", type=Path, required=True, help="the worker task template (Liquid HTML)")
    parser.add_argument("--task-ui-name", default="breast-cancer-review-ui")
    parser.add_argument("--flow-definition-name", default="breast-cancer-review")
    parser.add_argument("--task-count", type=int, default=1, help="reviewers per prediction")
    parser.add_argument("--poll-seconds", type=float, default=5.0)
    _aws.add_connection_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    (sagemaker,) = _aws.clients(args, "sagemaker")
    ui_arn = create_task_ui(sagemaker, args.task_ui_name, args.template.read_text())
    create_flow_definition(sagemaker, args.flow_definition_name, args.workteam_arn, ui_arn, args.output_uri,
                           args.role, args.task_count)
    described = wait_active(sagemaker, args.flow_definition_name, args.poll_seconds)
    print(f"flow definition {described['FlowDefinitionArn']}: {described['FlowDefinitionStatus']}")
    print(f"next: steps/review_start.py with --flow-definition-arn {described['FlowDefinitionArn']}, "
          "then steps/review_collect.py after review")
    return 0 if described["FlowDefinitionStatus"] == "Active" else 1


if __name__ == "__main__":
    sys.exit(main())
