"""Fault suite, review: the server SIGKILLed while a reviewer holds tasks. After the restart nothing acknowledged
is lost and nothing stays mid-flight: held tasks are back in the queue, a Stopping loop is Stopped."""
from __future__ import annotations

import json

import httpx
import pytest
from hosting.process import ServerProcess

from sagelocal.review.reviewers import Reviewers
from sagelocal.review.store import open_database
from sagelocal.storage import LocalS3

from .conftest import PROJECT_TEMPLATE, make_flow, row
from .test_portal_security import CSRF, signed_in
from .test_reviewers_and_answers import ANSWER


@pytest.fixture
def server(tmp_path):
    process = ServerProcess(tmp_path / "home").start()
    yield process
    process.kill()


def _answer(client: httpx.Client, loop: str, reason: str) -> httpx.Response:
    page = client.get(f"/portal/tasks/{loop}")
    assert page.status_code == 200, page.text
    return client.post(f"/portal/tasks/{loop}/submit", data={"csrf": CSRF.search(page.text).group(1),
                                                              "answerContent": ANSWER % reason})


def test_sigkill_mid_review_releases_held_tasks_and_settles_stopping_loops(server):
    sagemaker, a2i = server.client("sagemaker"), server.client("sagemaker-a2i-runtime")
    single = make_flow(sagemaker, "single", PROJECT_TEMPLATE.read_text(), "reviewers")
    double = make_flow(sagemaker, "double", PROJECT_TEMPLATE.read_text(), "reviewers", task_count=2)
    for name, flow in (("held", single), ("stopping", single), ("half", double)):
        a2i.start_human_loop(HumanLoopName=name, FlowDefinitionArn=flow,
                             HumanLoopInput={"InputContent": json.dumps({"rows": [row(name, 0.5)]})})
    reviewers = Reviewers(open_database(server.settings))
    ann, _ = signed_in(server.url, "ann", reviewers.add("ann", "reviewers"))
    ben_password = reviewers.add("ben", "reviewers")
    assert _answer(ann, "half", "ann before the crash").status_code == 303  # acknowledged
    for loop in ("held", "stopping"):
        assert ann.get(f"/portal/tasks/{loop}").status_code == 200  # ann holds them
    a2i.stop_human_loop(HumanLoopName="stopping")
    assert a2i.describe_human_loop(HumanLoopName="stopping")["HumanLoopStatus"] == "Stopping"

    server.kill()
    restarted = ServerProcess(server.settings.home).start()
    try:
        a2i = restarted.client("sagemaker-a2i-runtime")
        statuses = {name: a2i.describe_human_loop(HumanLoopName=name)["HumanLoopStatus"]
                    for name in ("held", "stopping", "half")}
        assert statuses == {"held": "InProgress", "stopping": "Stopped", "half": "InProgress"}
        # Ann's hold on "held" died with the server: Ben can take it now, not an hour later.
        ben, _ = signed_in(restarted.url, "ben", ben_password)
        listing = ben.get("/portal/tasks").text
        assert "/portal/tasks/held" in listing and "/portal/tasks/half" in listing
        assert _answer(ben, "held", "ben after the restart").status_code == 303
        assert _answer(ben, "half", "ben after the restart").status_code == 303
        # Ann's page from before the crash: her hold was released and Ben has answered.
        ann_again = httpx.Client(base_url=restarted.url, cookies=ann.cookies)
        late = ann_again.post("/portal/tasks/held/submit", data={"csrf": CSRF.search(
            ann_again.get("/portal/tasks").text).group(1), "answerContent": ANSWER % "ann late"})
        assert late.status_code == 409 and "released" in late.text
        assert a2i.describe_human_loop(HumanLoopName="held")["HumanLoopStatus"] == "Completed"
        assert a2i.describe_human_loop(HumanLoopName="half")["HumanLoopStatus"] == "Completed"
        uri = a2i.describe_human_loop(HumanLoopName="half")["HumanLoopOutput"]["OutputS3Uri"]
        output = json.loads(LocalS3(restarted.settings.s3_root).read_bytes(uri))
        reasons = [answer["answerContent"]["reason1"] for answer in output["humanAnswers"]]
        assert reasons == ["ann before the crash", "ben after the restart"]
    finally:
        restarted.kill()

