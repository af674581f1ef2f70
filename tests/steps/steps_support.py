"""Running the step scripts as the offline runner does (subprocesses with SAGELOCAL_PROCESSING_ROOT set), and
the models they read."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost

ROOT = Path(__file__).resolve().parents[2]
HYPERPARAMETERS = {"max_depth": 5, "eta": 0.2, "gamma": 4, "min_child_weight": 6, "subsample": 0.8,
                   "objective": "binary:logistic", "seed": 0}


def run(script: str, processing_root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SAGELOCAL_PROCESSING_ROOT": str(processing_root)}
    return subprocess.run([sys.executable, str(ROOT / script), *args], env=env, capture_output=True, text=True,
                          timeout=120)


def train_model(processed: Path, model_dir: Path, shuffle_labels_seed: int | None = None) -> None:
    """The built-in algorithm's artifact (model.tar.gz holding ``xgboost-model``) trained on train.csv; with
    ``shuffle_labels_seed`` the labels are permuted first, which makes a deliberately worse model."""
    train = pd.read_csv(processed / "train" / "train.csv", header=None)
    labels = train[0].to_numpy()
    if shuffle_labels_seed is not None:
        labels = np.random.default_rng(shuffle_labels_seed).permutation(labels)
    # Arrays, not frames: the built-in algorithm's models carry no feature names.
    booster = xgboost.train(HYPERPARAMETERS, xgboost.DMatrix(train.iloc[:, 1:].to_numpy(), label=labels),
                            num_boost_round=100)
    model_dir.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(model_dir / "xgboost-model.ubj"))
    with tarfile.open(model_dir / "model.tar.gz", "w:gz") as archive:
        archive.add(model_dir / "xgboost-model.ubj", arcname="xgboost-model")


def write_champion(champion_dir: Path, version: int | None) -> None:
    champion_dir.mkdir(parents=True, exist_ok=True)
    (champion_dir / "champion.json").write_text(json.dumps({"version": version}))
