"""AWS-style List* helpers: SortBy/SortOrder, pagination (MaxResults / NextToken) over a sorted list, and
time-bound filters."""
from __future__ import annotations

import base64
from datetime import datetime

from sagelocal.clock import as_utc_datetime
from sagelocal.errors import ValidationError


def paginate(items: list, request: dict, default_max: int = 100, limit: int = 100) -> tuple[list, str | None]:
    """Return ``(page, next_token)``; the token is an opaque offset, as stable as the sort order."""
    max_results = int(request.get("MaxResults") or default_max)
    if not 1 <= max_results <= limit:
        raise ValidationError(f"MaxResults must be between 1 and {limit}, got {max_results}")
    start = 0
    if request.get("NextToken"):
        try:
            start = int(base64.urlsafe_b64decode(request["NextToken"].encode()).decode())
        except (ValueError, UnicodeDecodeError):
            raise ValidationError("Invalid NextToken") from None
    page = items[start : start + max_results]
    end = start + max_results
    token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return page, token


def with_token(response: dict, token: str | None) -> dict:
    if token:
        response["NextToken"] = token
    return response


def sorted_by_request(items: list[dict], request: dict, fields: dict[str, str], default_by: str,
                      default_order: str = "Descending") -> list[dict]:
    """``items`` ordered by the request's SortBy (a key of ``fields``, which names the item field) and SortOrder."""
    by, order = request.get("SortBy", default_by), request.get("SortOrder", default_order)
    if by not in fields:
        raise ValidationError(f"Invalid SortBy {by!r}; expected one of {', '.join(fields)}")
    if order not in ("Ascending", "Descending"):
        raise ValidationError(f"Invalid SortOrder {order!r}; expected Ascending or Descending")
    return sorted(items, key=lambda item: item[fields[by]], reverse=order == "Descending")


def time_window(request: dict, prefix: str = "CreationTime") -> tuple[datetime | None, datetime | None]:
    """The request's ``<prefix>After`` and ``<prefix>Before`` as UTC datetimes (None where not given)."""
    return tuple(as_utc_datetime(request[prefix + suffix]) if request.get(prefix + suffix) else None
                 for suffix in ("After", "Before"))


def time_filtered(items: list[dict], request: dict, field: str, prefix: str = "CreationTime") -> list[dict]:
    """The items whose ``field`` is at or after ``<prefix>After`` and before ``<prefix>Before``.

    At or after, as AWS documents CreationTimeAfter for endpoints, models, flow definitions and task UIs: a
    time read back from a Describe and sent as the bound keeps that item.
    """
    after, before = time_window(request, prefix)
    return [item for item in items
            if (after is None or item[field] >= after) and (before is None or item[field] < before)]
