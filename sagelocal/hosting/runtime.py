"""Live endpoints: what answers InvokeEndpoint. Built from an endpoint's config, kept in memory.

The hot path is synchronous and lean: pick a variant, score with its cached booster, append the capture
record, return. Nothing here touches SQLite.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass

from sagelocal.errors import ServiceError
from sagelocal.hosting.container_log import ContainerLog
from sagelocal.hosting.capture import CapturePolicy, CaptureWriter, build_record, inference_time
from sagelocal.jobs.serving import ContainerError, XGBoostServer

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024


class RuntimeValidationError(ServiceError):
    """sagemaker-runtime's bad-request error (its code is ValidationError, not ValidationException)."""

    code = "ValidationError"


class ModelError(ServiceError):
    """The container answered with an error: SageMaker's 424 with the container's status and message."""

    code = "ModelError"
    status = 424

    def __init__(self, message: str, original_status: int, original_message: str, log_stream_arn: str,
                 variant: str = ""):
        super().__init__(message)
        self.variant = variant  # which variant's container answered (for its error metrics)
        self.fields = {"OriginalStatusCode": original_status, "OriginalMessage": original_message,
                       "LogStreamArn": log_stream_arn}


@dataclass
class Invocation:
    body: bytes
    content_type: str
    variant: str
    status: int = 200


@dataclass
class LiveVariant:
    name: str
    weight: float
    server: XGBoostServer
    capture: CaptureWriter | None
    log: ContainerLog | None = None


class LiveEndpoint:
    """One endpoint's variants and capture policy, ready to answer requests."""

    def __init__(self, name: str, variants: list[LiveVariant], policy: CapturePolicy | None, log_group: str):
        self.name = name
        self.variants = variants
        self.policy = policy
        self.log_group = log_group
        self._total_weight = sum(v.weight for v in variants)

    def invoke(self, body: bytes, content_type: str, inference_id: str | None = None,
               custom_attributes: str | None = None, target_variant: str | None = None,
               accept: str | None = None) -> Invocation:
        variant = self._pick(target_variant)
        try:
            reply = variant.server.invoke(content_type, body, accept)
        except ContainerError as error:
            if variant.log is not None:
                variant.log.write(f"ERROR {error.status} answering an invocation: {error.message}")
            kind = "client" if error.status < 500 else "server"
            raise ModelError(
                f'Received {kind} error ({error.status}) from primary with message "{error.message}". '
                f"See {self.log_group} for more information.",
                error.status, error.message, self.log_group, variant.name,
            ) from None
        if reply.status == 200 and variant.capture is not None and self.policy.sampled():
            now = time.time()
            record = build_record(self.policy, content_type, body, reply.content_type, reply.body,
                                  inference_time(now), inference_id, custom_attributes)
            variant.capture.write(record, now)
        return Invocation(reply.body, reply.content_type, variant.name, reply.status)

    def _pick(self, target: str | None) -> LiveVariant:
        if target is not None:
            for variant in self.variants:
                if variant.name == target:
                    return variant
            raise RuntimeValidationError(f"Endpoint {self.name} does not have a variant named {target}.")
        if len(self.variants) == 1:
            return self.variants[0]
        point = random.random() * self._total_weight
        for variant in self.variants:
            point -= variant.weight
            if point < 0:
                return variant
        return self.variants[-1]

    def close(self) -> None:
        for variant in self.variants:
            if variant.capture is not None:
                variant.capture.close()

