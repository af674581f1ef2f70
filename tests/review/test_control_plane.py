"""CreateHumanTaskUi / CreateWorkteam / CreateFlowDefinition and friends through boto3's sagemaker client."""
from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from .conftest import PROJECT_TEMPLATE, ROLE, make_flow


def _code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


def test_task_ui_round_trip(local_server):
    sm = local_server.client("sagemaker")
    content = PROJECT_TEMPLATE.read_text()
    arn = sm.create_human_task_ui(HumanTaskUiName="review-ui", UiTemplate={"Content": content})["HumanTaskUiArn"]
    assert arn == "arn:aws:sagemaker:us-east-1:000000000000:human-task-ui/review-ui"
    described = sm.describe_human_task_ui(HumanTaskUiName="review-ui")
    assert described["HumanTaskUiStatus"] == "Active"
    assert len(described["UiTemplate"]["ContentSha256"]) == 64
    assert [s["HumanTaskUiName"] for s in sm.list_human_task_uis()["HumanTaskUiSummaries"]] == ["review-ui"]
    with pytest.raises(ClientError) as again:
        sm.create_human_task_ui(HumanTaskUiName="review-ui", UiTemplate={"Content": content})
    assert _code(again) == "ResourceInUse"
    sm.delete_human_task_ui(HumanTaskUiName="review-ui")
    with pytest.raises(ClientError) as gone:
        sm.describe_human_task_ui(HumanTaskUiName="review-ui")
    assert _code(gone) == "ResourceNotFound"


def test_names_must_match_the_a2i_pattern(local_server):
    sm = local_server.client("sagemaker")
    with pytest.raises(ClientError) as bad:
        sm.create_human_task_ui(HumanTaskUiName="Review_UI", UiTemplate={"Content": "<p>x</p>"})
    assert _code(bad) == "ValidationException"
    assert "regular expression pattern" in bad.value.response["Error"]["Message"]


def test_workteam_describe_and_list(local_server):
    sm = local_server.client("sagemaker")
    members = [{"CognitoMemberDefinition": {"UserPool": "us-east-1_pool", "UserGroup": "doctors", "ClientId": "c"}}]
    arn = sm.create_workteam(WorkteamName="doctors", Description="Oncologists", MemberDefinitions=members)
    assert arn["WorkteamArn"].endswith(":workteam/private-crowd/doctors")
    team = sm.describe_workteam(WorkteamName="doctors")["Workteam"]
    assert team["MemberDefinitions"] == members and team["Description"] == "Oncologists"
    sm.create_workteam(WorkteamName="nurses", Description="Nurses", MemberDefinitions=[
        {"CognitoMemberDefinition": {"UserPool": "us-east-1_pool", "UserGroup": "nurses", "ClientId": "c"}}])
    names = [t["WorkteamName"] for t in sm.list_workteams(SortBy="Name", SortOrder="Descending")["Workteams"]]
    assert names == ["nurses", "doctors"]
    assert [t["WorkteamName"] for t in sm.list_workteams(NameContains="doc")["Workteams"]] == ["doctors"]
    with pytest.raises(ClientError) as mixed:
        sm.create_workteam(WorkteamName="mixed", Description="x", MemberDefinitions=[
            {"OidcMemberDefinition": {"Groups": ["g"]}}, members[0]])
    assert _code(mixed) == "ValidationException"


def test_flow_definition_checks_its_references(local_server):
    sm = local_server.client("sagemaker")
    arn = make_flow(sm, "fd-one", "<crowd-form></crowd-form>", "team-a", task_count=2,
                    TaskAvailabilityLifetimeInSeconds=600, TaskTimeLimitInSeconds=300)
    described = sm.describe_flow_definition(FlowDefinitionName="fd-one")
    assert described["FlowDefinitionArn"] == arn and described["FlowDefinitionStatus"] == "Active"
    assert described["HumanLoopConfig"]["TaskCount"] == 2
    assert described["OutputConfig"]["S3OutputPath"] == "s3://review-bucket/a2i-results"
    with pytest.raises(ClientError) as missing_team:
        sm.create_flow_definition(
            FlowDefinitionName="fd-two", RoleArn=ROLE, OutputConfig={"S3OutputPath": "s3://review-bucket/p"},
            HumanLoopConfig={"WorkteamArn": "arn:aws:sagemaker:us-east-1:000000000000:workteam/private-crowd/nobody",
                             "HumanTaskUiArn": described["HumanLoopConfig"]["HumanTaskUiArn"], "TaskCount": 1,
                             "TaskTitle": "t", "TaskDescription": "d"})
    assert _code(missing_team) == "ValidationException" and "nobody" in str(missing_team.value)
    with pytest.raises(ClientError) as too_many:
        sm.create_flow_definition(
            FlowDefinitionName="fd-three", RoleArn=ROLE, OutputConfig={"S3OutputPath": "s3://review-bucket/p"},
            HumanLoopConfig={**described["HumanLoopConfig"], "TaskCount": 4})
    assert _code(too_many) == "ValidationException"
    assert [f["FlowDefinitionName"] for f in sm.list_flow_definitions()["FlowDefinitionSummaries"]] == ["fd-one"]
    sm.delete_flow_definition(FlowDefinitionName="fd-one")
    with pytest.raises(ClientError) as gone:
        sm.describe_flow_definition(FlowDefinitionName="fd-one")
    assert _code(gone) == "ResourceNotFound"


