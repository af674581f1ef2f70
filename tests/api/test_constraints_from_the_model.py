"""The constraint checker and the Java-to-Python pattern translation, on botocore's own models."""
import re

import botocore.session
import pytest

from sagelocal.validation.constraints import constraint_errors
from sagelocal.validation.java_regex import compile_java

SAGEMAKER = botocore.session.get_session().get_service_model("sagemaker")


def test_every_pattern_of_the_served_models_compiles_in_python():
    session = botocore.session.get_session()
    for service in ("sagemaker", "sagemaker-runtime", "sagemaker-a2i-runtime"):
        model = session.get_service_model(service)
        for name in model.shape_names:
            pattern = model.shape_for(name).metadata.get("pattern")
            if pattern is not None:
                assert isinstance(compile_java(pattern), re.Pattern), (service, name)


@pytest.mark.parametrize("java, accepted, refused", [
    (r"\A\S[\p{Print}]*\z", ["req-0001"], [" leading-space", "tab\there", "caf\u00e9"]),
    (r"\p{ASCII}*", ["trace=abc"], ["café"]),
    (r"[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*", ["Überprüfung 1 + 2 = 3!"], ["bell\x07"]),
    (r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*", ["emoji \N{GRINNING FACE}"], ["nul\x00"]),
    (r"([\p{L}\p{Z}\p{N}_.:\/=+\-@]*)${1,128}", ["sagemaker:project-name"], ["semi;colon"]),
])
def test_java_isms_mean_in_python_what_they_mean_in_java(java, accepted, refused):
    pattern = compile_java(java)
    assert all(pattern.fullmatch(value) for value in accepted)
    assert not any(pattern.fullmatch(value) for value in refused)


def test_sensitive_values_are_not_echoed_and_maps_are_described_per_side():
    model = botocore.session.get_session().get_service_model("sagemaker-runtime")
    shape = model.operation_model("InvokeEndpoint").input_shape
    assert constraint_errors(shape, {"EndpointName": "e", "CustomAttributes": "é" * 2000}) == [
        "Value at 'customAttributes' failed to satisfy constraint: Member must have length less than or equal to "
        "1024", "Value at 'customAttributes' failed to satisfy constraint: Member must satisfy regular expression "
        "pattern: \\p{ASCII}*", "Value at 'body' failed to satisfy constraint: Member must not be null"]
    job = SAGEMAKER.shape_for("ProcessingEnvironmentMap")
    assert constraint_errors(job, {"ok": "1", "bad key": "2"}, "environment") == [
        "Value '{ok=1, bad key=2}' at 'environment' failed to satisfy constraint: Map keys must satisfy "
        "constraint: [Member must satisfy regular expression pattern: [a-zA-Z_][a-zA-Z0-9_]*]"]
