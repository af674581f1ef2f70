"""CreateTransformJob, offline: batch transform with the model's own serving code.

The model (CreateModel) is loaded as its endpoint would load it (:func:`sagelocal.jobs.serving.load_booster`)
and every request goes through the container's ``invoke(content_type, body)``, in batch mode: the container
answers one prediction per line (SAGEMAKER_BATCH). Each input object becomes ``S3OutputPath/<its key below the
input prefix>.out``, written whole once the object is done (SageMaker uploads no partial object); the job fails on
the first object that fails. ``AssembleWith: Line`` ends every output record with a newline; ``None`` writes the
container's answers back to back. With DataCaptureConfig the job writes batch capture manifests
(:mod:`sagelocal.jobs.batch_capture`).

When no field of the request is unset, the XGBoost container's execution parameters apply, as SageMaker asks the
container for them: MultiRecord, 6 MB.
"""
from __future__ import annotations

import os
import time
import uuid
from datetime import datetime, timezone
from typing import Callable

from sagelocal.config import Settings
from sagelocal.errors import ServiceError
from sagelocal.jobs.batch_capture import write_capture_manifests
from sagelocal.jobs.container import STOP_POLL_SECONDS, JobFailed, JobStopped
from sagelocal.jobs.dataprocessing import DataProcessing, DataProcessingError
from sagelocal.jobs.models import model_container
from sagelocal.jobs.serving import ContainerError, XGBoostServer, load_booster
from sagelocal.jobs.store import JobStore, JobTracker
from sagelocal.jobs.transform_input import (SPLIT_TYPES, InputObject, batches, input_base, input_objects,
                                            line_chunks, read_object, split_records)
from sagelocal.storage.s3 import LocalS3

# The built-in XGBoost container's /execution-parameters: what a job that sets none of them runs with.
DEFAULT_BATCH_STRATEGY = "MultiRecord"
DEFAULT_MAX_PAYLOAD_MB = 6


def run_transform_job(settings: Settings, job_name: str, request: dict,
                      stop: Callable[[], bool] | None = None) -> dict:
    """Run one transform job to its end, recorded in the job store; return its DescribeTransformJob response, or
    raise JobFailed (JobStopped when StopTransformJob or ``stop()`` asked)."""
    return JobStore(settings).run("Transform", job_name, request,
                                  lambda tracker: _Job(settings, job_name, request, tracker, stop).run())


