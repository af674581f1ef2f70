"""cleanup.py: deletes in a safe order and tolerates what is already gone, under Stubber."""
from datetime import datetime

import cleanup

NOW = datetime(2026, 1, 1)


def test_deletes_everything_in_order(stubbed_clients, capsys):
    stubbed_clients.client("sagemaker")
    stubbed_clients.client("scheduler")
    sm = stubbed_clients["sagemaker"]
    stubbed_clients["scheduler"].add_response("delete_schedule", {}, {"Name": "hourly"})
    sm.add_response("describe_endpoint", {
        "EndpointName": "ep", "EndpointArn": "arn:aws:sagemaker:us-east-1:1:endpoint/ep", "EndpointConfigName": "cfg",
        "EndpointStatus": "InService", "CreationTime": NOW, "LastModifiedTime": NOW}, {"EndpointName": "ep"})
    sm.add_response("describe_endpoint_config", {
        "EndpointConfigName": "cfg", "EndpointConfigArn": "arn:aws:sagemaker:us-east-1:1:endpoint-config/cfg",
        "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "model-1"}], "CreationTime": NOW},
        {"EndpointConfigName": "cfg"})
    sm.add_response("delete_monitoring_schedule", {}, {"MonitoringScheduleName": "dq"})
    sm.add_response("delete_endpoint", {}, {"EndpointName": "ep"})
    sm.add_response("delete_endpoint_config", {}, {"EndpointConfigName": "cfg"})
    sm.add_response("delete_model", {}, {"ModelName": "model-1"})
    sm.add_response("delete_flow_definition", {}, {"FlowDefinitionName": "flow"})
    sm.add_response("delete_human_task_ui", {}, {"HumanTaskUiName": "ui"})
    assert cleanup.main(["--endpoint-name", "ep", "--monitoring-schedule", "dq", "--eventbridge-schedule", "hourly",
                         "--flow-definition-name", "flow", "--task-ui-name", "ui"]) == 0
    out = capsys.readouterr().out
    assert out.index("delete_monitoring_schedule") < out.index("delete_endpoint ep")
    assert "already gone" not in out


def test_what_is_gone_is_skipped(stubbed_clients, capsys):
    stubbed_clients.client("sagemaker")
    stubbed_clients.client("scheduler")
    sm = stubbed_clients["sagemaker"]
    sm.add_client_error("describe_endpoint", "ValidationException", "Could not find endpoint")
    sm.add_client_error("delete_endpoint", "ValidationException", "Could not find endpoint")
    sm.add_client_error("delete_human_task_ui", "ResourceNotFound", "no such task UI")
    assert cleanup.main(["--endpoint-name", "ep", "--task-ui-name", "ui"]) == 0
    assert capsys.readouterr().out.count("already gone") == 2


def test_other_errors_are_raised(stubs):
    sagemaker = stubs.client("sagemaker")
    stubs["sagemaker"].add_client_error("delete_model", "AccessDeniedException", "no")
    try:
        cleanup.delete(sagemaker, "delete_model", ModelName="m")
    except sagemaker.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] == "AccessDeniedException"
    else:
        raise AssertionError("AccessDenied must not count as already gone")
