"""Training data as the container reads it (``data_utils.py`` and ``algorithm_mode/channel_validation.py``):
the channel's ContentType picks the format, libsvm when none is given; CSV goes through XGBoost's own text parser
(an empty field is a missing value, the delimiter sniffed from the first line); the label is the first column."""
from __future__ import annotations

import csv
import warnings
from email.message import Message
from pathlib import Path

from sagelocal.jobs.xgb_container import recordio
from sagelocal.jobs.xgb_container.errors import user_error

# The exact ContentType values a channel may carry, and the format each names.
FORMATS = {"csv": "csv", "libsvm": "libsvm", "parquet": "parquet", "recordio-protobuf": "recordio-protobuf",
           "text/csv": "csv", "text/libsvm": "libsvm", "text/x-libsvm": "libsvm",
           "application/x-parquet": "parquet", "application/x-recordio-protobuf": "recordio-protobuf"}
DEFAULT_CONTENT_TYPE = "text/libsvm"
# Pipe mode has no libsvm reader.
PIPE_FORMATS = ("csv", "parquet", "recordio-protobuf")
CHANNELS = {"train": True, "validation": False, "code": False}  # name: required


def validate_channels(config: dict) -> dict:
    """inputdataconfig.json checked as the toolkit's channel validation does, the default ContentType filled in."""
    for name, required in CHANNELS.items():
        if required and name not in config:
            raise user_error(f"Missing required channel: {name}")
    channels = {}
    for name, value in config.items():
        if name not in CHANNELS:
            raise user_error(f"Extraneous channel found: {name}")
        value = {**value, "ContentType": value.get("ContentType") or DEFAULT_CONTENT_TYPE}
        supported = (FORMATS if value.get("TrainingInputMode", "File") == "File"
                     else {k: v for k, v in FORMATS.items() if v in PIPE_FORMATS})
        allowed = ("text/python",) if name == "code" else supported
        if value["ContentType"] not in allowed:
            raise user_error(f"Channel configuration for '{name}' channel is not supported: {value}")
        channels[name] = value
    return channels


def content_format(content_type: str) -> str:
    """csv, libsvm, parquet or recordio-protobuf for a channel's ContentType (parameters after ';' allowed)."""
    header = Message()
    header["content-type"] = content_type.lower()
    media = header.get_content_type() if "/" in content_type else content_type.lower().split(";")[0].strip()
    if media in FORMATS:
        label_size = header.get_param("label_size")
        if FORMATS[media] == "csv" and label_size not in (None, "1"):
            raise user_error(f"{content_type} is not an accepted csv ContentType. Optional parameter label_size "
                             "must be equal to 1")
        return FORMATS[media]
    raise user_error(f"{content_type} is not an accepted ContentType: {', '.join(FORMATS)}.")


def data_files(folder: Path) -> list[Path]:
    """The files the container reads from a channel folder: the first folder without subfolders, its files not
    starting with '.' or '_'."""
    leaf = folder
    while True:
        subfolders = sorted(p for p in leaf.iterdir() if p.is_dir())
        if not subfolders:
            break
        leaf = subfolders[0]
    return sorted(p for p in leaf.iterdir() if p.is_file() and not p.name.startswith((".", "_")))


def read_dmatrix(folder: Path, fmt: str, csv_weights: int = 0):
    """The channel's DMatrix (label first), or None when the channel holds no data."""
    import xgboost as xgb

    files = data_files(folder) if folder.is_dir() else []
    if not files or not any(p.stat().st_size for p in files):
        return None
    if fmt == "csv":
        delimiter = _sniff_delimiter(files[0])
        weights = "&weight_column=1" if csv_weights == 1 else ""
        return _xgboost_text(xgb, f"{files[0].parent}?format=csv&label_column=0&delimiter={delimiter}{weights}",
                             "csv")
    if fmt == "libsvm":
        return _xgboost_text(xgb, f"{files[0].parent}?format=libsvm", "libsvm")
    if fmt == "parquet":
        return _parquet(xgb, files)
    return _recordio(xgb, files)


def _sniff_delimiter(path: Path) -> str:
    with path.open("r", errors="ignore") as handle:
        line = handle.readline()
    try:
        return csv.Sniffer().sniff(line).delimiter
    except csv.Error as error:
        raise user_error(f"Could not determine delimiter on line {line[:50]}:\n{error}") from None


def _xgboost_text(xgb, uri: str, name: str):
    try:
        with warnings.catch_warnings():
            # XGBoost 3.1 deprecated its text readers; the containers read text with them.
            warnings.simplefilter("ignore", UserWarning)
            return xgb.DMatrix(uri)
    except Exception as error:
        raise user_error(f"Failed to load {name} data with exception:\n{error}") from None


def _parquet(xgb, files: list[Path]):
    import pyarrow.parquet as pq

    try:
        data = pq.read_table(files[0].parent).to_pandas().to_numpy()
        return xgb.DMatrix(data[:, 1:], label=data[:, 0])
    except Exception as error:
        raise user_error(f"Failed to load parquet data with exception:\n{error}") from None


def _recordio(xgb, files: list[Path]):
    try:
        rows, labels = [], []
        for path in files:
            file_rows, file_labels = recordio.read_records(path.read_bytes())
            rows += file_rows
            labels.extend(file_labels.tolist())
        return xgb.DMatrix(recordio.feature_matrix(rows), label=labels) if rows else None
    except Exception as error:
        raise user_error(f"Failed to load recordio-protobuf data with exception:\n{error}") from None
