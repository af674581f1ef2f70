"""Distribution distances of Deequ's ``Distance`` object: KS-style L∞ on KLL sketches, categorical L∞, χ²."""
from __future__ import annotations

import math

import numpy as np

from sagelocal.monitor.kll import KLLSketch

# Deequ's default c(alpha) for alpha = 0.003: Robust subtracts the two-sample KS critical value.
C_ALPHA = 1.8
_YATES_ABS, _YATES_SHARE, _COCHRAN_ABS = 5, 0.2, 10


def robust(linf_simple: float, n: float, m: float, method: str) -> float:
    """``Simple`` keeps the L∞ distance; ``Robust`` subtracts ``c_α·sqrt((n+m)/(n·m))`` (floored at 0)."""
    if method == "Simple":
        return linf_simple
    return max(0.0, linf_simple - C_ALPHA * math.sqrt((n + m) / (n * m)))


def numerical_linf(baseline: KLLSketch, current: KLLSketch) -> tuple:
    """Max CDF difference over every item of both sketches; returns ``(distance, n, m)``.

    With exact sketches (≤ 2050 values each) this is the two-sample KS statistic.
    """
    items1, ranks1 = baseline.weighted_items()
    items2, ranks2 = current.weighted_items()
    n, m = float(ranks1[-1]), float(ranks2[-1])
    keys = np.union1d(items1, items2)
    cdf1 = _rank_at(items1, ranks1, keys) / n
    cdf2 = _rank_at(items2, ranks2, keys) / m
    return float(np.max(np.abs(cdf1 - cdf2))), n, m


def _rank_at(items: np.ndarray, ranks: np.ndarray, keys: np.ndarray) -> np.ndarray:
    position = np.searchsorted(items, keys, side="right")
    return np.where(position > 0, ranks[np.maximum(position - 1, 0)], 0).astype(np.float64)


def categorical_linf(baseline: dict, current: dict) -> tuple:
    """L∞ between the two probability mass functions over the union of categories; ``(distance, n, m)``."""
    n, m = float(sum(baseline.values())), float(sum(current.values()))
    keys = set(baseline) | set(current)
    distance = max((abs(baseline.get(k, 0) / n - current.get(k, 0) / m) for k in keys), default=0.0)
    return distance, n, m


def chi_squared_p_value(baseline: dict, current: dict) -> float:
    """Deequ's χ² goodness-of-fit p-value of ``current`` against ``baseline`` (NaN below two categories).

    Expected counts are the baseline's shares scaled to the current rows that fall in baseline categories;
    the smallest expected category is folded into the second smallest until Cochran's rule (2 categories,
    all ≥ 10) or Yates's rule (more: at most 20 % below 5) holds.
    """
    in_baseline = sum(count for key, count in current.items() if key in baseline)
    total = float(sum(baseline.values()))
    expected = {key: count / total * in_baseline for key, count in baseline.items()}
    observed = {key: float(current.get(key, 0)) for key in baseline}
    while len(expected) >= 2:
        small, allowed = (_COCHRAN_ABS, 0) if len(expected) == 2 else (_YATES_ABS, int(_YATES_SHARE * len(expected)))
        if sum(1 for value in expected.values() if value < small) <= allowed:
            break
        smallest = min(expected, key=expected.get)
        folded_expected, folded_observed = expected.pop(smallest), observed.pop(smallest)
        second = min(expected, key=expected.get)
        expected[second] += folded_expected
        observed[second] += folded_observed
    if len(expected) < 2:
        return math.nan
    from scipy import stats  # importing scipy.stats costs ~1 s; only χ² needs it

    keys = list(expected)
    return float(stats.chisquare([observed[k] for k in keys], [expected[k] for k in keys]).pvalue)
