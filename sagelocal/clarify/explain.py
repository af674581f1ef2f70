"""Kernel SHAP as Clarify runs it (the ``shap`` package's KernelExplainer): the configured baseline rows (or
k-means centres of the dataset when none is given), ``num_samples`` coalitions per row, the logit link when
``use_logit``; global values aggregate the local ones by ``agg_method``."""
from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from typing import Callable

import numpy as np

from sagelocal.clarify.config import ClarifyConfigError, ShapSettings

DEFAULT_CLUSTERS = 10  # baseline rows k-means makes when the configuration gives none


@dataclass
class Explanation:
    expected_value: float  # the baseline's mean prediction (in logit space with use_logit)
    local: np.ndarray  # rows x features
    global_values: np.ndarray  # features


def baseline_rows(settings: ShapSettings, rows: np.ndarray, width: int):
    """The background KernelExplainer integrates features out over: rows, or shap's k-means summary."""
    import shap  # seconds to import: only jobs that explain pay for it

    if settings.baseline is None:
        return shap.kmeans(rows, min(settings.num_clusters or DEFAULT_CLUSTERS, len(rows)))
    if isinstance(settings.baseline, str):
        raise ClarifyConfigError("shap.baseline as an S3 URI is not supported offline: give the rows inline")
    baseline = np.asarray(settings.baseline, dtype=float)
    if baseline.ndim != 2 or baseline.shape[1] != width:
        raise ClarifyConfigError(f"shap.baseline must be a list of rows of {width} feature values, got shape "
                                 f"{baseline.shape}")
    return baseline


def kernel_shap(predict: Callable[[np.ndarray], np.ndarray], rows: np.ndarray, settings: ShapSettings,
                workers: int = 1) -> Explanation:
    """Local and global SHAP values of ``rows``. With ``workers`` > 1 the rows are split among that many forked
    processes (Clarify uses every core of its instance); each chunk samples its coalitions from its own seed
    (``seed + chunk``), so a seeded run gives the same values for the same worker count."""
    rows = np.asarray(rows, dtype=float)
    explainer = _explainer_class()(predict, baseline_rows(settings, rows, rows.shape[1]),
                                   link="logit" if settings.use_logit else "identity")
    chunks = [chunk for chunk in np.array_split(rows, max(1, min(workers, len(rows)))) if len(chunk)]
    global _FORKED
    _FORKED = (explainer, chunks, settings)
    try:
        if len(chunks) == 1:
            parts = [_explain_chunk(0)]
        else:
            # Forked, so the explainer and its model (the shadow endpoint's booster) are inherited, not pickled.
            with multiprocessing.get_context("fork").Pool(len(chunks)) as pool:
                parts = pool.map(_explain_chunk, range(len(chunks)))
    finally:
        _FORKED = None
    local = np.concatenate(parts).reshape(rows.shape)
    return Explanation(float(np.ravel(explainer.expected_value)[0]), local, aggregate(local, settings.agg_method))


# (explainer, row chunks, settings) of the kernel_shap call in progress, which its forked workers inherit.
_FORKED: tuple | None = None


def _explain_chunk(index: int) -> np.ndarray:
    explainer, chunks, settings = _FORKED
    if settings.seed is not None:
        np.random.seed(settings.seed + index)  # KernelExplainer samples coalitions with numpy's global generator
    # shap formats arrays for its debug and info messages whether or not they are logged (f-strings: about a fifth
    # of its time per row); summarised to their first and last item, the unseen text costs almost nothing.
    with np.printoptions(threshold=1, edgeitems=1):
        values = explainer.shap_values(chunks[index], nsamples=settings.num_samples or "auto", l1_reg=False,
                                       silent=True)
    return np.asarray(values, dtype=float).reshape(chunks[index].shape)


def _explainer_class():
    """shap's KernelExplainer with one step vectorised: which features of a row differ from the background.

    shap compares feature by feature (np.allclose per feature and row, a quarter of its time on 30 features);
    when every group is one column of a dense background, as in a Clarify job, one np.isclose over the whole row
    gives the same answer (allclose is isclose with the same defaults, over the column's background values)."""
    import scipy.sparse
    import shap

    class KernelExplainer(shap.KernelExplainer):
        def varying_groups(self, x):
            groups = self.data.groups
            if scipy.sparse.issparse(x) or scipy.sparse.issparse(self.data.data) or \
                    any(len(group) != 1 for group in groups):
                return super().varying_groups(x)
            columns = [group[0] for group in groups]
            same = np.isclose(np.asarray(x)[0, columns], self.data.data[:, columns], equal_nan=True).all(axis=0)
            return np.nonzero(~same)[0]

    return KernelExplainer


def aggregate(local: np.ndarray, agg_method: str) -> np.ndarray:
    if agg_method == "mean_abs":
        return np.abs(local).mean(axis=0)
    if agg_method == "median":
        return np.median(local, axis=0)
    return (local ** 2).mean(axis=0)  # mean_sq
