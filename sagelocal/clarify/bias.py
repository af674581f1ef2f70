"""Pre- and post-training bias metrics, computed by ``smclarify`` (AWS's open-source implementation of Clarify's
bias metrics), in analysis.json's shape.

The facet and label are split into the boolean indexes smclarify's metric functions take with vectorised pandas
operations (smclarify's own ``bias_report`` tests a threshold row by row, which is minutes on a million rows);
the metrics themselves are smclarify's functions, called with the arguments its report passes them.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from smclarify.bias import metrics as smclarify_metrics
from smclarify.bias.metrics import common

from sagelocal.clarify.config import ClarifyConfigError, Facet

PRE_TRAINING = "pre_training_bias_metrics"
POST_TRAINING = "post_training_bias_metrics"
_NEEDS_GROUP = ("CDDL", "CDDPL")  # conditional demographic disparity needs group_variable
# smclarify computes these five from the two groups' label distributions, counted in pure Python (pyfunctional:
# about 10 s per metric on a million rows); label_distribution_metrics applies the same formulas to pandas' counts
# (tests/clarify/test_bias_metrics.py holds the two equal).
DISTRIBUTION_METRICS = ("KL", "JS", "LP", "TVD", "KS")


def positive_index(series: pd.Series, values_or_threshold: list) -> tuple[pd.Series, str]:
    """(bool index of the positive/sensitive rows, the value_or_threshold text analysis.json shows).

    As smclarify decides: a categorical column is positive where it equals one of the values; a continuous one
    where it lies above the single threshold (the interval (threshold, max]). One exception: a column of whole
    numbers or text that holds every given value is categorical even when smclarify's uniqueness rule (more than
    5% distinct values) would call it continuous, which on a small table turns label 1 of a 0/1 label into the
    empty interval (1, 1]."""
    values = list(values_or_threshold)
    if _continuous(series, values):
        numbers = pd.to_numeric(series)
        threshold = float(values[0])
        interval = pd.Interval(threshold, max(float(numbers.max()), threshold), closed="right")
        return numbers > threshold, str(interval)
    index = series.isin(values)
    if not index.any():
        index = series.isin(common.convert_positive_label_values(series, values))
    return index.astype(bool), ",".join(map(str, values))


def _continuous(series: pd.Series, values: list) -> bool:
    if common.series_datatype(series, values) != common.DataType.CONTINUOUS:
        return False
    holds_values = not pd.api.types.is_float_dtype(series) and series.isin(values).any() and \
        all(series.eq(value).any() for value in values)
    return not holds_values


def facet_groups(series: pd.Series, facet: Facet) -> list[tuple[pd.Series, str]]:
    """The sensitive groups of one facet: the configured values or threshold, else each value against the rest."""
    if facet.values_or_threshold:
        return [positive_index(series, facet.values_or_threshold)]
    return [(series == value, str(value)) for value in series.dropna().unique()]


def metric_functions(stage: str, names: list[str], has_group: bool) -> list:
    registered = smclarify_metrics.PRETRAINING_METRICS if stage == PRE_TRAINING else \
        smclarify_metrics.POSTTRAINING_METRICS
    known = {function.__name__: function for function in registered}
    if names == ["all"]:
        chosen = [f for f in registered if has_group or f.__name__ not in _NEEDS_GROUP]
    else:
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ClarifyConfigError(f"unknown {stage.split('_bias')[0].replace('_', '-')} bias metrics "
                                     f"{', '.join(unknown)} (known: {', '.join(sorted(known))})")
        chosen = [known[name] for name in names]
    return sorted(chosen, key=lambda function: function.__name__)


def bias_section(stage: str, frame: pd.DataFrame, label: str, label_values: list, facets: list[tuple[str, Facet]],
                 names: list[str], group: pd.Series | None = None, predicted: pd.Series | None = None,
                 features: list[str] | None = None) -> dict:
    """One of analysis.json's bias sections. ``facets``: (column name, facet); ``predicted``: the model's predicted
    labels (post-training only); ``features``: the columns FT compares neighbours over."""
    label_index, label_text = positive_index(frame[label], label_values)
    predicted_index = None
    if predicted is not None:
        predicted_index, _ = positive_index(predicted, label_values)
    functions = metric_functions(stage, names, group is not None)
    distributions = any(function.__name__ in DISTRIBUTION_METRICS for function in functions)
    section = {"label": label, "facets": {}, "label_value_or_threshold": label_text}
    for column, facet in facets:
        reports = section["facets"].setdefault(column, [])
        feature = frame[column]
        # FT looks for each facet row's nearest neighbours among the other rows, on the remaining features.
        others = frame[[name for name in (features or []) if name != column]]
        for sensitive, value_text in facet_groups(feature, facet):
            known = _distribution_metrics(label_index, sensitive) if distributions else {}
            reports.append({"value_or_threshold": value_text,
                            "metrics": [_metric(function, others, feature, sensitive, label_index, predicted_index,
                                                group, known) for function in functions]})
    return section


def label_distribution_metrics(label: pd.Series, sensitive: pd.Series) -> dict[str, float]:
    """KL, JS, LP, TVD and KS as smclarify defines them: over the label values both groups hold (smclarify's
    ``pdfs_aligned_nonzero``), P_a of the rest and P_d of the sensitive facet's rows."""
    pa = label[~sensitive].value_counts(normalize=True)
    pd_ = label[sensitive].value_counts(normalize=True)
    common_values = sorted(set(pa.index[pa > 0]) & set(pd_.index[pd_ > 0]))
    if not common_values:
        raise ValueError("No instance of common facet found, dataset may be too small")
    # reindex, not [...]: a list of the values False and True would be read as a mask
    pa, pd_ = pa.reindex(common_values).to_numpy(), pd_.reindex(common_values).to_numpy()
    mean = 0.5 * (pa + pd_)
    return {"KL": float(np.sum(pa * np.log(pa / pd_))),
            "JS": float(0.5 * (np.sum(pa * np.log(pa / mean)) + np.sum(pd_ * np.log(pd_ / mean)))),
            "LP": float(np.linalg.norm(pa - pd_, 2)), "TVD": float(0.5 * np.linalg.norm(pa - pd_, 1)),
            "KS": float(np.linalg.norm(pa - pd_, np.inf))}


def _distribution_metrics(label: pd.Series, sensitive: pd.Series) -> dict:
    try:
        return label_distribution_metrics(label, sensitive)
    except ValueError as error:
        return {name: error for name in DISTRIBUTION_METRICS}


def _metric(function, others, feature, sensitive, label_index, predicted_index, group, known: dict) -> dict:
    """One metric's entry; ``known``: values (or errors) already computed for this group by name."""
    result = {"name": function.__name__, "description": common.metric_description(function)}
    try:
        value = known.get(function.__name__)
        if value is None:
            value = smclarify_metrics.call_metric(
                function, df=others, feature=feature, sensitive_facet_index=sensitive, label=label_index,
                positive_label_index=label_index, predicted_label=predicted_index,
                positive_predicted_label_index=predicted_index, group_variable=group)
        elif isinstance(value, Exception):
            raise value
        result["value"] = _json_number(value)
    except Exception as error:  # smclarify's own report keeps going and records the metric's error
        result |= {"value": None, "error": str(error)}
    return result


def _json_number(value) -> float | str | None:
    """Infinity as the string Clarify writes; NaN as null (JSON has neither)."""
    value = float(value) if isinstance(value, (int, float, np.number)) else value
    if isinstance(value, float):
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if math.isnan(value):
            return None
    return value
