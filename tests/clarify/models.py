"""A small XGBoost model saved as training saves it (model.tar.gz), for the Clarify tests."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import xgboost as xgb

from sagelocal.jobs.serving import make_model_archive

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.2-0"


def training_rows(rows: int, features: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.default_rng(seed)
    x = generator.normal(size=(rows, features)).round(3)
    y = (x[:, 0] + 0.5 * x[:, 1] - 0.25 * x[:, 2] + generator.normal(scale=0.5, size=rows) > 0).astype(int)
    return x, y


def model_archive(folder: Path, x: np.ndarray, y: np.ndarray, rounds: int = 20) -> Path:
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 3, "eta": 0.3},
                        xgb.DMatrix(x, label=y), num_boost_round=rounds)
    path = Path(folder) / "model.tar.gz"
    path.write_bytes(make_model_archive(booster))
    return path
