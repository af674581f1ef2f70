"""Signature Version 4 checks: the local server answers only requests signed with its access key.

The signature is recomputed with botocore's own signer from the headers the client says it signed, so
any AWS SDK that signs correctly is accepted and anything else is refused as AWS refuses it.
"""
from __future__ import annotations

import hmac
import re
from datetime import datetime, timedelta, timezone

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from sagelocal.api.credentials import AccessKey
from sagelocal.errors import ServiceError

_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,"
    r"\s*SignedHeaders=(?P<signed>[^,]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)
_MAX_SKEW = timedelta(minutes=15)


class AuthError(ServiceError):
    status = 403


def _refuse(code: str, message: str) -> AuthError:
    return AuthError(message, code=code)


def verify_sigv4(method: str, url: str, headers: dict[str, str], body: bytes, key: AccessKey) -> str:
    """Check a request's SigV4 signature; return the signing service name or raise :class:`AuthError`.

    ``headers`` must have lower-case names; ``url`` is the URL as the client sent it (raw path and query).
    """
    match = _AUTHORIZATION.match(headers.get("authorization", ""))
    if not match:
        raise _refuse("MissingAuthenticationTokenException", "Missing Authentication Token")
    if not hmac.compare_digest(match["key"], key.access_key_id):
        raise _refuse("UnrecognizedClientException", "The security token included in the request is invalid.")
    amz_date = headers.get("x-amz-date", "")
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise _refuse("IncompleteSignatureException", "X-Amz-Date header is missing or malformed") from None
    if abs(datetime.now(timezone.utc) - signed_at) > _MAX_SKEW:
        raise _refuse("InvalidSignatureException", "Signature expired: the request time is too far from now")
    signed_names = match["signed"].split(";")
    missing = [name for name in signed_names if name not in headers]
    if missing:
        raise _refuse("IncompleteSignatureException", f"Signed headers are missing: {', '.join(missing)}")
    request = AWSRequest(method=method, url=url, data=body, headers={n: headers[n] for n in signed_names})
    request.context["timestamp"] = amz_date
    # S3 signs its path as sent (no normalisation) and its payload hash from X-Amz-Content-SHA256.
    signer_class = S3SigV4Auth if match["service"] == "s3" else SigV4Auth
    signer = signer_class(Credentials(key.access_key_id, key.secret_access_key), match["service"], match["region"])
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, match["signature"]):
        raise _refuse(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided.",
        )
    return match["service"]
