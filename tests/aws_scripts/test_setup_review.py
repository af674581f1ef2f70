"""setup_review.py: task UI and flow definition calls checked against botocore's sagemaker model."""
from datetime import datetime

import setup_review

ROLE = "arn:aws:iam::111122223333:role/A2IRole"
TEAM = "arn:aws:sagemaker:us-east-1:111122223333:workteam/private-crowd/reviewers"
UI_ARN = "arn:aws:sagemaker:us-east-1:111122223333:human-task-ui/breast-cancer-review-ui"
FLOW_ARN = "arn:aws:sagemaker:us-east-1:111122223333:flow-definition/breast-cancer-review"


def test_creates_ui_and_flow_and_waits(tmp_path, stubbed_clients, capsys):
    template = tmp_path / "review.liquid.html"
    template.write_text("<crowd-form>{{ task.input.features }}</crowd-form>")
    stubbed_clients.client("sagemaker")
    stub = stubbed_clients["sagemaker"]
    stub.add_response("create_human_task_ui", {"HumanTaskUiArn": UI_ARN}, {
        "HumanTaskUiName": "breast-cancer-review-ui", "UiTemplate": {"Content": template.read_text()}})
    stub.add_response("create_flow_definition", {"FlowDefinitionArn": FLOW_ARN}, {
        "FlowDefinitionName": "breast-cancer-review", "RoleArn": ROLE,
        "OutputConfig": {"S3OutputPath": "s3://b/a2i"},
        "HumanLoopConfig": {"WorkteamArn": TEAM, "HumanTaskUiArn": UI_ARN, "TaskCount": 2,
                            "TaskTitle": "Review a breast-cancer prediction",
                            "TaskDescription": "Agree with the model's prediction or correct it, and say why.",
                            "TaskAvailabilityLifetimeInSeconds": 864000, "TaskTimeLimitInSeconds": 3600}})
    for status in ("Initializing", "Active"):
        stub.add_response("describe_flow_definition", {
            "FlowDefinitionArn": FLOW_ARN, "FlowDefinitionName": "breast-cancer-review", "FlowDefinitionStatus": status,
            "CreationTime": datetime(2026, 1, 1), "OutputConfig": {"S3OutputPath": "s3://b/a2i"}, "RoleArn": ROLE},
            {"FlowDefinitionName": "breast-cancer-review"})
    code = setup_review.main(["--workteam-arn", TEAM, "--role", ROLE, "--output-uri", "s3://b/a2i",
                              "--template", str(template), "--task-count", "2", "--poll-seconds", "0"])
    assert code == 0
    assert f"flow definition {FLOW_ARN}: Active" in capsys.readouterr().out
