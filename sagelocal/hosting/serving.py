"""The built-in XGBoost container's serving contract, in-process.

Same inputs, outputs and failures as the container's ``/invocations``: ``text/csv`` rows (no header) in,
one probability per row out, joined with commas (real-time mode), as ``text/csv; charset=utf-8``. A payload
that is not CSV is the container's 415; a feature count it cannot score is its 400. The endpoint turns both
into the ModelError that SageMaker returns for a container error.
"""
from __future__ import annotations

import io
import math
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import xgboost as xgb

from sagelocal.hosting.model_loader import MODEL_FILE
from sagelocal.jobs.container import base_environment
from sagelocal.jobs.xgb_container import versions

RESPONSE_TYPE = "text/csv; charset=utf-8"
# The images whose models the server can load: the XGBoost containers, current and legacy.
SERVED_IMAGES = ("sagemaker-xgboost", "xgboost")
LOAD_TIMEOUT_SECONDS = 300


class ContainerError(Exception):
    """What the container answered instead of predictions: its HTTP status and body text."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def load_booster(model_tar: Path, image_uri: str) -> xgb.Booster:
    """Load ``xgboost-model`` from a model.tar.gz as the container of ``image_uri`` does.

    The archive is opened by a short-lived child process (:mod:`sagelocal.hosting.model_loader`), which hands
    back the booster in XGBoost's raw format: the server never unpickles. Pickle is tried only for the
    container versions that saved pickles (sagemaker-xgboost up to 1.2, and the legacy ``xgboost`` image).
    """
    argv = [sys.executable, "-m", "sagelocal.hosting.model_loader", str(model_tar)]
    if saves_pickles(image_uri):
        argv.append("--pickle")
    done = subprocess.run(argv, capture_output=True, env=base_environment(model_tar.parent, {}),
                          timeout=LOAD_TIMEOUT_SECONDS)
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        raise ValueError(reason[-1] if reason else f"the model loader exited with status {done.returncode}")
    booster = xgb.Booster(model_file=bytearray(done.stdout))
    # One thread per prediction: the server answers many small requests, not one big one.
    booster.set_param("nthread", 1)
    return booster


def saves_pickles(image_uri: str) -> bool:
    """Whether the XGBoost container of ``image_uri`` saved its models with pickle: up to 1.2 (tags ``0.90-1``,
    ``1.2-1``, ...) and the legacy ``xgboost`` image; 1.3 and later save XGBoost's own format. A tag the runtime
    does not know is never unpickled."""
    try:
        return versions.saves_pickles(versions.container_version(image_uri))
    except versions.UnknownVersion:
        return False


class XGBoostServer:
    """One loaded model, scoring requests as the built-in container does."""

    def __init__(self, booster: xgb.Booster):
        self.booster = booster
        self.num_features = booster.num_features()

    def invoke(self, content_type: str, body: bytes) -> bytes:
        media = content_type.split(";", 1)[0].strip().lower()
        if media != "text/csv":
            raise ContainerError(415, f"Content type {content_type} is not supported")
        try:
            rows = parse_csv(body)
        except ValueError as error:
            raise ContainerError(415, "Loading csv data failed with Exception, please ensure data is in csv "
                                      f"format:\n {type(error)}\n {error}") from None
        width = rows.shape[1]
        # The container accepts one column fewer than the model (a model trained with an extra column).
        if not (width == self.num_features or width + 1 == self.num_features):
            raise ContainerError(400, "Unable to evaluate payload provided: Feature size of csv inference data "
                                      f"{width} is not consistent with feature size of trained model "
                                      f"{self.num_features}")
        predictions = self.booster.inplace_predict(rows, validate_features=False)
        return ",".join(map(str, predictions.ravel().tolist())).encode()


def parse_csv(body: bytes) -> np.ndarray:
    """Rows of floats from a CSV payload; empty fields are missing values (NaN), as in the container."""
    text = body.decode("utf-8").strip()
    if not text:
        raise ValueError("the payload has no rows")
    lines = text.splitlines()
    if len(lines) == 1:
        # Fast path for the common single-row request.
        return np.array([[_number(v) for v in lines[0].split(",")]], dtype=np.float32)
    rows = [[_number(v) for v in line.split(",")] for line in lines if line.strip()]
    widths = {len(row) for row in rows}
    if len(widths) != 1:
        raise ValueError(f"rows have different numbers of columns: {sorted(widths)}")
    return np.array(rows, dtype=np.float32)


def _number(value: str) -> float:
    value = value.strip()
    if not value:
        return math.nan
    return float(value)


def make_model_archive(booster: xgb.Booster) -> bytes:
    """model.tar.gz bytes holding ``xgboost-model`` in XGBoost's JSON format, as training writes it."""
    raw = booster.save_raw("json")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo(MODEL_FILE)
        info.size = len(raw)
        archive.addfile(info, io.BytesIO(bytes(raw)))
    return buffer.getvalue()
