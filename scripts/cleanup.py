"""Delete what the flow created: monitoring schedules, endpoint, endpoint config, model, flow definition, task UI.

Anything already gone is reported and skipped, so running it twice is safe.
"""
from __future__ import annotations

import argparse
import sys

import _aws

GONE_CODES = {"ResourceNotFound", "ResourceNotFoundException", "ValidationException"}


def delete(client, operation: str, **request) -> bool:
    """Call ``operation``; False when the resource does not exist (any other error is raised)."""
    try:
        getattr(client, operation)(**request)
        return True
    except client.exceptions.ClientError as error:
        if error.response["Error"]["Code"] in GONE_CODES:
            return False
        raise


def endpoint_resources(sagemaker, endpoint: str) -> tuple[str | None, list[str]]:
    """The endpoint's config name and its models' names, or (None, []) when the endpoint is gone."""
    try:
        config_name = sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
        config = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    except sagemaker.exceptions.ClientError as error:
        if error.response["Error"]["Code"] in GONE_CODES:
            return None, []
        raise
    return config_name, [variant["ModelName"] for variant in config["ProductionVariants"]]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint-name", default="breast-cancer-xgboost")
    parser.add_argument("--monitoring-schedule", action="append", default=[], metavar="NAME",
                        help="Model Monitor schedule to delete (repeatable)")
    parser.add_argument("--eventbridge-schedule", action="append", default=[], metavar="NAME",
                        help="EventBridge Scheduler schedule to delete (repeatable)")
    parser.add_argument("--flow-definition-name", action="append", default=[], metavar="NAME")
    parser.add_argument("--task-ui-name", action="append", default=[], metavar="NAME")
    parser.add_argument("--endpoint-config-name", action="append", default=[], metavar="NAME",
                        help="extra endpoint configs (e.g. of earlier deployments)")
    parser.add_argument("--model-name", action="append", default=[], metavar="NAME",
                        help="extra models (e.g. of earlier deployments)")
    _aws.add_connection_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    sagemaker, scheduler = _aws.clients(args, "sagemaker", "scheduler")
    steps = [(scheduler, "delete_schedule", {"Name": name}) for name in args.eventbridge_schedule]
    # Model Monitor refuses to delete an endpoint that still has schedules: schedules go first.
    steps += [(sagemaker, "delete_monitoring_schedule", {"MonitoringScheduleName": name})
              for name in args.monitoring_schedule]
    config_name, models = endpoint_resources(sagemaker, args.endpoint_name)
    steps.append((sagemaker, "delete_endpoint", {"EndpointName": args.endpoint_name}))
    steps += [(sagemaker, "delete_endpoint_config", {"EndpointConfigName": name})
              for name in [config_name, *args.endpoint_config_name] if name]
    steps += [(sagemaker, "delete_model", {"ModelName": name}) for name in [*models, *args.model_name]]
    steps += [(sagemaker, "delete_flow_definition", {"FlowDefinitionName": name}) for name in args.flow_definition_name]
    steps += [(sagemaker, "delete_human_task_ui", {"HumanTaskUiName": name}) for name in args.task_ui_name]
    for client, operation, request in steps:
        deleted = delete(client, operation, **request)
        print(f"{operation} {next(iter(request.values()))}: {'deleted' if deleted else 'already gone'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
