"""One Clarify analysis: the configured methods over a dataset, with the model (if any) reached through
``predict``. Returns analysis.json's document and the local SHAP values."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from sagelocal.clarify import bias, explain
from sagelocal.clarify.config import AnalysisConfig, ClarifyConfigError
from sagelocal.clarify.dataset import Dataset

ANALYSIS_VERSION = "1.0"


@dataclass
class Result:
    analysis: dict
    local_shap: pd.DataFrame | None  # explanations_shap/out.csv: <feature>_label0 columns, one row per input row


def analyze(config: AnalysisConfig, data: Dataset, predict: Callable[[np.ndarray], np.ndarray] | None = None,
            workers: int = 1, scores: np.ndarray | None = None) -> Result:
    """``workers``: processes Kernel SHAP splits the rows among. ``scores``: the model's outputs for the rows when
    they are known already (a bias monitor reads them from the endpoint's capture); post-training bias then uses
    them and does not call the model."""
    if (config.shap is not None or (config.post_training_methods is not None and scores is None)) \
            and predict is None:
        raise ClarifyConfigError("the analysis needs the model (post-training bias or SHAP) but none was given")
    frame = data.frame
    analysis: dict = {"version": ANALYSIS_VERSION}
    facets = [(data.column(facet.name_or_index), facet) for facet in config.facets]
    group = frame[data.column(config.group_variable)] if config.group_variable is not None else None
    if config.pre_training_methods is not None:
        analysis[bias.PRE_TRAINING] = bias.bias_section(
            bias.PRE_TRAINING, frame, data.label, config.label_values, facets, config.pre_training_methods, group,
            features=data.features)
    rows = frame[data.features].to_numpy(dtype=float) if config.needs_model else None
    if config.post_training_methods is not None:
        # Clarify's predicted label: 1 above probability_threshold, else 0, typed as the label column is
        labels = frame[data.label]
        positive = (predict(rows) if scores is None else np.asarray(scores, dtype=float)) > \
            config.probability_threshold
        predicted = pd.Series(positive.astype(labels.dtype if pd.api.types.is_numeric_dtype(labels) else int),
                              index=frame.index)
        analysis[bias.POST_TRAINING] = bias.bias_section(
            bias.POST_TRAINING, frame, data.label, config.label_values, facets, config.post_training_methods, group,
            predicted=predicted, features=data.features)
    local = None
    if config.shap is not None:
        explanation = explain.kernel_shap(predict, rows, config.shap, workers)
        label = _label_header(config)
        analysis["explanations"] = {"kernel_shap": {label: {
            "global_shap_values": dict(zip(data.features, explanation.global_values.tolist())),
            "expected_value": explanation.expected_value,
        }}}
        if config.shap.save_local_shap_values:
            local = pd.DataFrame(explanation.local, columns=[f"{name}_{label}" for name in data.features])
    return Result(analysis, local)


def _label_header(config: AnalysisConfig) -> str:
    """Clarify names a single model output ``label0`` unless the predictor names its labels."""
    headers = config.predictor.get("label_headers")
    return str(headers[0]) if headers else "label0"
