"""What every signed JSON route does before its operation runs: authenticate, then read a bounded body.

The order is the point. A request is refused from its headers alone (no key, wrong key, stale date, wrong
scope) before one byte of its body is read, so an unauthenticated 400 MB POST costs nothing. Only then is
the body read, never beyond the route's limit (AWS's: 6 MB for InvokeEndpoint), and the signature checked
over it: SigV4 signs the body's SHA-256 for these services.
"""
from __future__ import annotations

import hashlib
import hmac
import json

from starlette.requests import Request
from starlette.responses import Response

from sagelocal.api.auth import AuthError, check_headers
from sagelocal.api.protocol import service_model
from sagelocal.errors import BodyTooLarge

# The sagemaker and a2i JSON APIs: the largest strings their models allow (a pipeline definition, 1 MB;
# a loop's input, 3 MB) fit with room for JSON escaping.
JSON_API_MAX_BODY = 8 * 1024 * 1024


def signing_name(service: str) -> str:
    """The service name a client puts in its credential scope (sagemaker-runtime signs as 'sagemaker')."""
    return service_model(service).signing_name


def lower_headers(request: Request) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in request.scope["headers"]}


def signed_url(request: Request) -> str:
    """The URL as the client sent and signed it: the scheme it reached the server by (https behind TLS), raw path
    and query, not Starlette's decoded ones."""
    scope = request.scope
    raw_path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    url = f"{scope.get('scheme', 'http')}://{request.headers.get('host', '')}{raw_path.decode('latin-1')}"
    return url + (f"?{query.decode('latin-1')}" if query else "")


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing (:class:`BodyTooLarge`) as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def signed_body(request: Request, service: str, limit: int, headers: dict[str, str] | None = None) -> bytes:
    """Authenticate ``request`` for ``service`` (a botocore service name), read its body, verify the signature.

    Raises :class:`~sagelocal.api.auth.AuthError` or :class:`BodyTooLarge`; ``headers`` (lower-case
    names) may be passed when the caller already built them.
    """
    return await authenticated_body(request, signing_name(service), limit, headers)


async def authenticated_body(request: Request, signing: str, limit: int,
                             headers: dict[str, str] | None = None) -> bytes:
    """:func:`signed_body` for a route known by the signing name in its credential scope (``logs``,
    ``monitoring``, ``sts``...)."""
    state = request.app.state
    headers = lower_headers(request) if headers is None else headers
    claim = check_headers(headers, state.access_key, state.settings.region, signing)
    body = await read_body(request, limit)
    payload_hash = hashlib.sha256(body).hexdigest()
    declared = headers.get("x-amz-content-sha256")
    if declared is not None and not hmac.compare_digest(declared.encode(), payload_hash.encode()):
        # botocore signs this header's value in place of the body's hash: it must be the body's hash.
        raise AuthError("The provided 'x-amz-content-sha256' header does not match what was computed.",
                        code="InvalidSignatureException", s3_code="XAmzContentSHA256Mismatch", s3_status=400)
    claim.verify(request.method, signed_url(request), headers, state.access_key, payload_hash)
    return body


def too_large(error: BodyTooLarge, content_type: str = "application/json") -> Response:
    """AWS answers an oversized body with 413 and no error type (botocore reports the code as "413").

    The rest of the body is never read: :class:`~sagelocal.api.guard.RequestGuard` closes the connection.
    """
    return Response(json.dumps({"message": str(error)}), status_code=413, media_type=content_type)
