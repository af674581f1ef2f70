"""STS on the server, and AWS's error shape for services and operations sagelocal does not serve, in the
protocol each client speaks (query XML, JSON)."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def test_sts_get_caller_identity(local_server):
    identity = local_server.client("sts").get_caller_identity()
    assert identity["Account"] == "000000000000"
    assert identity["Arn"] == "arn:aws:iam::000000000000:user/sagelocal"


@pytest.mark.parametrize("service, call, code", [
    ("sts", lambda c: c.assume_role(RoleArn="arn:aws:iam::000000000000:role/x", RoleSessionName="session"), "InvalidAction"),
    ("iam", lambda c: c.list_roles(), "InvalidAction"),
    ("events", lambda c: c.list_rules(), "UnknownOperationException"),
    ("logs", lambda c: c.create_log_group(logGroupName="g"), "UnknownOperationException"),
])
def test_unsupported_operations_are_aws_errors(local_server, service, call, code):
    with pytest.raises(ClientError) as refused:
        call(local_server.client(service))
    assert refused.value.response["Error"]["Code"] == code
    assert "sagelocal" in refused.value.response["Error"]["Message"] or code == "InvalidAction"
