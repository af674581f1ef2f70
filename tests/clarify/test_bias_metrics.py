"""Bias metrics on a table small enough to count by hand, against the published definitions (the SageMaker
Developer Guide's pages clarify-measure-data-bias and clarify-measure-post-training-bias: a = the advantaged rows,
d = the sensitive facet's rows).

The table (d: sex = 1, rows 0-3; a: sex = 0, rows 4-9; group g: rows 0, 1, 4, 5 are g=1):

    row  sex y  yhat  x  g        a: y = 1 1 1 0 0 1, yhat = 1 1 0 0 1 1  (TP 3, FN 1, TN 1, FP 1)
    0    1   1  1    11  1        d: y = 1 0 0 1,     yhat = 1 0 1 1      (TP 2, FN 0, TN 1, FP 1)
    1    1   0  0    21  1
    2    1   0  1    31  2        n_a = 6, n_d = 4; q_a = 4/6, q_d = 2/4; predicted q^_a = 4/6, q^_d = 3/4
    3    1   1  1    41  2
    4..9 0   ...     10, 20, ..., 60 with g = 1 1 2 2 2 2
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sagelocal.clarify import bias
from sagelocal.clarify.config import ClarifyConfigError, Facet

TABLE = pd.DataFrame({
    "sex": [1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
    "y": [1, 0, 0, 1, 1, 1, 1, 0, 0, 1],
    "x": [11, 21, 31, 41, 10, 20, 30, 40, 50, 60],
    "g": [1, 1, 2, 2, 1, 1, 2, 2, 2, 2],
})
PREDICTED = pd.Series([1, 0, 1, 1, 1, 1, 0, 0, 1, 1])
FACETS = [("sex", Facet("sex", [1]))]
FEATURES = ["sex", "x", "g"]

# Label distributions (negative, positive): P_a = (1/3, 2/3), P_d = (1/2, 1/2), their mean P = (5/12, 7/12).
PA, PD, PM = (1 / 3, 2 / 3), (1 / 2, 1 / 2), (5 / 12, 7 / 12)
PRE_TRAINING = {
    "CI": (6 - 4) / 10,  # (n_a - n_d) / n
    "DPL": 4 / 6 - 2 / 4,  # q_a - q_d
    "KL": sum(a * math.log(a / d) for a, d in zip(PA, PD)),
    "JS": 0.5 * (sum(a * math.log(a / m) for a, m in zip(PA, PM)) + sum(d * math.log(d / m) for d, m in zip(PD, PM))),
    "LP": math.sqrt((1 / 3 - 1 / 2) ** 2 + (2 / 3 - 1 / 2) ** 2),
    "TVD": 0.5 * (abs(1 / 3 - 1 / 2) + abs(2 / 3 - 1 / 2)),
    "KS": max(abs(1 / 3 - 1 / 2), abs(2 / 3 - 1 / 2)),
    # Per group: DD = d's share of the rejected - d's share of the accepted; g=1 (4 rows): 1/1 - 1/3, g=2 (6 rows):
    # 1/3 - 1/3. CDD = sum(n_g * DD_g) / n.
    "CDDL": (4 * (1 - 1 / 3) + 6 * 0) / 10,
}
POST_TRAINING = {
    "DPPL": 4 / 6 - 3 / 4,  # q^_a - q^_d
    "DI": (3 / 4) / (4 / 6),  # q^_d / q^_a
    "DCA": 4 / 4 - 2 / 3,  # c_a - c_d, c = observed positives / predicted positives
    "DCR": 2 / 1 - 2 / 2,  # r_d - r_a, r = observed negatives / predicted negatives
    "RD": 3 / 4 - 2 / 2,  # recall_a - recall_d
    "SD": 1 / 2 - 1 / 2,  # specificity_d - specificity_a
    "DAR": 3 / 4 - 2 / 3,  # precision_a - precision_d
    "DRR": 1 / 1 - 1 / 2,  # TN/(TN+FN): d - a
    "AD": 4 / 6 - 3 / 4,  # accuracy_a - accuracy_d
    "TE": 0 / 1 - 1 / 1,  # FN/FP: d - a
    # Predicted labels per group: g=1: d's share of rejected 1/1, of accepted 1/3; g=2: 0/2 and 2/4.
    "CDDPL": (4 * (1 - 1 / 3) + 6 * (0 - 1 / 2)) / 10,
    # 1-NN of each d row among the a rows on (x, g): rows 4, 5, 6, 7 predict 1, 1, 0, 0 against the model's
    # 1, 0, 1, 1: two flips to positive, one to negative, over 4 rows.
    "FT": (2 - 1) / 4,
}


def metrics(section: dict) -> dict:
    [group] = section["facets"]["sex"]
    assert group["value_or_threshold"] == "1"
    return {metric["name"]: metric["value"] for metric in group["metrics"]}


def test_pre_training_metrics_match_the_published_definitions():
    section = bias.bias_section(bias.PRE_TRAINING, TABLE, "y", [1], FACETS, ["all"], TABLE["g"], features=FEATURES)
    assert section["label"] == "y" and section["label_value_or_threshold"] == "1"
    assert metrics(section) == pytest.approx(PRE_TRAINING, abs=1e-12)
    assert list(metrics(section)) == sorted(PRE_TRAINING)  # in name order, as Clarify lists them


def test_post_training_metrics_match_the_published_definitions():
    section = bias.bias_section(bias.POST_TRAINING, TABLE, "y", [1], FACETS, list(POST_TRAINING), TABLE["g"],
                                predicted=PREDICTED, features=FEATURES)
    assert metrics(section) == pytest.approx(POST_TRAINING, abs=1e-12)


def test_without_a_group_variable_all_leaves_out_the_conditional_metrics():
    section = bias.bias_section(bias.PRE_TRAINING, TABLE, "y", [1], FACETS, ["all"], features=FEATURES)
    assert "CDDL" not in metrics(section) and len(metrics(section)) == 7


def test_a_threshold_facet_is_the_rows_above_it():
    # x > 40: rows 3, 8, 9 (y = 1, 0, 1) against the other seven (y = 1 0 0 1 1 1 0).
    section = bias.bias_section(bias.PRE_TRAINING, TABLE.assign(x=TABLE["x"].astype(float)), "y", [1],
                                [("x", Facet("x", [40]))], ["CI", "DPL"], features=FEATURES)
    [group] = section["facets"]["x"]
    assert group["value_or_threshold"] == "(40.0, 60.0]"
    values = {metric["name"]: metric["value"] for metric in group["metrics"]}
    assert values == pytest.approx({"CI": (7 - 3) / 10, "DPL": 4 / 7 - 2 / 3}, abs=1e-12)


def test_a_facet_without_values_is_each_value_against_the_rest():
    section = bias.bias_section(bias.PRE_TRAINING, TABLE, "y", [1], [("sex", Facet("sex", None))], ["CI"])
    assert {group["value_or_threshold"]: group["metrics"][0]["value"] for group in section["facets"]["sex"]} == \
        pytest.approx({"1": 0.2, "0": -0.2})


def test_a_metric_that_cannot_be_computed_is_recorded_with_its_error():
    one_group = TABLE.assign(sex=1)
    section = bias.bias_section(bias.PRE_TRAINING, one_group, "y", [1], FACETS, ["CI"])
    [metric] = section["facets"]["sex"][0]["metrics"]
    assert metric["value"] is None and "negated facet set is empty" in metric["error"]


def test_an_unknown_metric_is_refused_by_name():
    with pytest.raises(ClarifyConfigError, match="unknown pre-training bias metrics XYZ"):
        bias.bias_section(bias.PRE_TRAINING, TABLE, "y", [1], FACETS, ["CI", "XYZ"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_label_distribution_metrics_equal_smclarifys_own_functions(seed):
    from smclarify.bias.metrics import pretraining

    generator = np.random.default_rng(seed)
    label = pd.Series(generator.random(500) < 0.3 + 0.1 * seed)
    sensitive = pd.Series(generator.random(500) < 0.4)
    ours = bias.label_distribution_metrics(label, sensitive)
    theirs = {name: getattr(pretraining, name)(label, sensitive) for name in bias.DISTRIBUTION_METRICS}
    assert ours == pytest.approx(theirs, abs=1e-15)
