"""CreateProcessingJob and friends on the real server, with boto3: jobs run in the background to AWS's statuses."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
ROOT = "/opt/ml/processing"
RESOURCES = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}
# Container paths reach the script as arguments, which the runner maps to the job's folder.
SCRIPT = """import pathlib, sys
rows = pathlib.Path(sys.argv[1], "rows.csv").read_text().splitlines()
pathlib.Path(sys.argv[2], "count.txt").write_text(f"{len(rows)} rows")
"""


def s3_input(name: str, uri: str, local: str) -> dict:
    return {"InputName": name, "S3Input": {"S3Uri": uri, "LocalPath": local, "S3DataType": "S3Prefix",
                                           "S3InputMode": "File"}}


def output(uri: str) -> dict:
    return {"Outputs": [{"OutputName": "out", "S3Output": {"S3Uri": uri, "LocalPath": f"{ROOT}/output",
                                                           "S3UploadMode": "EndOfJob"}}]}


def wait(sagemaker, name: str, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while (job := sagemaker.describe_processing_job(ProcessingJobName=name))["ProcessingJobStatus"] in (
            "InProgress", "Stopping"):
        assert time.monotonic() < deadline, f"{name} still {job['ProcessingJobStatus']}"
        time.sleep(0.2)
    return job


def analyzer_job(sagemaker, name: str, output_uri: str, baseline: tuple[str, str] | None = None) -> None:
    """The DefaultModelMonitor-style baseline job; with ``baseline`` (statistics, constraints), a check against it."""
    inputs = [s3_input("baseline_dataset_input", "s3://data/dataset", f"{ROOT}/input/baseline_dataset_input")]
    env = {"dataset_format": '{"csv": {"header": false, "output_columns_position": "START"}}',
           "dataset_source": f"{ROOT}/input/baseline_dataset_input", "output_path": f"{ROOT}/output",
           "publish_cloudwatch_metrics": "Disabled"}
    for kind, uri in zip(("statistics", "constraints"), baseline or ()):
        inputs.append(s3_input(f"baseline_{kind}", uri, f"{ROOT}/baseline/{kind}"))
        env[f"baseline_{kind}"] = f"{ROOT}/baseline/{kind}/{kind}.json"
    sagemaker.create_processing_job(ProcessingJobName=name, RoleArn=ROLE, AppSpecification={"ImageUri": ANALYZER},
                                    ProcessingResources=RESOURCES, Environment=env, ProcessingInputs=inputs,
                                    ProcessingOutputConfig=output(output_uri),
                                    StoppingCondition={"MaxRuntimeInSeconds": 300})


@pytest.fixture
def server(local_server, fixtures_dir):
    """The server with the fixture's baseline dataset at s3://data/dataset and its bad constraints."""
    s3 = local_server.client("s3")
    s3.create_bucket(Bucket="data")
    data = fixtures_dir / "model-monitor-quality-check-step" / "data_quality"
    s3.put_object(Bucket="data", Key="dataset/baseline_dataset.csv", Body=(data / "baseline_dataset.csv").read_bytes())
    s3.put_object(Bucket="data", Key="bad/constraints.json", Body=(data / "bad_cases" / "constraints.json").read_bytes())
    s3.put_object(Bucket="data", Key="bad/statistics.json", Body=(data / "statistics.json").read_bytes())
    return local_server


def test_a_scikit_learn_script_job_runs_to_completed(server):
    s3, sagemaker = server.client("s3"), server.client("sagemaker")
    s3.put_object(Bucket="data", Key="code/count.py", Body=SCRIPT.encode())
    s3.put_object(Bucket="data", Key="rows/rows.csv", Body=b"1,2\n3,4\n5,6\n")
    arn = sagemaker.create_processing_job(
        ProcessingJobName="count-rows", RoleArn=ROLE, ProcessingResources=RESOURCES,
        AppSpecification={"ImageUri": SKLEARN, "ContainerEntrypoint": ["python3", f"{ROOT}/input/code/count.py"],
                          "ContainerArguments": [f"{ROOT}/input/data", f"{ROOT}/output"]},
        ProcessingInputs=[s3_input("code", "s3://data/code/count.py", f"{ROOT}/input/code"),
                          s3_input("data", "s3://data/rows", f"{ROOT}/input/data")],
        ProcessingOutputConfig=output("s3://data/counted"))["ProcessingJobArn"]
    assert arn == "arn:aws:sagemaker:us-east-1:000000000000:processing-job/count-rows"
    job = wait(sagemaker, "count-rows")
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    assert job["ProcessingJobArn"] == arn and job["AppSpecification"]["ContainerArguments"][0] == f"{ROOT}/input/data"
    assert job["CreationTime"] <= job["ProcessingStartTime"] <= job["ProcessingEndTime"] <= job["LastModifiedTime"]
    assert "ProcessSeconds" not in job and "ExitCode" not in job
    assert s3.get_object(Bucket="data", Key="counted/count.txt")["Body"].read() == b"3 rows"