def test_flow_definition_with_open_loops_cannot_be_deleted(review):
    review.start("open-loop", {"rows": []})
    with pytest.raises(ClientError) as in_use:
        review.sagemaker.delete_flow_definition(FlowDefinitionName="breast-cancer-review")
    assert _code(in_use) == "ResourceInUse"


def test_list_filters_by_creation_time_and_refuses_unknown_sorting(local_server):
    sm = local_server.client("sagemaker")
    sm.create_human_task_ui(HumanTaskUiName="first-ui", UiTemplate={"Content": "<p>1</p>"})
    created = sm.describe_human_task_ui(HumanTaskUiName="first-ui")["CreationTime"]
    time.sleep(0.01)
    sm.create_human_task_ui(HumanTaskUiName="second-ui", UiTemplate={"Content": "<p>2</p>"})
    after = sm.list_human_task_uis(CreationTimeAfter=created, SortOrder="Ascending")["HumanTaskUiSummaries"]
    assert [s["HumanTaskUiName"] for s in after] == ["first-ui", "second-ui"]
    before = sm.list_human_task_uis(CreationTimeBefore=created)["HumanTaskUiSummaries"]
    assert before == []
    with pytest.raises(ClientError) as bad:
        sm.list_workteams(SortBy="Colour")
    assert _code(bad) == "ValidationException"


@pytest.mark.parametrize("path", ["s3://review-bucket/a/../../../outside", "s3://review-bucket/./a",
                                  "s3://Bad_Bucket/a2i", "s3://b/a2i", "s3://review-bucket//etc"])
def test_flow_output_paths_that_could_not_be_written_are_refused_at_create(review, path):
    config = review.sagemaker.describe_flow_definition(FlowDefinitionName="breast-cancer-review")["HumanLoopConfig"]
    with pytest.raises(ClientError) as refused:
        review.sagemaker.create_flow_definition(FlowDefinitionName="bad-output", RoleArn=ROLE,
                                                OutputConfig={"S3OutputPath": path}, HumanLoopConfig=config)
    assert _code(refused) == "ValidationException"
    assert f"Value '{path}' at 'outputConfig.s3OutputPath'" in refused.value.response["Error"]["Message"]
    names = [s["FlowDefinitionName"] for s in review.sagemaker.list_flow_definitions()["FlowDefinitionSummaries"]]
    assert names == ["breast-cancer-review"]


@pytest.mark.parametrize("template, problem", [
    ("<crowd-form>{% if task.input.x %}</crowd-form>", "expected tag endif"),
    ("<crowd-form>\n{% for %}{% endfor %}</crowd-form>", "missing expression on line 2"),
    ("<crowd-form>\n\n{{ task.input.x | no_such_filter }}</crowd-form>", "unknown filter 'no_such_filter' on line 3"),
])
def test_a_template_that_does_not_compile_is_refused_at_create(local_server, template, problem):
    sm = local_server.client("sagemaker")
    with pytest.raises(ClientError) as refused:
        sm.create_human_task_ui(HumanTaskUiName="broken", UiTemplate={"Content": template})
    assert _code(refused) == "ValidationException"
    message = refused.value.response["Error"]["Message"]
    assert message.startswith("The UiTemplate content is not a valid Liquid template") and problem in message
    assert sm.list_human_task_uis()["HumanTaskUiSummaries"] == []
    # AWS's own filters compile.
    sm.create_human_task_ui(HumanTaskUiName="fine", UiTemplate={"Content": (
        "{{ task.input.a | to_json }}{{ task.input.b | skip_autoescape }}{{ task.input.c | grant_read_access }}"
        "{{ task.input.d | escape_once }}")})
