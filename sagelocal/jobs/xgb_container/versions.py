"""Which XGBoost container an image URI names: ``sagemaker-xgboost:1.0-1-cpu-py3`` is container 1.0-1, the legacy
``xgboost:1`` image is the first-party algorithm before the open-source container."""
from __future__ import annotations

import re

from sagelocal.jobs.container import image_repository

# The versions SageMaker publishes (the SDK's image_uri_config/xgboost.json), oldest first.
VERSIONS = ("0.90-1", "0.90-2", "1.0-1", "1.2-1", "1.2-2", "1.3-1", "1.5-1", "1.7-1", "3.0-5", "3.2-0")
LEGACY = "1"  # repository ``xgboost``: tags ``1`` and ``latest``
# Up to 1.2 the container pickles the Booster into ``xgboost-model``; from 1.3 it calls Booster.save_model.
LAST_PICKLING_VERSION = "1.2-2"
_TAG_VERSION = re.compile(r"(\d+\.\d+-\d+)(?:-|$)")


class UnknownVersion(ValueError):
    pass


def container_version(image_uri: str) -> str:
    """``1.0-1`` for ``...amazonaws.com/sagemaker-xgboost:1.0-1-cpu-py3``; ``1`` for the legacy image."""
    repository = image_repository(image_uri)
    if repository == "xgboost":
        return LEGACY
    tag = str(image_uri).rsplit("/", 1)[-1].partition(":")[2]
    found = _TAG_VERSION.match(tag)
    if repository != "sagemaker-xgboost" or not found or found[1] not in VERSIONS:
        raise UnknownVersion(f"image {image_uri} names no XGBoost container version the runtime knows "
                             f"(tags {', '.join(VERSIONS)}, with an optional -cpu-py3 suffix)")
    return found[1]


def saves_pickles(version: str) -> bool:
    """Whether the container of ``version`` wrote ``xgboost-model`` with pickle (the legacy image did too)."""
    return version == LEGACY or VERSIONS.index(version) <= VERSIONS.index(LAST_PICKLING_VERSION)


def at_least(version: str, oldest: str) -> bool:
    """Whether ``version`` is ``oldest`` or newer; the legacy image is older than every open-source one."""
    return version != LEGACY and VERSIONS.index(version) >= VERSIONS.index(oldest)
