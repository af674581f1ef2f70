"""The built-in XGBoost container's single-model server (``algorithm_mode/serve.py`` of
aws/sagemaker-xgboost-container at the image's tag), in-process.

A request is ``text/csv`` (no header; an empty field is a missing value), ``text/libsvm`` /``text/x-libsvm`` or
``application/x-recordio-protobuf``; anything else is the container's 415. An empty body is its 204. Pickled
models (the versions up to 1.2) get the container's feature-count check (the model's count, or one fewer: a model
trained with an extra column); a payload XGBoost cannot score is its 400. Up to 1.0 the answer is one CSV line
of comma-joined predictions whatever the Accept; from 1.2 the Accept picks text/csv (one prediction per line),
application/json, application/jsonlines or application/x-recordio-protobuf, and any other is its 406. A batch
transform always gets one prediction per line. The endpoint turns these statuses into SageMaker's ModelError.
"""
from __future__ import annotations

import functools
import io
import json
import math
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sagelocal.jobs.container import base_environment
from sagelocal.jobs.csv_rows import read_rows
from sagelocal.jobs.model_loader import MODEL_FILE
from sagelocal.jobs.xgb_container import data, recordio, versions
from sagelocal.jobs.xgb_container.errors import ContainerFailure

if TYPE_CHECKING:
    # Imported where a model is loaded or asked: importing XGBoost (with scikit-learn and SciPy behind it) takes
    # seconds, which a server that runs pipelines and never serves a model should not pay at its start.
    import xgboost as xgb

# The images whose models the server can load: the XGBoost containers, current and legacy.
SERVED_IMAGES = ("sagemaker-xgboost", "xgboost")
LOAD_TIMEOUT_SECONDS = 300
SUPPORTED_ACCEPTS = ["application/json", "application/jsonlines", "application/x-recordio-protobuf", "text/csv"]
# The first version whose server reads Accept and writes one CSV prediction per line.
FIRST_NEGOTIATING_VERSION = "1.2-1"


class ContainerError(Exception):
    """What the container answered instead of predictions: its HTTP status and body text."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def load_booster(model_tar: Path, image_uri: str) -> xgb.Booster:
    """Load ``xgboost-model`` from a model.tar.gz as the container of ``image_uri`` does.

    The archive is opened by a short-lived child process (:mod:`sagelocal.jobs.model_loader`), which hands
    back the booster in XGBoost's raw format: the server never unpickles. Pickle is tried only for the
    container versions that saved pickles (sagemaker-xgboost up to 1.2, and the legacy ``xgboost`` image).
    """
    argv = [sys.executable, "-m", "sagelocal.jobs.model_loader", str(model_tar)]
    if saves_pickles(image_uri):
        argv.append("--pickle")
    done = subprocess.run(argv, capture_output=True, env=base_environment(model_tar.parent, {}),
                          timeout=LOAD_TIMEOUT_SECONDS)
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        raise ValueError(reason[-1] if reason else f"the model loader exited with status {done.returncode}")
    import xgboost as xgb

    booster = xgb.Booster(model_file=bytearray(done.stdout))
    # One thread per prediction: the server answers many small requests, not one big one.
    booster.set_param("nthread", 1)
    return booster


def served_version(image_uri: str) -> str:
    """The container version whose server answers for ``image_uri``: the newest for a tag the runtime does not
    know (such an image gets no unpickling)."""
    try:
        return versions.container_version(image_uri)
    except versions.UnknownVersion:
        return versions.VERSIONS[-1]


def saves_pickles(image_uri: str) -> bool:
    """Whether the XGBoost container of ``image_uri`` saved its models with pickle: up to 1.2 (tags ``0.90-1``,
    ``1.2-1``, ...) and the legacy ``xgboost`` image; 1.3 and later save XGBoost's own format."""
    return versions.saves_pickles(served_version(image_uri))


