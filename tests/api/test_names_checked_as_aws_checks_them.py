"""Every request's strings are checked against the pattern, length and enum constraints of botocore's model,
answered with AWS's ValidationException text, before any backend (or any path built from a name) sees them."""
import botocore.session
import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
SAGEMAKER = botocore.session.get_session().get_service_model("sagemaker")
# The pattern AWS quotes is the model's (real AWS prints it with a leading '^'; botocore's copy has none).
JOB_NAME_PATTERN = SAGEMAKER.shape_for("ProcessingJobName").metadata["pattern"]
ENDPOINT_NAME_PATTERN = SAGEMAKER.shape_for("EndpointName").metadata["pattern"]
VARIANT_NAME_PATTERN = SAGEMAKER.shape_for("VariantName").metadata["pattern"]


def _error(raised) -> tuple[str, str]:
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def _processing_job(name: str) -> dict:
    return {"ProcessingJobName": name, "RoleArn": ROLE, "AppSpecification": {"ImageUri": IMAGE},
            "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                      "VolumeSizeInGB": 20}},
            "StoppingCondition": {"MaxRuntimeInSeconds": 60}}


@pytest.mark.parametrize("name", ["..", "../s3", "ABSOLUTE"])
def test_a_processing_job_named_to_escape_its_folder_is_refused_and_the_home_is_intact(local_server, tmp_path, name):
    home = local_server.settings.home
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine")
    name = str(victim) if name == "ABSOLUTE" else name
    s3 = local_server.client("s3")
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="rows.csv", Body=b"1,2\n")
    before = sorted(p.relative_to(home) for p in home.rglob("*"))

    with pytest.raises(ClientError) as refused:
        local_server.client("sagemaker").create_processing_job(**_processing_job(name))

    code, message = _error(refused)
    assert code == "ValidationException"
    assert f"Value '{name}' at 'processingJobName' failed to satisfy constraint: Member must satisfy regular " \
           f"expression pattern: {JOB_NAME_PATTERN}" in message
    if name == "..":  # exactly AWS's text
        assert message == f"1 validation error detected: Value '..' at 'processingJobName' failed to satisfy " \
                          f"constraint: Member must satisfy regular expression pattern: {JOB_NAME_PATTERN}"
    assert sorted(p.relative_to(home) for p in home.rglob("*")) == before
    assert s3.get_object(Bucket="data", Key="rows.csv")["Body"].read() == b"1,2\n"
    assert (victim / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("name, constraint", [
    ("..", f"Member must satisfy regular expression pattern: {ENDPOINT_NAME_PATTERN}"),
    ("a/b", f"Member must satisfy regular expression pattern: {ENDPOINT_NAME_PATTERN}"),
    ("e" * 200, "Member must have length less than or equal to 63"),
    ("model-\N{GRINNING FACE}", f"Member must satisfy regular expression pattern: {ENDPOINT_NAME_PATTERN}"),
])
def test_endpoint_names_outside_aws_pattern_are_refused(local_server, name, constraint):
    with pytest.raises(ClientError) as refused:
        local_server.client("sagemaker").create_endpoint(EndpointName=name, EndpointConfigName="config")
    code, message = _error(refused)
    assert code == "ValidationException"
    assert f"Value '{name}' at 'endpointName' failed to satisfy constraint: {constraint}" in message


@pytest.mark.parametrize("name", ["..", "e" * 200, "model-\N{GRINNING FACE}"])
def test_invoke_endpoint_checks_the_name_in_its_path(local_server, name):
    runtime = local_server.client("sagemaker-runtime")
    with pytest.raises(ClientError) as refused:
        runtime.invoke_endpoint(EndpointName=name, Body=b"1,2", ContentType="text/csv")
    code, message = _error(refused)
    assert code == "ValidationError"  # sagemaker-runtime's code for a bad request
    assert f"Value '{name}' at 'endpointName' failed to satisfy constraint" in message


def test_a_variant_name_that_climbs_out_is_refused(local_server):
    with pytest.raises(ClientError) as refused:
        local_server.client("sagemaker").create_endpoint_config(EndpointConfigName="config", ProductionVariants=[
            {"VariantName": "../../../../x", "ModelName": "model", "InitialInstanceCount": 1,
             "InstanceType": "ml.m5.large"}])
    assert _error(refused) == ("ValidationException", "1 validation error detected: Value '../../../../x' at "
                               "'productionVariants.1.member.variantName' failed to satisfy constraint: Member must "
                               f"satisfy regular expression pattern: {VARIANT_NAME_PATTERN}")


def test_several_failures_are_counted_and_listed_as_aws_lists_them(local_server):
    with pytest.raises(ClientError) as refused:
        local_server.client("sagemaker").create_endpoint(EndpointName="", EndpointConfigName="a_b")
    code, message = _error(refused)
    assert code == "ValidationException"
    assert message == (f"2 validation errors detected: Value '' at 'endpointName' failed to satisfy constraint: "
                       f"Member must satisfy regular expression pattern: {ENDPOINT_NAME_PATTERN}; Value 'a_b' at "
                       "'endpointConfigName' failed to satisfy constraint: Member must satisfy regular expression "
                       f"pattern: {SAGEMAKER.shape_for('EndpointConfigName').metadata['pattern']}")


def test_a2i_runtime_names_and_arns_are_checked(local_server):
    a2i = local_server.client("sagemaker-a2i-runtime")
    with pytest.raises(ClientError) as bad_name:
        a2i.describe_human_loop(HumanLoopName="Loop_1")
    assert _error(bad_name)[0] == "ValidationException"
    assert "Value 'Loop_1' at 'humanLoopName' failed to satisfy constraint: Member must satisfy regular " \
           "expression pattern" in _error(bad_name)[1]
    with pytest.raises(ClientError) as bad_arn:
        a2i.start_human_loop(HumanLoopName="loop-1", FlowDefinitionArn="../../flow",
                             HumanLoopInput={"InputContent": "{}"})
    assert "at 'flowDefinitionArn' failed to satisfy constraint" in _error(bad_arn)[1]


def test_legitimate_names_still_work(local_server):
    sagemaker = local_server.client("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName="breast-cancer-xgboost",
                                         Tags=[{"Key": "project", "Value": "Brustkrebs: Überprüfung + Modell"}])
    assert sagemaker.describe_model_package_group(ModelPackageGroupName="breast-cancer-xgboost")[
        "ModelPackageGroupName"] == "breast-cancer-xgboost"
