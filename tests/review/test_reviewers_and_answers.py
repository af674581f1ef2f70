"""TaskCount distinct reviewers, time limits, concurrent submissions, and a restart mid-review."""
from __future__ import annotations

import re
import threading

import pytest

from sagelocal.cli import main as sagelocal_main
from sagelocal.review.store import later, now
from sagelocal.review.tasks import TaskUnavailable

from servers import start_local_server

from .conftest import PROJECT_TEMPLATE, Review, make_flow, row
from .test_portal_security import signed_in

ANSWER = '{"verdict1": {"agree": true, "correct": false}, "reason1": "%s"}'


def _two_reviewer_flow(review: Review) -> str:
    return make_flow(review.sagemaker, "double-review", PROJECT_TEMPLATE.read_text(), review.team, task_count=2)


def test_task_count_distinct_reviewers_then_completed_output(review):
    flow = _two_reviewer_flow(review)
    review.start("pair", {"rows": [row("p", 0.6)]}, flow_arn=flow)
    for name in ("ann", "ben", "cid"):
        review.add_reviewer(name)
    review.backend.tasks.accept("ann", "pair")
    assert review.backend.tasks.submit("ann", "pair", {"reason1": "ann"}) == "InProgress"
    # Ann cannot answer twice, and the task leaves her list.
    assert [t["loop"] for t in review.backend.tasks.available("ann")] == []
    review.backend.tasks.accept("ben", "pair")
    # Two reviewers hold or answered it: a third cannot take it.
    assert [t["loop"] for t in review.backend.tasks.available("cid")] == []
    assert review.backend.tasks.submit("ben", "pair", {"reason1": "ben"}) == "Completed"
    output = review.output("pair")
    assert [a["answerContent"]["reason1"] for a in output["humanAnswers"]] == ["ann", "ben"]
    ids = [a["workerId"] for a in output["humanAnswers"]]
    assert len(set(ids)) == 2 and all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids)
    answer = output["humanAnswers"][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", answer["acceptanceTime"])
    assert answer["timeSpentInSeconds"] >= 0
    assert answer["workerMetadata"]["identityData"]["identityProviderType"] == "Cognito"
    assert answer["workerMetadata"]["identityData"]["issuer"].endswith("/us-east-1_sagelocal")
    assert output["flowDefinitionArn"] == flow and output["humanLoopName"] == "pair"


def test_a_hold_past_its_time_limit_is_released(review):
    review.start("slow", {"rows": [row("s", 0.6)]})
    review.add_reviewer("ann")
    review.add_reviewer("ben")
    review.backend.tasks.accept("ann", "slow")
    assert review.backend.tasks.available("ben") == []
    # Let the hold's TaskTimeLimitInSeconds pass.
    with review.backend.db.transaction() as conn:
        conn.execute("UPDATE assignments SET deadline = ? WHERE loop = 'slow'", (later(now(), -1),))
    assert [t["loop"] for t in review.backend.tasks.available("ben")] == ["slow"]
    with pytest.raises(TaskUnavailable, match="time limit"):
        review.backend.tasks.submit("ann", "slow", {"reason1": "late"})
    review.backend.tasks.accept("ben", "slow")
    assert review.backend.tasks.submit("ben", "slow", {"reason1": "ben"}) == "Completed"


def test_two_reviewers_submitting_at_once_are_each_counted_once(review):
    flow = _two_reviewer_flow(review)
    review.start("race", {"rows": [row("r", 0.6)]}, flow_arn=flow)
    sessions = [signed_in(review.server.url, name, review.add_reviewer(name)) for name in ("ann", "ben")]
    for client, _ in sessions:
        assert client.get("/portal/tasks/race").status_code == 200
    barrier, statuses = threading.Barrier(4), []

    def submit(client, csrf, reason):
        barrier.wait()
        statuses.append(client.post("/portal/tasks/race/submit",
                                    data={"csrf": csrf, "answerContent": ANSWER % reason}).status_code)

    # Each reviewer submits twice at the same moment (a double click): four requests, two answers.
    threads = [threading.Thread(target=submit, args=(c, t, c_name)) for (c, t), c_name in zip(sessions, ("a", "b"))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [303, 303, 409, 409]
    output = review.output("race")
    assert sorted(a["answerContent"]["reason1"] for a in output["humanAnswers"]) == ["a", "b"]
    assert review.a2i.describe_human_loop(HumanLoopName="race")["HumanLoopStatus"] == "Completed"


def test_restart_mid_review_loses_no_loop_and_no_answer(tmp_path):
    home = tmp_path / "home"
    first = start_local_server(home)
    sagemaker = first.client("sagemaker")
    flow = make_flow(sagemaker, "double-review", PROJECT_TEMPLATE.read_text(), "reviewers", task_count=2)
    review = Review(first, sagemaker, first.client("sagemaker-a2i-runtime"), flow, "reviewers")
    review.start("kept", {"rows": [row("k", 0.6)]})
    review.start("answered", {"rows": [row("a", 0.4)]}, flow_arn=flow)
    ann, ann_csrf = signed_in(first.url, "ann", review.add_reviewer("ann"))
    ben_password = review.add_reviewer("ben")
    ann.get("/portal/tasks/answered")
    assert ann.post("/portal/tasks/answered/submit",
                    data={"csrf": ann_csrf, "answerContent": ANSWER % "before restart"}).status_code == 303
    first.stop()

    second = start_local_server(home)
    try:
        a2i = second.client("sagemaker-a2i-runtime")
        assert a2i.describe_human_loop(HumanLoopName="kept")["HumanLoopStatus"] == "InProgress"
        assert a2i.describe_human_loop(HumanLoopName="answered")["HumanLoopStatus"] == "InProgress"
        ben, ben_csrf = signed_in(second.url, "ben", ben_password)
        ben.get("/portal/tasks/answered")
        assert ben.post("/portal/tasks/answered/submit",
                        data={"csrf": ben_csrf, "answerContent": ANSWER % "after restart"}).status_code == 303
        restarted = Review(second, second.client("sagemaker"), a2i, flow, "reviewers")
        reasons = [a["answerContent"]["reason1"] for a in restarted.output("answered")["humanAnswers"]]
        assert reasons == ["before restart", "after restart"]
    finally:
        second.stop()


def test_cli_adds_a_reviewer_with_a_one_time_password(review, monkeypatch, capsys):
    monkeypatch.setenv("SAGELOCAL_HOME", str(review.server.settings.home))
    assert sagelocal_main(["review", "workers", "add", "dana", "--team", "reviewers"]) == 0
    out = capsys.readouterr().out
    password = re.search(r"one-time password \(shown only now, stored hashed\): (\S+)", out).group(1)
    signed_in(review.server.url, "dana", password)
    assert sagelocal_main(["review", "workers", "add", "erin", "--team", "no-such-team"]) == 2
    assert "no workteam named 'no-such-team'" in capsys.readouterr().err
    assert sagelocal_main(["review", "workers", "list"]) == 0
    assert "dana" in capsys.readouterr().out