@dataclass
class Reply:
    body: bytes
    content_type: str
    status: int = 200


class XGBoostServer:
    """One loaded model, answering requests as the built-in container of ``version`` does."""

    def __init__(self, booster: xgb.Booster, version: str = versions.VERSIONS[-1]):
        self.booster = booster
        self.num_features = booster.num_features()
        self.version = version
        self.checks_feature_count = versions.saves_pickles(version)
        self.negotiates = versions.at_least(version, FIRST_NEGOTIATING_VERSION)

    def invoke(self, content_type: str, body: bytes, accept: str | None = None, batch: bool = False) -> Reply:
        if not body:
            return Reply(b"", "text/html; charset=utf-8", 204)
        fmt = request_format(content_type)
        rows = parse_request(fmt, body)
        predictions = self._predict(fmt, rows)
        if batch:
            return Reply(_lines(predictions), _mimetype(self._accept(accept) if self.negotiates else "text/csv"))
        if not self.negotiates:
            return Reply(",".join(map(str, predictions)).encode(), _mimetype("text/csv"))
        accept = self._accept(accept)
        return Reply(encode(predictions, accept), _mimetype(accept))

    def predict_rows(self, rows: np.ndarray) -> list:
        """What a text/csv request of these rows answers, without the text: the rows as float32, as the CSV parser
        makes them (a float64 printed with repr and parsed back is the same number), then the same checks and
        prediction. For in-process callers that score many rows (Clarify's shadow endpoint)."""
        return self._predict("csv", np.asarray(rows, dtype=np.float32))

    def _predict(self, fmt: str, rows) -> list:
        width = rows.shape[1]
        if self.checks_feature_count:
            if fmt == "libsvm" and width > self.num_features + 1:
                raise ContainerError(400, "Unable to evaluate payload provided: Feature size of libsvm inference "
                                          f"data {width} is larger than feature size of trained model "
                                          f"{self.num_features}.")
            if fmt != "libsvm" and width not in (self.num_features, self.num_features - 1):
                raise ContainerError(400, f"Unable to evaluate payload provided: Feature size of {fmt} inference "
                                          f"data {width} is not consistent with feature size of trained model "
                                          f"{self.num_features}.")
        if width == self.num_features - 1:
            # A model trained with one column more than it is asked about (the label's place): the container
            # accepts it, the last column missing.
            rows = _widened(rows, self.num_features)
        import xgboost as xgb

        try:
            return self.booster.inplace_predict(rows, validate_features=False).ravel().tolist()
        except (xgb.core.XGBoostError, ValueError) as error:
            raise ContainerError(400, "Unable to evaluate payload provided: "
                                      f"{str(error).splitlines()[0]}") from None

    @staticmethod
    def _accept(accept: str | None) -> str:
        media = _media_type(accept or "")
        if not media or media == "*/*":
            return "text/csv"
        if media not in SUPPORTED_ACCEPTS:
            raise ContainerError(406, f"Accept type {media} is not supported. Please use supported accept types: "
                                      f"{SUPPORTED_ACCEPTS}.")
        return media


def _widened(rows, width: int):
    if isinstance(rows, np.ndarray):
        return np.hstack([rows, np.full((rows.shape[0], width - rows.shape[1]), np.nan, dtype=rows.dtype)])
    rows = rows.copy()
    rows.resize((rows.shape[0], width))  # a CSR matrix: the added columns hold no entries, i.e. missing
    return rows


def _mimetype(media: str) -> str:
    """The Content-Type Flask sends for a response ``mimetype``: text types get the charset."""
    return f"{media}; charset=utf-8" if media.startswith("text/") else media


# Parsed once per distinct header value: email's header machinery costs more than the rest of a small request.
@functools.lru_cache(maxsize=64)
def _media_type(header_value: str) -> str:
    if "/" not in header_value:
        return header_value.split(";")[0].strip().lower()
    header = Message()
    header["content-type"] = header_value
    return header.get_content_type()


