"""Signature Version 4 checks: the local server answers only requests signed with its access key.

Checked in two steps, so that nobody without the key can make the server read a body:

1. :func:`check_headers` — everything the headers alone prove: the Authorization syntax, the access key,
   the date and its skew, the credential scope (its date, the server's region, the service the route
   serves) and that every signed header is present.
2. :meth:`SignedClaim.verify` — the signature itself, recomputed with botocore's own signer over the
   payload hash: for S3 the signed ``X-Amz-Content-SHA256`` header (the body is compared with it as it
   streams in), for the other services the SHA-256 of the body that was read.

Any AWS SDK that signs correctly is accepted and anything else is refused with AWS's error codes.
"""
from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from sagelocal.credentials import AccessKey
from sagelocal.errors import ServiceError

_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,"
    r"\s*SignedHeaders=(?P<signed>[^,]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)
_AMZ_DATE = re.compile(r"(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z")  # strptime's parser costs more than a request
_MAX_SKEW = timedelta(minutes=15)
_MISMATCH = "The request signature we calculated does not match the signature you provided."


class AuthError(ServiceError):
    """A refused signature. S3 words each refusal its own way: ``s3_code``, ``s3_status``, ``s3_message``
    (default: the JSON services' message) and extra ``<Error>`` elements in ``s3_fields``."""

    status = 403

    def __init__(self, message: str, code: str, s3_code: str, s3_status: int = 403, s3_message: str | None = None,
                 **s3_fields: str):
        super().__init__(message, code=code)
        self.s3_code, self.s3_status, self.s3_message, self.s3_fields = (
            s3_code, s3_status, s3_message or message, s3_fields)


@dataclass(frozen=True)
class SignedClaim:
    """A request's SigV4 parts, already checked against everything but the signature itself."""

    service: str
    region: str
    amz_date: str
    signed_headers: tuple[str, ...]
    signature: str

    def verify(self, method: str, url: str, headers: dict[str, str], key: AccessKey, payload_hash: str) -> None:
        """Raise :class:`AuthError` unless the signature matches the request with this payload hash.

        ``url`` is the URL as the client sent it (raw path and query); ``headers`` have lower-case names.
        """
        request = AWSRequest(method=method, url=url, headers={name: headers[name] for name in self.signed_headers})
        request.context["timestamp"] = self.amz_date
        signer_class = _S3Signer if self.service == "s3" else _Signer
        signer = signer_class(Credentials(key.access_key_id, key.secret_access_key), self.service, self.region,
                              payload_hash)
        expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
        if not hmac.compare_digest(expected, self.signature):
            raise AuthError(_MISMATCH, code="InvalidSignatureException", s3_code="SignatureDoesNotMatch",
                            s3_message=f"{_MISMATCH} Check your key and signing method.")


class _KnownPayload:
    """The payload hash is given (computed while the body streamed in, or S3's signed header)."""

    def __init__(self, credentials, service: str, region: str, payload_hash: str):
        super().__init__(credentials, service, region)
        self._payload_hash = payload_hash

    def payload(self, request) -> str:
        return self._payload_hash


class _Signer(_KnownPayload, SigV4Auth):
    pass


class _S3Signer(_KnownPayload, S3SigV4Auth):  # S3 signs its path as sent, without normalising it
    pass


def check_headers(headers: dict[str, str], key: AccessKey, region: str, service: str) -> SignedClaim:
    """Check all a request's headers show about its signature; the route serves ``service`` in ``region``.

    ``headers`` must have lower-case names. Raises :class:`AuthError` with AWS's code and message.
    """
    authorization = headers.get("authorization")
    if authorization is None:
        raise AuthError("Missing Authentication Token", code="MissingAuthenticationTokenException",
                        s3_code="AccessDenied", s3_message="Access Denied")
    match = _AUTHORIZATION.match(authorization)
    if not match:
        raise AuthError("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters "
                        "in the form AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, "
                        "SignedHeaders=..., Signature=...", code="IncompleteSignatureException",
                        s3_code="AuthorizationHeaderMalformed", s3_status=400)
    # Bytes, not str: compare_digest refuses str holding non-ASCII, and a header may hold anything.
    if not hmac.compare_digest(match["key"].encode(), key.access_key_id.encode()):
        raise AuthError("The security token included in the request is invalid.", code="UnrecognizedClientException",
                        s3_code="InvalidAccessKeyId",
                        s3_message="The AWS Access Key Id you provided does not exist in our records.")
    amz_date = headers.get("x-amz-date", "")
    try:
        signed_at = datetime(*map(int, _AMZ_DATE.fullmatch(amz_date).groups()), tzinfo=timezone.utc)
    except (AttributeError, ValueError):  # no match, or a field out of range
        raise AuthError("X-Amz-Date header is missing or malformed", code="IncompleteSignatureException",
                        s3_code="AccessDenied") from None
    if abs(datetime.now(timezone.utc) - signed_at) > _MAX_SKEW:
        raise AuthError("Signature expired: the request time is too far from now", code="InvalidSignatureException",
                        s3_code="RequestTimeTooSkewed",
                        s3_message="The difference between the request time and the current time is too large.")
    if match["date"] != amz_date[:8]:
        raise AuthError(f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                        f"'{match['date']}' != '{amz_date[:8]}', from '{amz_date}'.", code="InvalidSignatureException",
                        s3_code="AuthorizationHeaderMalformed", s3_status=400)
    if match["region"] != region:
        raise AuthError(f"Credential should be scoped to a valid region, not '{match['region']}'. ",
                        code="InvalidSignatureException", s3_code="AuthorizationHeaderMalformed", s3_status=400,
                        s3_message=f"The authorization header is malformed; the region '{match['region']}' is "
                                   f"wrong; expecting '{region}'", Region=region)
    if match["service"] != service:
        raise AuthError(f"Credential should be scoped to correct service: '{service}'. ",
                        code="InvalidSignatureException", s3_code="AuthorizationHeaderMalformed", s3_status=400)
    signed_names = tuple(match["signed"].split(";"))
    if "host" not in signed_names:
        raise AuthError("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
                        code="InvalidSignatureException", s3_code="AuthorizationHeaderMalformed", s3_status=400)
    missing = [name for name in signed_names if name not in headers]
    if missing:
        raise AuthError(f"Signed headers are missing: {', '.join(missing)}", code="IncompleteSignatureException",
                        s3_code="AccessDenied")
    return SignedClaim(match["service"], match["region"], amz_date, signed_names, match["signature"])
