"""The sagemaker JSON dispatcher serves each operation from exactly one backend."""
import pytest

from sagelocal.api.sagemaker_json import DuplicateOperation, SageMakerJsonApi
from sagelocal.config import Settings
from sagelocal.hosting import HostingBackend
from sagelocal.registry import RegistryBackend


def test_two_backends_claiming_one_operation_are_refused(tmp_path):
    settings = Settings(home=tmp_path)
    registry = RegistryBackend(settings)
    with pytest.raises(DuplicateOperation) as raised:
        SageMakerJsonApi([registry, HostingBackend(settings, registry), RegistryBackend(settings)])
    # The first operation botocore's model lists that both registries implement, with both claimants named.
    assert "RegistryBackend, RegistryBackend" in str(raised.value)
    assert "ModelPackage" in str(raised.value)


def test_each_operation_of_the_server_has_one_backend(tmp_path):
    settings = Settings(home=tmp_path)
    registry = RegistryBackend(settings)
    api = SageMakerJsonApi([registry, HostingBackend(settings, registry)])
    assert api.operations["CreateEndpoint"].__self__.__class__ is HostingBackend
    assert api.operations["CreateModelPackage"].__self__ is registry
