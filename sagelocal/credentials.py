"""The local server's access key, made once per home and kept in an AWS credentials file.

``$SAGELOCAL_HOME/credentials`` is an ordinary AWS shared-credentials file with a ``[sagelocal]``
profile, so any AWS client can use it (``AWS_SHARED_CREDENTIALS_FILE=... AWS_PROFILE=sagelocal``).
"""
from __future__ import annotations

import configparser
import os
import secrets
from dataclasses import dataclass

from sagelocal.config import Settings

PROFILE = "sagelocal"


@dataclass(frozen=True)
class AccessKey:
    access_key_id: str
    secret_access_key: str


def credentials_path(settings: Settings):
    return settings.home / "credentials"


def load_or_create(settings: Settings) -> AccessKey:
    """Return the home's access key, creating it (mode 0600) on first use."""
    path = credentials_path(settings)
    parser = configparser.ConfigParser()
    if path.exists():
        parser.read(path)
        section = parser[PROFILE]
        return AccessKey(section["aws_access_key_id"], section["aws_secret_access_key"])
    key = AccessKey("SL" + secrets.token_hex(9).upper(), secrets.token_urlsafe(30))
    parser[PROFILE] = {"aws_access_key_id": key.access_key_id, "aws_secret_access_key": key.secret_access_key}
    settings.make_home()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        parser.write(handle)
    return key


def client_kwargs(settings: Settings, endpoint_url: str) -> dict:
    """Keyword arguments for ``boto3.client(service, **kwargs)`` against the local server."""
    key = load_or_create(settings)
    return {
        "endpoint_url": endpoint_url,
        "region_name": settings.region,
        "aws_access_key_id": key.access_key_id,
        "aws_secret_access_key": key.secret_access_key,
    }
