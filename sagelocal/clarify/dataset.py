"""The Clarify job's dataset: CSV files under the data input, named by ``headers`` (then the files have no header
row, as the SDK's examples write them) or by their own first row."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sagelocal.clarify.config import AnalysisConfig, ClarifyConfigError


@dataclass
class Dataset:
    frame: pd.DataFrame
    label: str | None
    features: list[str]  # the columns the model is sent, in order

    def column(self, name_or_index: str | int) -> str:
        return column_name(self.frame, name_or_index)


def read(source: Path, config: AnalysisConfig) -> Dataset:
    files = sorted(path for path in Path(source).rglob("*") if path.is_file()) if Path(source).is_dir() \
        else [Path(source)]
    if not files:
        raise ClarifyConfigError(f"the dataset input {source} holds no file")
    headers = config.headers
    frames = []
    for path in files:
        frame = pd.read_csv(path, header=None if headers else 0, engine="pyarrow")
        if headers:
            if frame.shape[1] != len(headers):
                raise ClarifyConfigError(f"{path.name} has {frame.shape[1]} columns but headers names "
                                         f"{len(headers)}")
            frame.columns = list(headers)
        frames.append(frame)
    return from_frame(pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0], config)


def from_frame(frame: pd.DataFrame, config: AnalysisConfig) -> Dataset:
    label = column_name(frame, config.label) if config.label is not None else None
    excluded = {column_name(frame, item) for item in config.excluded_columns}
    features = [name for name in frame.columns if name != label and name not in excluded]
    return Dataset(frame, label, features)


def column_name(frame: pd.DataFrame, name_or_index: str | int) -> str:
    """A column named as Clarify names it: by header, or by its 0-based position."""
    if isinstance(name_or_index, int) and not isinstance(name_or_index, bool):
        if not 0 <= name_or_index < frame.shape[1]:
            raise ClarifyConfigError(f"column index {name_or_index} is outside the dataset's "
                                     f"{frame.shape[1]} columns")
        return frame.columns[name_or_index]
    if name_or_index not in frame.columns:
        raise ClarifyConfigError(f"column {name_or_index!r} is not in the dataset (columns: "
                                 f"{', '.join(map(str, frame.columns))})")
    return name_or_index
