"""A model whose predictions can be checked by hand: 1.0 when the first feature is below 1, else 3.0.

One squared-error tree of depth 1 with base score 0, learning rate 1 and no regularisation: each leaf's value is
the mean label of its side, exactly.
"""
from __future__ import annotations

import numpy as np
import xgboost as xgb

from sagelocal.jobs.serving import make_model_archive

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
MODEL_URI = "s3://models/step/model.tar.gz"
ROLE = "arn:aws:iam::000000000000:role/SageMakerRole"


def step_archive() -> bytes:
    features = np.array([[0.0, 5.0], [1.0, 5.0]])
    booster = xgb.train({"objective": "reg:squarederror", "base_score": 0.0, "eta": 1.0, "max_depth": 1,
                         "lambda": 0.0, "min_child_weight": 0.0},
                        xgb.DMatrix(features, label=np.array([1.0, 3.0])), num_boost_round=1)
    return make_model_archive(booster)
