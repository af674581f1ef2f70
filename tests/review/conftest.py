"""Review fixtures: a local server with a workteam, a task UI and a flow definition; reviewers; a browser."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT_TEMPLATE = Path(__file__).resolve().parents[2] / "sagelocal/review/templates/breast-cancer-review.liquid.html"
ROLE = "arn:aws:iam::000000000000:role/A2IRole"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@dataclass
class Review:
    server: object
    sagemaker: object
    a2i: object
    flow_arn: str
    team: str

    @property
    def backend(self):
        return self.server.app.state.backends["review"]

    def add_reviewer(self, name: str, team: str | None = None) -> str:
        return self.backend.reviewers.add(name, team or self.team)

    def start(self, name: str, content: dict, flow_arn: str | None = None) -> str:
        return self.a2i.start_human_loop(HumanLoopName=name, FlowDefinitionArn=flow_arn or self.flow_arn,
                                         HumanLoopInput={"InputContent": json.dumps(content)})["HumanLoopArn"]

    def output(self, name: str) -> dict:
        uri = self.a2i.describe_human_loop(HumanLoopName=name)["HumanLoopOutput"]["OutputS3Uri"]
        return json.loads(self.backend.loops.s3.read_bytes(uri))


def make_flow(sagemaker, name: str, template: str, team: str, task_count: int = 1, **config) -> str:
    """A task UI, a workteam (if new) and a flow definition named after ``name``; returns the flow ARN."""
    ui = sagemaker.create_human_task_ui(HumanTaskUiName=f"{name}-ui", UiTemplate={"Content": template})
    try:
        team_arn = sagemaker.describe_workteam(WorkteamName=team)["Workteam"]["WorkteamArn"]
    except sagemaker.exceptions.ResourceNotFound:
        team_arn = sagemaker.create_workteam(
            WorkteamName=team, Description=f"{team} reviewers",
            MemberDefinitions=[{"CognitoMemberDefinition": {"UserPool": "us-east-1_sagelocal", "UserGroup": team,
                                                            "ClientId": "sagelocal-portal"}}])["WorkteamArn"]
    return sagemaker.create_flow_definition(
        FlowDefinitionName=name, RoleArn=ROLE, OutputConfig={"S3OutputPath": "s3://review-bucket/a2i-results"},
        HumanLoopConfig={"WorkteamArn": team_arn, "HumanTaskUiArn": ui["HumanTaskUiArn"], "TaskCount": task_count,
                         "TaskTitle": "Review a breast-cancer prediction",
                         "TaskDescription": "Agree with the model or correct it, and say why.", **config},
    )["FlowDefinitionArn"]


def row(event_id: str, probability: float, first_value="13.54") -> dict:
    """One reviewed prediction in the project template's InputContent shape."""
    features = [{"name": "mean radius", "value": first_value}, {"name": "mean texture", "value": "14.36"}]
    return {"eventId": event_id, "inferenceTime": "2026-11-25T08:00:00Z", "probability": probability,
            "features": features}


@pytest.fixture
def review(local_server) -> Review:
    sagemaker = local_server.client("sagemaker")
    flow_arn = make_flow(sagemaker, "breast-cancer-review", PROJECT_TEMPLATE.read_text(), "reviewers")
    return Review(local_server, sagemaker, local_server.client("sagemaker-a2i-runtime"), flow_arn, "reviewers")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    # Nothing may leave loopback: any other request fails the test.
    outside = []
    context.route(re.compile(r"^(?!http://127\.0\.0\.1[:/]).*"), lambda route: (outside.append(route.request.url),
                                                                              route.abort()))
    page = context.new_page()
    yield page
    context.close()
    assert not outside, f"the page tried to load from outside: {outside}"


# What a reviewer chooses on the new-password page after signing in with its one-time password.
CHOSEN_PASSWORD = "Chosen-passw0rd"


def sign_in(page, base_url: str, name: str, password: str) -> None:
    """Sign in; after a one-time password, choose CHOSEN_PASSWORD as the portal asks."""
    page.goto(f"{base_url}/portal/sign-in")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/portal/(tasks|password)$"))
    if page.url.endswith("/portal/password"):
        page.fill("input[name=password]", CHOSEN_PASSWORD)
        page.fill("input[name=confirm]", CHOSEN_PASSWORD)
        page.click("form[action='/portal/password'] button[type=submit]")
    page.wait_for_url(f"{base_url}/portal/tasks")
