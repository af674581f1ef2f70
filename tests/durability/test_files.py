"""What a real server writes is its owner's only, and a damaged database takes down only its own operations."""
import os
import stat

import httpx
import pytest
from botocore.exceptions import ClientError

from hosting.deploy import csv_row, deploy, feature_rows
from hosting.process import ServerProcess

from sagelocal.api.portal import SESSION_COOKIE


def _open_to_others(home):
    return sorted(str(p.relative_to(home)) for p in home.rglob("*") if stat.S_IMODE(p.stat().st_mode) & 0o077)


def test_home_state_capture_objects_are_the_owners_only_even_in_a_home_left_open(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o755)  # as an older version left it, with a world-readable database
    (home / "registry.db").touch()
    (home / "registry.db").chmod(0o644)
    server = ServerProcess(home).start()
    try:
        env = deploy(server)
        env["runtime"].invoke_endpoint(EndpointName="bc-endpoint", ContentType="text/csv",
                                       Body=csv_row(feature_rows(1)[0]))
        s3 = server.client("s3")
        s3.create_bucket(Bucket="data")
        s3.put_object(Bucket="data", Key="in/train.csv", Body=b"1,2\n")
        names = {p.name for p in home.rglob("*")}
        assert {"credentials", "registry.db", "registry.db-wal", "registry.db-shm", "hosting.db", "review.db",
                "train.csv", "model.tar.gz"} <= names
        assert any(name.endswith(".jsonl") for name in names)
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
        assert _open_to_others(home) == []
    finally:
        server.stop()


def _operations(server) -> dict:
    """A call per room, by the database it needs (None: no database)."""
    runtime, sagemaker, a2i, s3 = (server.client(s) for s in ("sagemaker-runtime", "sagemaker",
                                                              "sagemaker-a2i-runtime", "s3"))
    package = "arn:aws:sagemaker:us-east-1:000000000000:model-package/breast-cancer/1"
    flow = "arn:aws:sagemaker:us-east-1:000000000000:flow-definition/f"
    return {
        "invoke": ("hosting.db", lambda: runtime.invoke_endpoint(EndpointName="bc-endpoint", ContentType="text/csv",
                                                                 Body=csv_row(feature_rows(1)[0]))),
        "list endpoints": ("hosting.db", sagemaker.list_endpoints),
        "list schedules": ("hosting.db", sagemaker.list_monitoring_schedules),
        "list packages": ("registry.db", lambda: sagemaker.list_model_packages(ModelPackageGroupName="breast-cancer")),
        "approve": ("registry.db", lambda: sagemaker.update_model_package(ModelPackageArn=package,
                                                                         ModelApprovalStatus="Approved")),
        "list flows": ("review.db", sagemaker.list_flow_definitions),
        "list loops": ("review.db", lambda: a2i.list_human_loops(FlowDefinitionArn=flow)),
        "list jobs": ("jobs.db", sagemaker.list_processing_jobs),
        "list pipelines": ("pipeline_registry.db", sagemaker.list_pipelines),
        "list executions": ("pipeline_executions.db", lambda: sagemaker.list_pipeline_executions(PipelineName="p")),
        "list buckets": (None, s3.list_buckets),
    }


@pytest.mark.parametrize("damaged", ["review.db", "registry.db", "hosting.db", "jobs.db", "pipeline_registry.db",
                                     "pipeline_executions.db"])
def test_a_damaged_database_fails_only_its_own_operations_and_names_the_file(tmp_path, damaged):
    home = tmp_path / "home"
    server = ServerProcess(home).start()
    try:
        deploy(server)
    finally:
        server.stop()
    for suffix in ("", "-wal", "-shm"):
        (home / (damaged + suffix)).unlink(missing_ok=True)
    (home / damaged).write_bytes(b"not a SQLite database\n" * 200)

    server.start()  # the rest of the server starts and serves
    try:
        for operation, (database, call) in _operations(server).items():
            if database != damaged:
                assert call()["ResponseMetadata"]["HTTPStatusCode"] == 200, operation
                continue
            with pytest.raises(ClientError) as caught:
                call()
            error = caught.value.response["Error"]
            assert error["Code"] == "InternalFailure", operation
            assert error["Message"].startswith(f"{home.resolve() / damaged} is not a usable SQLite database")
        if damaged == "review.db":  # the portal too
            page = httpx.get(f"{server.url}/portal/tasks", cookies={SESSION_COOKIE: "a-session"})
            assert page.status_code == 500 and f"{home.resolve() / damaged} is not a usable" in page.json()["message"]
        assert os.path.getsize(home / damaged) == len(b"not a SQLite database\n" * 200)  # left for the owner
    finally:
        server.stop()
