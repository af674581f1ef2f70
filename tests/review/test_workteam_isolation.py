"""Workteams are user groups of a user pool: two pools may each have a group named "reviewers", and a reviewer
of one never sees, opens, answers or reads the template of the other's tasks."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import ROLE
from .test_portal_security import CSRF, signed_in

POOL_A, POOL_B = "us-east-1_PoolA", "us-east-1_PoolB"


def _team(sagemaker, name: str, pool: str) -> str:
    return sagemaker.create_workteam(
        WorkteamName=name, Description=name, MemberDefinitions=[{"CognitoMemberDefinition": {
            "UserPool": pool, "UserGroup": "reviewers", "ClientId": f"client-{name}"}}])["WorkteamArn"]


def _flow(sagemaker, name: str, team: str, template: str) -> str:
    ui = sagemaker.create_human_task_ui(HumanTaskUiName=f"{name}-ui", UiTemplate={"Content": template})
    return sagemaker.create_flow_definition(
        FlowDefinitionName=name, RoleArn=ROLE, OutputConfig={"S3OutputPath": "s3://review-bucket/a2i"},
        HumanLoopConfig={"WorkteamArn": team, "HumanTaskUiArn": ui["HumanTaskUiArn"], "TaskCount": 1,
                         "TaskTitle": name, "TaskDescription": name})["FlowDefinitionArn"]


@pytest.fixture
def two_pools(review):
    """Workteams team-a (pool A) and team-b (pool B), both of group "reviewers", each with a flow and a loop."""
    team_a, team_b = _team(review.sagemaker, "team-a", POOL_A), _team(review.sagemaker, "team-b", POOL_B)
    flow_a = _flow(review.sagemaker, "flow-a", team_a, "<crowd-form><p>secret A instructions</p></crowd-form>")
    flow_b = _flow(review.sagemaker, "flow-b", team_b, "<crowd-form><p>B instructions</p></crowd-form>")
    review.start("loop-a", {"n": 1}, flow_arn=flow_a)
    review.start("loop-b", {"n": 2}, flow_arn=flow_b)
    return review


def test_a_reviewer_of_pool_b_never_reaches_pool_a_tasks(two_pools):
    review = two_pools
    bob, csrf = signed_in(review.server.url, "bob", review.add_reviewer("bob", team="team-b"))
    listing = bob.get("/portal/tasks").text
    assert "/portal/tasks/loop-b" in listing and "/portal/tasks/loop-a" not in listing
    assert bob.get("/portal/tasks/loop-a").status_code == 404
    refused = bob.post("/portal/tasks/loop-a/submit", data={"csrf": csrf, "answerContent": '{"x": 1}'})
    assert refused.status_code == 404
    assert review.a2i.describe_human_loop(HumanLoopName="loop-a")["HumanLoopStatus"] == "InProgress"
    assert review.backend.db.query_one("SELECT COUNT(*) FROM assignments WHERE loop = 'loop-a'")[0] == 0
    # The template of another team's flow is "not found", as an unknown one is.
    template_a = bob.get("/portal/task-uis/flow-a-ui/template")
    assert template_a.status_code == 404 and "secret A" not in template_a.text
    assert "B instructions" in bob.get("/portal/task-uis/flow-b-ui/template").text
    # Bob's own task: its answer names Bob's pool as the issuer.
    page = bob.get("/portal/tasks/loop-b")
    assert bob.post("/portal/tasks/loop-b/submit", data={"csrf": CSRF.search(page.text).group(1),
                                                          "answerContent": '{"ok": true}'}).status_code == 303
    identity = review.output("loop-b")["humanAnswers"][0]["workerMetadata"]["identityData"]
    assert identity["issuer"] == f"https://cognito-idp.us-east-1.amazonaws.com/{POOL_B}"


def test_a_workteam_has_one_user_pool_and_app_client(review):
    members = [{"CognitoMemberDefinition": {"UserPool": POOL_A, "UserGroup": "g1", "ClientId": "c"}},
               {"CognitoMemberDefinition": {"UserPool": POOL_B, "UserGroup": "g2", "ClientId": "c"}}]
    with pytest.raises(ClientError) as mixed:
        review.sagemaker.create_workteam(WorkteamName="mixed", Description="d", MemberDefinitions=members)
    assert mixed.value.response["Error"]["Code"] == "ValidationException"
    assert "same ClientId and UserPool" in mixed.value.response["Error"]["Message"]
    with pytest.raises(review.sagemaker.exceptions.ResourceNotFound):
        review.sagemaker.describe_workteam(WorkteamName="mixed")