class _Job:
    def __init__(self, settings: Settings, name: str, request: dict, tracker: JobTracker,
                 stop: Callable[[], bool] | None):
        self.settings, self.name, self.request, self.tracker = settings, name, request, tracker
        self.s3 = LocalS3(settings.s3_root)
        self.stop = stop
        self._stop_checked = -STOP_POLL_SECONDS
        transform_input, output = request["TransformInput"], request["TransformOutput"]
        self.content_type = transform_input.get("ContentType") or "text/csv"
        self.accept = output.get("Accept")
        self.split_type = transform_input.get("SplitType", "None")
        if self.split_type not in SPLIT_TYPES:
            raise JobFailed(f"SplitType {self.split_type} is not supported offline (use Line or None)")
        self.strategy = request.get("BatchStrategy") or DEFAULT_BATCH_STRATEGY
        self.max_payload = request.get("MaxPayloadInMB", DEFAULT_MAX_PAYLOAD_MB)
        self.line_output = output.get("AssembleWith", "None") == "Line"
        capture = request.get("DataCaptureConfig") or {}
        self.generate_ids = bool(capture.get("GenerateInferenceId"))
        try:
            self.processing = DataProcessing.from_request(request, self.content_type, self.accept)
        except DataProcessingError as error:
            raise JobFailed(f"ClientError: {error}") from None

    def run(self) -> dict:
        started = time.monotonic()
        server = self._server()
        objects = input_objects(self.s3, self.request["TransformInput"]["DataSource"]["S3DataSource"])
        output_path = self.request["TransformOutput"]["S3OutputPath"].rstrip("/")
        written = []
        for item in objects:
            self._check_stop()
            data = read_object(self.s3, item, self.request["TransformInput"].get("CompressionType"))
            try:
                result = self._transform(server, data)
            except (ContainerError, DataProcessingError) as error:
                raise JobFailed(_failure(item, error)) from None
            self.s3.write_bytes(f"{output_path}/{item.relative}.out", result)
            written.append(f"{item.relative}.out")
        capture = self.request.get("DataCaptureConfig")
        if capture:
            write_capture_manifests(self.s3, capture["DestinationS3Uri"], input_base(objects),
                                    [item.relative for item in objects], f"{output_path}/", written)
        # ProcessSeconds is not an AWS field: the job's own time, which the benchmark sets beside the runner's.
        return {"TransformJobStatus": "Completed", "ProcessSeconds": round(time.monotonic() - started, 4)}

    def _server(self) -> XGBoostServer:
        try:
            container = model_container(self.settings, self.request["ModelName"])
        except ServiceError as error:
            raise JobFailed(f"ClientError: {error.message}") from None
        path = self.s3.path(container["ModelDataUrl"])
        if not path.is_file():
            raise JobFailed(f"ClientError: the model artifact {container['ModelDataUrl']} does not exist")
        try:
            booster = load_booster(path, container["Image"])
        except ValueError as error:
            raise JobFailed(f"ClientError: the model {self.request['ModelName']} failed to load: {error}") from None
        # A job's requests are thousands of rows each, one at a time: every core predicts (an endpoint's one
        # thread per request is for many small requests at once).
        booster.set_param("nthread", os.cpu_count() or 1)
        return XGBoostServer(booster)

    def _transform(self, server: XGBoostServer, data: bytes) -> bytes:
        per_record = self.processing.active or self.generate_ids
        if not per_record and self.split_type == "Line" and self.strategy == "MultiRecord":
            requests = line_chunks(data, self.max_payload)  # the fast path: no record is looked at alone
        else:
            records = split_records(data, self.split_type)
            requests = ((b"\n".join(group), group) for group in batches(records, self.strategy, self.max_payload))
        parts = []
        for body, records in requests:
            self._check_stop()
            sent = b"\n".join(map(self.processing.model_input, records)) if self.processing.filters_input else body
            predictions = self._invoke(server, sent)
            if per_record:
                predictions = b"\n".join(self._written(records, predictions.split(b"\n")))
            parts.append(predictions + b"\n" if self.line_output else predictions)
        return b"".join(parts)

    def _invoke(self, server: XGBoostServer, body: bytes) -> bytes:
        """The container's batch-mode answer (SAGEMAKER_BATCH): one prediction per line of the request, no final
        newline."""
        reply = server.invoke(self.content_type, body, accept=self.accept, batch=True)
        return reply.body.rstrip(b"\n")

    def _written(self, records: list[bytes], predictions: list[bytes]) -> list[bytes]:
        """Each record's output line: its prediction, with DataProcessing and the inference id applied."""
        if len(predictions) != len(records):
            raise DataProcessingError(f"the model answered {len(predictions)} predictions for {len(records)} "
                                      "records, so they cannot be matched record for record")
        return [self.processing.written(record, prediction, self._inference_id() if self.generate_ids else None)
                for record, prediction in zip(records, predictions)]

    def _inference_id(self) -> tuple[str, str]:
        return str(uuid.uuid4()), datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _check_stop(self) -> None:
        """Raise JobStopped once a stop is asked; the job store is read at most every STOP_POLL_SECONDS."""
        now = time.monotonic()
        if now - self._stop_checked < STOP_POLL_SECONDS:
            return
        self._stop_checked = now
        if self.tracker.stop_requested() or (self.stop is not None and self.stop()):
            raise JobStopped("the transform job was stopped")


def _failure(item: InputObject, error: Exception) -> str:
    if isinstance(error, ContainerError):
        return (f"ClientError: the model container answered {error.status} while transforming {item.uri}: "
                f"{error.message}")
    return f"ClientError: {item.uri}: {error}"
