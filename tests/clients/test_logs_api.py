"""CloudWatch Logs with boto3's ``logs`` client: a job's real output in AWS's group and stream, read with
GetLogEvents' forward and backward tokens and searched with FilterLogEvents."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from clients.jobs import run_printing_job

GROUP = "/aws/sagemaker/ProcessingJobs"


def _stream(logs, job: str) -> str:
    (stream,) = logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix=f"{job}/")["logStreams"]
    return stream["logStreamName"]


def test_a_jobs_output_is_its_log_stream(local_server):
    job = run_printing_job(local_server, "printer", 3, stderr_line="warning: on stderr")
    logs = local_server.client("logs")
    groups = [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/aws/sagemaker/")["logGroups"]]
    assert groups == [GROUP]
    stream = _stream(logs, "printer")
    assert stream == f"printer/algo-1-{int(job['CreationTime'].timestamp())}"
    events = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, startFromHead=True)["events"]
    assert [e["message"] for e in events] == ["line 1", "line 2", "line 3", "warning: on stderr"]
    assert all(e["timestamp"] >= int(job["CreationTime"].timestamp() * 1000) for e in events)


def test_tokens_page_forward_and_backward(local_server):
    run_printing_job(local_server, "pager", 25)
    logs = local_server.client("logs")
    stream = _stream(logs, "pager")
    first = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, startFromHead=True, limit=10)
    assert [e["message"] for e in first["events"]] == [f"line {i}" for i in range(1, 11)]
    second = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, nextToken=first["nextForwardToken"],
                                 limit=10)
    assert [e["message"] for e in second["events"]] == [f"line {i}" for i in range(11, 21)]
    back = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, nextToken=second["nextBackwardToken"],
                               limit=4)
    assert [e["message"] for e in back["events"]] == [f"line {i}" for i in range(7, 11)]
    last = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, limit=3)  # startFromHead defaults to false
    assert [e["message"] for e in last["events"]] == ["line 23", "line 24", "line 25"]
    end = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, nextToken=last["nextForwardToken"])
    assert end["events"] == [] and end["nextForwardToken"] == last["nextForwardToken"]  # how readers know the end


def test_filter_log_events_matches_terms_and_pages(local_server):
    run_printing_job(local_server, "filtered", 30)
    logs = local_server.client("logs")
    found = logs.filter_log_events(logGroupName=GROUP, filterPattern='"line 2"')["events"]
    assert [e["message"] for e in found] == ["line 2"] + [f"line {i}" for i in range(20, 30)]
    assert {e["logStreamName"] for e in found} == {_stream(logs, "filtered")}
    pages = logs.get_paginator("filter_log_events").paginate(logGroupName=GROUP, filterPattern="?line -ignored",
                                                             PaginationConfig={"PageSize": 7})
    assert sum(len(page["events"]) for page in pages) == 30
    with pytest.raises(ClientError) as refused:
        logs.filter_log_events(logGroupName=GROUP, filterPattern="{ $.level = \"ERROR\" }")
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"


def test_unknown_group_and_stream_are_aws_errors(local_server):
    logs = local_server.client("logs")
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs")
    run_printing_job(local_server, "one", 1)
    with pytest.raises(logs.exceptions.ResourceNotFoundException, match="log stream does not exist"):
        logs.get_log_events(logGroupName=GROUP, logStreamName="nope/algo-1-1")


def test_an_endpoints_container_log(local_server):
    from hosting.deploy import deploy

    env = deploy(local_server)
    with pytest.raises(ClientError):
        env["runtime"].invoke_endpoint(EndpointName="bc-endpoint", ContentType="text/csv", Body="not,numbers")
    logs = local_server.client("logs")
    (stream,) = logs.describe_log_streams(logGroupName="/aws/sagemaker/Endpoints/bc-endpoint")["logStreams"]
    assert stream["logStreamName"].startswith("AllTraffic/i-")
    found = logs.filter_log_events(logGroupName="/aws/sagemaker/Endpoints/bc-endpoint",
                                   logStreamNamePrefix="AllTraffic/")["events"]
    assert "Loaded the XGBoost model" in found[0]["message"] and "ERROR 4" in found[-1]["message"]
