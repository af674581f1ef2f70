"""CreationTimeAfter keeps what was created at that very time, as AWS documents it for ListEndpoints."""
from hosting.deploy import deploy


def test_an_endpoints_own_creation_time_is_inside_its_window(local_server):
    sm = deploy(local_server)["sm"]
    created = sm.describe_endpoint(EndpointName="bc-endpoint")["CreationTime"]
    listed = sm.list_endpoints(CreationTimeAfter=created)["Endpoints"]
    assert [e["EndpointName"] for e in listed] == ["bc-endpoint"]
    assert sm.list_endpoints(CreationTimeBefore=created)["Endpoints"] == []
