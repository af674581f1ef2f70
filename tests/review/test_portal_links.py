"""What A2I's control plane says about where reviewers go: DescribeHumanTaskUi's absolute template URL (which a
signed-in reviewer can open), a workteam's SubDomain (this server: its root leads to the portal), and OIDC
member definitions, whose groups are local reviewer groups."""
from __future__ import annotations

import httpx

from .conftest import make_flow, row
from .test_portal_security import signed_in


def test_task_ui_url_is_absolute_and_opens_for_a_signed_in_reviewer(review):
    url = review.sagemaker.describe_human_task_ui(HumanTaskUiName="breast-cancer-review-ui")["UiTemplate"]["Url"]
    assert url == f"{review.server.url}/portal/task-uis/breast-cancer-review-ui/template"
    assert httpx.get(url).status_code == 303  # not signed in: to the sign-in page
    client, _ = signed_in(review.server.url, "alice", review.add_reviewer("alice"))
    assert "crowd-form" in client.get(url).text


def test_workteam_subdomain_leads_to_the_portal(review):
    team = review.sagemaker.describe_workteam(WorkteamName="reviewers")["Workteam"]
    assert f"http://{team['SubDomain']}" == review.server.url
    landing = httpx.get(f"http://{team['SubDomain']}/", follow_redirects=True)
    assert landing.url.path == "/portal/sign-in" and landing.status_code == 200


def test_oidc_groups_are_reviewer_groups(review):
    sm = review.sagemaker
    sm.create_workteam(WorkteamName="oidc-team", Description="OIDC reviewers",
                       MemberDefinitions=[{"OidcMemberDefinition": {"Groups": ["radiologists", "oncologists"]}}])
    flow = make_flow(sm, "oidc-review", "<crowd-form><p>{{ task.input.eventId }}</p></crowd-form>", "oidc-team")
    review.start("oidc-loop", row("event-1", 0.5), flow_arn=flow)
    client, _ = signed_in(review.server.url, "olga", review.add_reviewer("olga", team="oidc-team"))
    assert "oidc-loop" in client.get("/portal/tasks").text
