"""The built-in XGBoost container's serving contract, in-process.

Same inputs, outputs and failures as the container's ``/invocations``: ``text/csv`` rows (no header) in,
one probability per row out, joined with commas (real-time mode), as ``text/csv; charset=utf-8``. A payload
that is not CSV is the container's 415; a feature count it cannot score is its 400. The endpoint turns both
into the ModelError that SageMaker returns for a container error.
"""
from __future__ import annotations

import io
import math
import pickle
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import xgboost as xgb

RESPONSE_TYPE = "text/csv; charset=utf-8"
MODEL_FILE = "xgboost-model"


class ContainerError(Exception):
    """What the container answered instead of predictions: its HTTP status and body text."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def load_booster(model_tar: Path) -> xgb.Booster:
    """Load ``xgboost-model`` from a model.tar.gz the way the container does: pickle first, then XGBoost's
    own formats. (Pickle only runs for artifacts this machine's own training jobs wrote.)"""
    with tarfile.open(model_tar, "r:gz") as archive:
        members = [m for m in archive.getmembers() if m.isfile()]
        if not members:
            raise ValueError(f"{model_tar} holds no model file")
        member = next((m for m in members if Path(m.name).name == MODEL_FILE), members[0])
        raw = archive.extractfile(member).read()
    try:
        booster = pickle.loads(raw)
        if not isinstance(booster, xgb.Booster):
            raise TypeError(f"pickled object is a {type(booster).__name__}, not an xgboost Booster")
    except Exception as pickle_error:
        booster = xgb.Booster()
        try:
            booster.load_model(bytearray(raw))
        except xgb.core.XGBoostError:
            # Old binary models need a file name to be recognised.
            with tempfile.NamedTemporaryFile(suffix=".model") as handle:
                handle.write(raw)
                handle.flush()
                try:
                    booster.load_model(handle.name)
                except xgb.core.XGBoostError as xgb_error:
                    raise ValueError(f"Unable to load model: {pickle_error} {xgb_error}") from None
    # One thread per prediction: the server answers many small requests, not one big one.
    booster.set_param("nthread", 1)
    return booster


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
