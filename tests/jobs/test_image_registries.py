"""SageMaker's images are accepted only from SageMaker's own registry account for their region.

The runtime's table (sagelocal/jobs/image_registries.py) is a copy of the SageMaker SDK's image tables; these
tests hold it equal to the installed SDK, so a new region or account cannot make it stale silently.
"""
from __future__ import annotations

import pytest
from sagemaker.core.image_uris import config_for_framework, retrieve

from sagelocal.jobs.container import JobFailed, check_image_uri, image_refusal, image_repository
from sagelocal.jobs.image_registries import REGISTRY_ACCOUNTS

RUNNABLE = tuple(REGISTRY_ACCOUNTS)
# The SDK's image tables the runtime's table was copied from.
SDK_FRAMEWORKS = ("xgboost", "sklearn", "model-monitor", "clarify")
# One version per image, as the project and its tests name them.
SDK_IMAGES = [("xgboost", "1.7-1"), ("xgboost", "1"), ("sklearn", "1.2-1"), ("model-monitor", None), ("clarify", None)]


def _sdk_registries(config) -> list[tuple[str, dict]]:
    """Every (repository, {region: account}) pair in one of the SDK's image tables, however deeply nested."""
    found = []
    if isinstance(config, dict):
        if "registries" in config:
            found.append((config["repository"], config["registries"]))
        for key, value in config.items():
            if key != "registries":
                found += _sdk_registries(value)
    return found


def test_the_table_equals_the_installed_sdks_image_tables():
    sdk = [pair for framework in SDK_FRAMEWORKS for pair in _sdk_registries(config_for_framework(framework))]
    assert {repository for repository, _ in sdk} == set(REGISTRY_ACCOUNTS)
    for repository, registries in sdk:
        assert registries == REGISTRY_ACCOUNTS[repository], repository


@pytest.mark.parametrize("framework, version", SDK_IMAGES)
def test_every_uri_the_sdk_gives_in_an_amazonaws_region_is_accepted(framework, version):
    accepted = 0
    for region in REGISTRY_ACCOUNTS[image_repository(retrieve(framework, region="us-east-1", version=version))]:
        uri = retrieve(framework, region=region, version=version)
        if ".amazonaws.com" in uri:  # the isolated partitions (c2s.ic.gov, ...) are not reachable offline anyway
            assert image_refusal(uri, RUNNABLE, "any") is None, uri
            accepted += 1
    assert accepted >= 26  # Clarify's processing image is in the fewest regions: 26 reachable ones


@pytest.mark.parametrize("image, reason", [
    # the right repository in a stranger's account
    ("123456789012.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
     "SageMaker's sagemaker-scikit-learn images in us-east-1 are in account 683313688378, not 123456789012"),
    # SageMaker's account, but eu-west-1's registry named in us-east-1
    ("141502667606.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
     "SageMaker's sagemaker-xgboost images in us-east-1 are in account 683313688378, not 141502667606"),
    # the frameworks' account holds no analyzer
    ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer",
     "SageMaker's sagemaker-model-monitor-analyzer images in us-east-1 are in account 156813124566, "
     "not 683313688378"),
    ("450853457545.dkr.ecr.cn-north-1.amazonaws.com/sagemaker-xgboost:1.7-1",
     "the ECR registries of region cn-north-1 are under amazonaws.com.cn"),
    ("683313688378.dkr.ecr.us-east-7.amazonaws.com/sagemaker-xgboost:1.7-1",
     "SageMaker publishes no sagemaker-xgboost image in region us-east-7"),
])
def test_an_image_outside_sagemakers_registry_is_refused_naming_the_expected_one(image, reason):
    with pytest.raises(JobFailed) as refused:
        check_image_uri(image, RUNNABLE, "processing")
    assert refused.value.reason == f"image {image} cannot run offline: {reason}"
