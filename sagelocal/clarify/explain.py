"""Kernel SHAP as Clarify runs it (the ``shap`` package's KernelExplainer): the configured baseline rows (or
k-means centres of the dataset when none is given), ``num_samples`` coalitions per row, the logit link when
``use_logit``; global values aggregate the local ones by ``agg_method``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import shap

from sagelocal.clarify.config import ClarifyConfigError, ShapSettings

DEFAULT_CLUSTERS = 10  # baseline rows k-means makes when the configuration gives none


@dataclass
class Explanation:
    expected_value: float  # the baseline's mean prediction (in logit space with use_logit)
    local: np.ndarray  # rows x features
    global_values: np.ndarray  # features


def baseline_rows(settings: ShapSettings, rows: np.ndarray, width: int):
    """The background KernelExplainer integrates features out over: rows, or shap's k-means summary."""
    if settings.baseline is None:
        return shap.kmeans(rows, min(settings.num_clusters or DEFAULT_CLUSTERS, len(rows)))
    if isinstance(settings.baseline, str):
        raise ClarifyConfigError("shap.baseline as an S3 URI is not supported offline: give the rows inline")
    baseline = np.asarray(settings.baseline, dtype=float)
    if baseline.ndim != 2 or baseline.shape[1] != width:
        raise ClarifyConfigError(f"shap.baseline must be a list of rows of {width} feature values, got shape "
                                 f"{baseline.shape}")
    return baseline


def kernel_shap(predict: Callable[[np.ndarray], np.ndarray], rows: np.ndarray, settings: ShapSettings) -> Explanation:
    rows = np.asarray(rows, dtype=float)
    if settings.seed is not None:
        np.random.seed(settings.seed)  # KernelExplainer samples coalitions with numpy's global generator
    explainer = shap.KernelExplainer(predict, baseline_rows(settings, rows, rows.shape[1]),
                                     link="logit" if settings.use_logit else "identity")
    local = np.asarray(explainer.shap_values(rows, nsamples=settings.num_samples or "auto", l1_reg=False,
                                             silent=True), dtype=float).reshape(rows.shape)
    return Explanation(float(np.ravel(explainer.expected_value)[0]), local, aggregate(local, settings.agg_method))


def aggregate(local: np.ndarray, agg_method: str) -> np.ndarray:
    if agg_method == "mean_abs":
        return np.abs(local).mean(axis=0)
    if agg_method == "median":
        return np.median(local, axis=0)
    return (local ** 2).mean(axis=0)  # mean_sq
