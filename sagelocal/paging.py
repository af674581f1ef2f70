"""AWS-style pagination (MaxResults / NextToken) over an already sorted list."""
from __future__ import annotations

import base64

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