@functools.lru_cache(maxsize=64)
def request_format(content_type: str) -> str:
    """csv, libsvm or recordio-protobuf, or the container's 415 (its training content types are parsed alike)."""
    try:
        fmt = data.content_format(content_type or "")
    except ContainerFailure as failure:
        raise ContainerError(415, failure.message) from None
    if fmt == "parquet":
        raise ContainerError(415, f"Content-type {content_type} is not supported.")
    return fmt


def parse_request(fmt: str, body: bytes):
    """The request's rows: a dense float array (CSV, dense records) or a CSR matrix (libsvm, sparse records)."""
    try:
        if fmt == "csv":
            return parse_csv(body)
        if fmt == "libsvm":
            return parse_libsvm(body)
        return recordio.feature_matrix(recordio.read_records(body)[0])
    except (ValueError, UnicodeDecodeError) as error:
        raise ContainerError(415, f"Loading {fmt} data failed with Exception, please ensure data is in {fmt} "
                                  f"format:\n {type(error)}\n {error}") from None


def parse_csv(body: bytes) -> np.ndarray:
    """Rows of floats from a CSV payload; empty fields are missing values (NaN), as in the container."""
    stripped = body.strip()
    if b"\n" in stripped:
        rows = read_rows(stripped)  # many rows (a batch transform's requests): Arrow's reader, when it can
        if rows is not None:
            return rows
    return parse_csv_fields(body)


def parse_csv_fields(body: bytes) -> np.ndarray:
    """:func:`parse_csv` field by field, with the container's rules and errors for any payload."""
    lines = body.decode("utf-8").strip().split("\n")
    if len(lines) == 1:
        # Fast path for the common single-row request.
        return np.array([[_number(v) for v in lines[0].split(",")]], dtype=np.float32)
    rows = [[_number(v) for v in line.split(",")] for line in lines]
    widths = {len(row) for row in rows}
    if len(widths) != 1:
        raise ValueError(f"rows have different numbers of columns: {sorted(widths)}")
    return np.array(rows, dtype=np.float32)


def parse_libsvm(body: bytes):
    """A CSR matrix of ``label index:value ...`` lines; the label is ignored, the width is the largest index + 1."""
    from scipy.sparse import csr_matrix

    rows, columns, values = [], [], []
    for row, line in enumerate(body.decode("utf-8").strip().split("\n")):
        for item in line.split(" ")[1:]:
            index, _, value = item.partition(":")
            rows.append(row)
            columns.append(int(index))
            values.append(float(value))
    return csr_matrix((values, (rows, columns)), dtype=np.float32)


def _number(value: str) -> float:
    value = value.strip()
    if not value:
        return math.nan
    return float(value)


def _lines(predictions: list) -> bytes:
    if not predictions:
        return b""
    return ("\n".join(map(repr, predictions)) + "\n").encode()


def encode(predictions: list, accept: str) -> bytes:
    """The predictions in the Accept's format: one CSV line or JSON line per prediction, the JSON document
    ``{"predictions": [{"score": ...}]}``, or one RecordIO-protobuf record per prediction (label ``score``)."""
    if accept == "application/json":
        return json.dumps({"predictions": [{"score": value} for value in predictions]}).encode()
    if accept == "application/jsonlines":
        return "".join(json.dumps({"score": value}) + "\n" for value in predictions).encode()
    if accept == "application/x-recordio-protobuf":
        return b"".join(recordio.write_scores(value) for value in predictions)
    return _lines(predictions)


def make_model_archive(booster: xgb.Booster) -> bytes:
    """model.tar.gz bytes holding ``xgboost-model`` in XGBoost's JSON format, as training writes it."""
    raw = booster.save_raw("json")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo(MODEL_FILE)
        info.size = len(raw)
        archive.addfile(info, io.BytesIO(bytes(raw)))
    return buffer.getvalue()