def test_the_analyzer_baseline_job_writes_statistics_and_constraints(server):
    sagemaker, s3 = server.client("sagemaker"), server.client("s3")
    analyzer_job(sagemaker, "baseline", "s3://data/baseline")
    job = wait(sagemaker, "baseline")
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="data", Prefix="baseline/")["Contents"]}
    assert {"baseline/statistics.json", "baseline/constraints.json"} <= keys
    statistics = json.loads(s3.get_object(Bucket="data", Key="baseline/statistics.json")["Body"].read())
    assert statistics["dataset"]["item_count"] == 100


def test_violations_complete_the_job_with_the_analyzers_exit_message(server):
    sagemaker = server.client("sagemaker")
    analyzer_job(sagemaker, "check", "s3://data/check", ("s3://data/bad/statistics.json", "s3://data/bad/constraints.json"))
    job = wait(sagemaker, "check")
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    assert job["ExitMessage"].startswith("CompletedWithViolations")
    assert "FailureReason" not in job


def test_an_image_that_cannot_run_offline_fails_with_the_reason(server):
    sagemaker = server.client("sagemaker")
    sagemaker.create_processing_job(ProcessingJobName="spark", RoleArn=ROLE, ProcessingResources=RESOURCES,
                                    AppSpecification={"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/spark:3"})
    job = wait(sagemaker, "spark")
    assert job["ProcessingJobStatus"] == "Failed"
    assert "cannot run offline" in job["FailureReason"] and "sagemaker-scikit-learn" in job["FailureReason"]


def test_a_name_already_used_is_refused_as_on_aws(server):
    sagemaker = server.client("sagemaker")
    request = {"ProcessingJobName": "twice", "RoleArn": ROLE, "ProcessingResources": RESOURCES,
               "AppSpecification": {"ImageUri": "example/unknown"}}
    sagemaker.create_processing_job(**request)
    with pytest.raises(ClientError) as refused:
        sagemaker.create_processing_job(**request)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert refused.value.response["Error"]["Message"] == (
        "Job name must be unique within an AWS account and region, and a job with this name already exists "
        "(arn:aws:sagemaker:us-east-1:000000000000:processing-job/twice)")
    with pytest.raises(ClientError, match="Could not find requested job with name nope"):
        sagemaker.describe_processing_job(ProcessingJobName="nope")


def test_list_filters_sorts_and_pages(server):
    sagemaker = server.client("sagemaker")
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    for name in ("job-a", "job-b", "other-c"):
        sagemaker.create_processing_job(ProcessingJobName=name, RoleArn=ROLE, ProcessingResources=RESOURCES,
                                        AppSpecification={"ImageUri": "example/unknown"})
        time.sleep(0.01)
    for name in ("job-a", "job-b", "other-c"):
        wait(sagemaker, name)
    listed = sagemaker.list_processing_jobs()["ProcessingJobSummaries"]
    assert [j["ProcessingJobName"] for j in listed] == ["other-c", "job-b", "job-a"]
    assert set(listed[0]) >= {"ProcessingJobArn", "CreationTime", "ProcessingJobStatus", "FailureReason"}
    named = sagemaker.list_processing_jobs(NameContains="job-", SortBy="Name", SortOrder="Ascending")
    assert [j["ProcessingJobName"] for j in named["ProcessingJobSummaries"]] == ["job-a", "job-b"]
    assert sagemaker.list_processing_jobs(StatusEquals="Completed")["ProcessingJobSummaries"] == []
    assert len(sagemaker.list_processing_jobs(StatusEquals="Failed", CreationTimeAfter=before)
               ["ProcessingJobSummaries"]) == 3
    assert sagemaker.list_processing_jobs(CreationTimeBefore=before)["ProcessingJobSummaries"] == []
    first = sagemaker.list_processing_jobs(MaxResults=2, SortBy="Name", SortOrder="Ascending")
    rest = sagemaker.list_processing_jobs(MaxResults=2, SortBy="Name", SortOrder="Ascending",
                                          NextToken=first["NextToken"])
    assert [j["ProcessingJobName"] for j in first["ProcessingJobSummaries"] + rest["ProcessingJobSummaries"]] == [
        "job-a", "job-b", "other-c"]
    assert "NextToken" not in rest


def test_stop_kills_a_running_job(server):
    s3, sagemaker = server.client("s3"), server.client("sagemaker")
    s3.put_object(Bucket="data", Key="code/sleep.py", Body=b"import time\ntime.sleep(60)\n")
    sagemaker.create_processing_job(
        ProcessingJobName="sleeper", RoleArn=ROLE, ProcessingResources=RESOURCES,
        AppSpecification={"ImageUri": SKLEARN, "ContainerEntrypoint": ["python3", f"{ROOT}/input/code/sleep.py"]},
        ProcessingInputs=[s3_input("code", "s3://data/code/sleep.py", f"{ROOT}/input/code")])
    sagemaker.stop_processing_job(ProcessingJobName="sleeper")
    assert wait(sagemaker, "sleeper", seconds=10)["ProcessingJobStatus"] == "Stopped"
    with pytest.raises(ClientError, match="is Stopped"):
        sagemaker.stop_processing_job(ProcessingJobName="sleeper")
