"""sagemaker-a2i-runtime through boto3: validation, conflicts, listing, the status lifecycle."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from botocore.exceptions import ClientError

from sagelocal.review.store import later, now

from .conftest import PROJECT_TEMPLATE, make_flow, row


def _error(info: pytest.ExceptionInfo) -> tuple[str, int]:
    return info.value.response["Error"]["Code"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_start_and_describe_has_the_output_uri_at_once(review):
    arn = review.start("event-1", {"rows": [row("1", 0.5)]})
    assert arn == "arn:aws:sagemaker:us-east-1:000000000000:human-loop/event-1"
    described = review.a2i.describe_human_loop(HumanLoopName="event-1")
    assert described["HumanLoopStatus"] == "InProgress"
    created = described["CreationTime"].astimezone(timezone.utc)
    assert described["HumanLoopOutput"]["OutputS3Uri"] == (
        f"s3://review-bucket/a2i-results/breast-cancer-review/{created:%Y/%m/%d/%H/%M/%S}/event-1/output.json")


def test_same_name_and_same_input_is_idempotent_other_input_conflicts(review):
    """Our choice: a retry with identical input returns the same loop and starts nothing; A2I's documented
    ConflictException is for the same name with different input."""
    first = review.start("event-2", {"rows": [row("2", 0.4)]})
    assert review.start("event-2", {"rows": [row("2", 0.4)]}) == first
    with pytest.raises(ClientError) as conflict:
        review.start("event-2", {"rows": [row("2", 0.41)]})
    assert _error(conflict) == ("ConflictException", 409)
    listed = review.a2i.list_human_loops(FlowDefinitionArn=review.flow_arn)["HumanLoopSummaries"]
    assert [s["HumanLoopName"] for s in listed] == ["event-2"]


@pytest.mark.parametrize("name, content, message", [
    ("Bad_Name", "{}", "regular expression pattern"),
    ("-leading", "{}", "regular expression pattern"),
    ("x" * 64, "{}", "length"),
    ("good-name", "not json", "not valid JSON"),
    ("good-name", "[1, 2]", "JSON object"),
])
def test_start_validation(review, name, content, message):
    with pytest.raises(ClientError) as bad:
        review.a2i.start_human_loop(HumanLoopName=name, FlowDefinitionArn=review.flow_arn,
                                    HumanLoopInput={"InputContent": content})
    assert _error(bad) == ("ValidationException", 400)
    assert message in bad.value.response["Error"]["Message"]


def test_unknown_flow_definition_is_not_found(review):
    with pytest.raises(ClientError) as missing:
        review.start("event-3", {}, flow_arn=review.flow_arn + "-nope")
    assert _error(missing) == ("ResourceNotFoundException", 404)


def test_stop_then_delete_then_not_found(review):
    review.start("event-4", {"rows": []})
    with pytest.raises(ClientError) as busy:
        review.a2i.delete_human_loop(HumanLoopName="event-4")
    assert _error(busy)[0] == "ValidationException"
    review.a2i.stop_human_loop(HumanLoopName="event-4")
    assert review.a2i.describe_human_loop(HumanLoopName="event-4")["HumanLoopStatus"] == "Stopped"
    review.a2i.delete_human_loop(HumanLoopName="event-4")
    for call in (lambda: review.a2i.describe_human_loop(HumanLoopName="event-4"),
                 lambda: review.a2i.delete_human_loop(HumanLoopName="event-4"),
                 lambda: review.a2i.stop_human_loop(HumanLoopName="event-4")):
        with pytest.raises(ClientError) as gone:
            call()
        assert _error(gone) == ("ResourceNotFoundException", 404)
    assert review.a2i.list_human_loops(FlowDefinitionArn=review.flow_arn)["HumanLoopSummaries"] == []


def test_stop_while_a_reviewer_holds_the_task_is_stopping_then_stopped(review):
    review.start("event-5", {"rows": [row("5", 0.3)]})
    review.add_reviewer("sam")
    review.backend.tasks.accept("sam", "event-5")
    review.a2i.stop_human_loop(HumanLoopName="event-5")
    assert review.a2i.describe_human_loop(HumanLoopName="event-5")["HumanLoopStatus"] == "Stopping"
    # The holder still finishes: the answer is written and the loop ends Stopped.
    assert review.backend.tasks.submit("sam", "event-5", {"verdict1": {"agree": True, "correct": False}}) == "Stopped"
    assert review.output("event-5")["humanAnswers"][0]["answerContent"]["verdict1"]["agree"] is True
    review.a2i.stop_human_loop(HumanLoopName="event-5")  # stopping a stopped loop changes nothing
    assert review.a2i.describe_human_loop(HumanLoopName="event-5")["HumanLoopStatus"] == "Stopped"


def test_a_completed_loop_cannot_be_stopped(review):
    review.start("event-6", {"rows": [row("6", 0.3)]})
    review.add_reviewer("sam")
    review.backend.tasks.accept("sam", "event-6")
    assert review.backend.tasks.submit("sam", "event-6", {"reason1": "ok"}) == "Completed"
    with pytest.raises(ClientError) as done:
        review.a2i.stop_human_loop(HumanLoopName="event-6")
    assert _error(done)[0] == "ValidationException" and "Completed" in str(done.value)


def test_availability_lifetime_expires_the_loop(local_server):
    sm, a2i = local_server.client("sagemaker"), local_server.client("sagemaker-a2i-runtime")
    arn = make_flow(sm, "short-lived", PROJECT_TEMPLATE.read_text(), "reviewers",
                    TaskAvailabilityLifetimeInSeconds=1)
    a2i.start_human_loop(HumanLoopName="brief", FlowDefinitionArn=arn, HumanLoopInput={"InputContent": "{}"})
    time.sleep(1.2)
    described = a2i.describe_human_loop(HumanLoopName="brief")
    assert (described["HumanLoopStatus"], described["FailureCode"]) == ("Failed", "Expired")
    summary = a2i.list_human_loops(FlowDefinitionArn=arn)["HumanLoopSummaries"][0]
    assert summary["HumanLoopStatus"] == "Failed" and "TaskAvailabilityLifetimeInSeconds" in summary["FailureReason"]


def test_list_sorts_filters_and_pages(review):
    names = [f"loop-{i:02d}" for i in range(7)]
    for name in names:
        review.start(name, {"n": name})
        time.sleep(0.002)
    pages, token = [], None
    while True:
        kwargs = {"NextToken": token} if token else {}
        page = review.a2i.list_human_loops(FlowDefinitionArn=review.flow_arn, SortOrder="Ascending", MaxResults=3,
                                           **kwargs)
        pages.append([s["HumanLoopName"] for s in page["HumanLoopSummaries"]])
        token = page.get("NextToken")
        if not token:
            break
    assert pages == [names[0:3], names[3:6], names[6:7]]
    newest_first = review.a2i.list_human_loops(FlowDefinitionArn=review.flow_arn)["HumanLoopSummaries"]
    assert [s["HumanLoopName"] for s in newest_first] == names[::-1]
    third = review.a2i.describe_human_loop(HumanLoopName="loop-03")["CreationTime"]
    after = review.a2i.list_human_loops(FlowDefinitionArn=review.flow_arn, CreationTimeAfter=third,
                                        SortOrder="Ascending")["HumanLoopSummaries"]
    assert [s["HumanLoopName"] for s in after] == names[3:]
    before = review.a2i.list_human_loops(FlowDefinitionArn=review.flow_arn, CreationTimeBefore=third,
                                         SortOrder="Ascending")["HumanLoopSummaries"]
    assert [s["HumanLoopName"] for s in before] == names[:3]
    future = datetime.now(timezone.utc) + timedelta(days=1)
    assert review.a2i.list_human_loops(FlowDefinitionArn=review.flow_arn,
                                       CreationTimeAfter=future)["HumanLoopSummaries"] == []
    with pytest.raises(ClientError) as bad:
        review.a2i.list_human_loops(FlowDefinitionArn=review.flow_arn, NextToken="!!not-a-token")
    assert _error(bad)[0] == "ValidationException"


def test_runtime_refuses_unsigned_requests(review):
    response = httpx.post(f"{review.server.url}/human-loops", json={
        "HumanLoopName": "sneaky", "FlowDefinitionArn": review.flow_arn, "HumanLoopInput": {"InputContent": "{}"}})
    assert response.status_code == 403
    assert json.loads(response.text)["__type"] in ("MissingAuthenticationTokenException", "IncompleteSignature",
                                                   "InvalidSignatureException", "MissingAuthenticationToken")
    with pytest.raises(ClientError):
        review.a2i.describe_human_loop(HumanLoopName="sneaky")


def test_a_stopping_loop_whose_holder_runs_out_of_time_is_stopped(review):
    review.start("event-7", {"rows": [row("7", 0.3)]})
    review.add_reviewer("sam")
    review.backend.tasks.accept("sam", "event-7")
    review.a2i.stop_human_loop(HumanLoopName="event-7")
    with review.backend.db.transaction() as conn:
        conn.execute("UPDATE assignments SET deadline = ? WHERE loop = 'event-7'", (later(now(), -1),))
    assert review.a2i.describe_human_loop(HumanLoopName="event-7")["HumanLoopStatus"] == "Stopped"
    uri = review.a2i.describe_human_loop(HumanLoopName="event-7")["HumanLoopOutput"]["OutputS3Uri"]
    assert not review.backend.loops.s3.exists(uri)  # nobody answered: nothing to write


def test_list_refuses_an_unknown_sort_order(review):
    with pytest.raises(ClientError) as bad:
        review.a2i.list_human_loops(FlowDefinitionArn=review.flow_arn, SortOrder="Sideways")
    assert _error(bad) == ("ValidationException", 400)
