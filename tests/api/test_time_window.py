"""The one time window of every List*: at or after <prefix>After, before <prefix>Before, as AWS documents
CreationTimeAfter ("greater than or equal to") for endpoints, models, flow definitions and task UIs."""
from datetime import datetime, timezone

from sagelocal.paging import time_filtered, time_window

NOON = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)
ITEMS = [{"Name": "at-noon", "CreationTime": NOON}, {"Name": "at-one", "CreationTime": NOON.replace(hour=13)}]


def _names(request: dict, prefix: str = "CreationTime") -> list[str]:
    return [item["Name"] for item in time_filtered(ITEMS, request, "CreationTime", prefix)]


def test_an_items_own_time_is_inside_after_and_outside_before():
    assert _names({"CreationTimeAfter": NOON}) == ["at-noon", "at-one"]
    assert _names({"CreationTimeBefore": NOON.replace(hour=13)}) == ["at-noon"]


def test_bounds_as_botocore_may_send_them_epoch_seconds_or_iso_text():
    assert _names({"CreatedAfter": NOON.timestamp() + 1}, "Created") == ["at-one"]
    assert _names({"CreationTimeBefore": "2024-05-01T12:30:00Z"}) == ["at-noon"]
    assert time_window({"CreationTimeAfter": NOON.timestamp()}) == (NOON, None)
