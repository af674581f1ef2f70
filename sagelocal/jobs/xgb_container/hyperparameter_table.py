"""The hyperparameters each XGBoost container version accepts, as data: read from
``algorithm_mode/hyperparameter_validation.py`` and ``constants/xgb_constants.py`` of
aws/sagemaker-xgboost-container at each version's tag (0.90-1 ... 3.0-5; 3.2-0 is the master branch).

A version is the one before it plus its changes. A spec is ``(kind, range)``:
  ``int`` / ``float``  an interval, written as the container prints it in its range errors;
  ``category``         the allowed values (printed as a Python list);
  ``list``             a comma-separated list whose items come from the values;
  ``tuple``            a Python tuple literal whose items come from the values (monotone_constraints);
  ``nested``           a list of lists whose items lie in the interval (interaction_constraints);
  ``metrics``          a comma-separated list of the version's metrics (eval_metric);
  ``tuning``           one of ``validation:<metric>`` (_tuning_objective_metric).
"""
from __future__ import annotations

REQUIRED = ("num_round",)
ALIASES = {"learning_rate": "eta", "min_split_loss": "gamma", "reg_lambda": "lambda", "reg_alpha": "alpha"}
# Hyperparameters the container reads itself and does not hand to xgboost.train as XGBoost parameters.
CONTAINER_ONLY = ("num_round", "csv_weights", "early_stopping_rounds", "_tuning_objective_metric",
                  "save_model_on_termination", "_nfold", "_kfold", "_num_cv_round", "use_dask_gpu_training")

_OBJECTIVES_0_90 = ("binary:logistic", "binary:logitraw", "binary:hinge", "count:poisson", "multi:softmax",
                    "multi:softprob", "rank:pairwise", "rank:ndcg", "rank:map", "reg:linear", "reg:squarederror",
                    "reg:logistic", "reg:gamma", "reg:tweedie", "survival:cox")
_UPDATERS_0_90 = ("grow_colmaker", "distcol", "grow_histmaker", "grow_local_histmaker", "grow_skmaker", "sync",
                  "refresh", "prune", "grow_colmaker", "distcol", "grow_histmaker", "grow_local_histmaker",
                  "grow_colmaker", "shotgun", "coord_descent", "refresh", "prune")

_BASE = {
    "num_round": ("int", "[1, +inf)"),
    "csv_weights": ("int", "[0, 1]"),
    "early_stopping_rounds": ("int", "[1, +inf)"),
    "booster": ("category", ("gbtree", "gblinear", "dart")),
    "silent": ("int", "[0, 1]"),
    "verbosity": ("int", "[0, 3]"),
    "nthread": ("int", "[1, +inf)"),
    "eta": ("float", "[0, 1]"),
    "gamma": ("float", "[0, +inf)"),
    "max_depth": ("int", "[0, +inf)"),
    "min_child_weight": ("float", "[0, +inf)"),
    "max_delta_step": ("float", "[0, +inf)"),
    "subsample": ("float", "(0, 1]"),
    "colsample_bytree": ("float", "(0, 1]"),
    "colsample_bylevel": ("float", "(0, 1]"),
    "colsample_bynode": ("float", "(0, 1]"),
    "lambda": ("float", "[0, +inf)"),
    "alpha": ("float", "[0, +inf)"),
    "tree_method": ("category", ("auto", "exact", "approx", "hist")),
    "sketch_eps": ("float", "(0, 1)"),
    "scale_pos_weight": ("float", "(0, +inf)"),
    "updater": ("list", _UPDATERS_0_90),
    "dsplit": ("category", ("row", "col")),
    "refresh_leaf": ("int", "[0, 1]"),
    "process_type": ("category", ("default", "update")),
    "grow_policy": ("category", ("depthwise", "lossguide")),
    "max_leaves": ("int", "[0, +inf)"),
    "max_bin": ("int", "[0, +inf)"),
    "predictor": ("category", ("cpu_predictor",)),
    "sample_type": ("category", ("uniform", "weighted")),
    "normalize_type": ("category", ("tree", "forest")),
    "rate_drop": ("float", "[0, 1]"),
    "one_drop": ("int", "[0, 1]"),
    "skip_drop": ("float", "[0, 1]"),
    "lambda_bias": ("float", "[0, 1]"),
    "tweedie_variance_power": ("float", "(1, 2)"),
    "objective": ("category", _OBJECTIVES_0_90),
    "num_class": ("int", "[2, +inf)"),
    "base_score": ("float", "[0, +inf)"),
    "_tuning_objective_metric": ("tuning", None),
    "eval_metric": ("metrics", None),
    "seed": ("int", "(-2147483648, 2147483647)"),
}

# The metrics each version names (XGB_MAXIMIZE_METRICS + XGB_MINIMIZE_METRICS, in that order).
_METRICS_0_90 = ("accuracy", "auc", "aucpr", "cox-nloglik", "f1", "gamma-nloglik", "map", "ndcg", "poisson-nloglik",
                 "tweedie-nloglik", "error", "gamma-deviance", "logloss", "mae", "merror", "mlogloss", "mse", "rmse")
_METRICS_1_0 = ("accuracy", "auc", "aucpr", "f1", "map", "ndcg", "cox-nloglik", "error", "gamma-deviance",
                "gamma-nloglik", "logloss", "mae", "merror", "mlogloss", "mse", "poisson-nloglik", "rmse", "rmsle",
                "tweedie-nloglik")
_METRICS_1_2_1 = ("accuracy", "auc", "aucpr", "f1", "map", "ndcg", "r2", "aft-nloglik", "cox-nloglik", "error",
                  "gamma-deviance", "gamma-nloglik", "interval-regression-accuracy", "logloss", "mae", "merror",
                  "mlogloss", "mphe", "mse", "poisson-nloglik", "rmse", "rmsle", "tweedie-nloglik")
_METRICS_1_2_2 = _METRICS_1_2_1[:4] + ("f1_binary", "f1_macro") + _METRICS_1_2_1[4:]
_METRICS_1_3 = ("accuracy", "auc", "aucpr", "balanced_accuracy", "f1", "f1_binary", "f1_macro", "map", "ndcg",
                "precision", "r2", "recall", "precision_macro", "precision_micro", "recall_macro", "recall_micro",
                "aft-nloglik", "cox-nloglik", "error", "gamma-deviance", "gamma-nloglik",
                "interval-regression-accuracy", "logloss", "mae", "mape", "merror", "mlogloss", "mphe", "mse",
                "poisson-nloglik", "rmse", "rmsle", "tweedie-nloglik")

# The updater rule's plugin lists and texts (they changed with XGBoost's updaters).
_TREE_PLUGINS_0_90 = ("grow_colmaker", "distcol", "grow_histmaker", "grow_local_histmaker", "grow_skmaker", "sync",
                      "refresh", "prune")
_UPDATER_RULE_0_90 = {
    "tree_plugins": _TREE_PLUGINS_0_90,
    "grow_plugins": ("grow_colmaker", "distcol", "grow_histmaker", "grow_local_histmaker", "grow_colmaker"),
    "tree_message": "Tree updater should be selected from these options: 'grow_colmaker', 'distcol', "
                    "'grow_histmaker', 'grow_local_histmaker', 'grow_skmaker', 'sync', 'refresh', 'prune', "
                    "'shortgun', 'coord_descent'.",
    "grow_message": "Only one tree grow plugin can be selected. Choose one from thefollowing: 'grow_colmaker', "
                    "'distcol', 'grow_histmaker', 'grow_local_histmaker', 'grow_skmaker'",
}
_UPDATER_RULE_1_0 = {
    "tree_plugins": _TREE_PLUGINS_0_90 + ("grow_quantile_histmaker",),
    "grow_plugins": _UPDATER_RULE_0_90["grow_plugins"] + ("grow_quantile_histmaker",),
    "tree_message": "Tree updater should be selected from these options: 'grow_colmaker', 'distcol', "
                    "'grow_histmaker', 'grow_local_histmaker', 'grow_skmaker', 'grow_quantile_histmaker', 'sync', "
                    "'refresh', 'prune', 'shortgun', 'coord_descent'.",
    "grow_message": _UPDATER_RULE_0_90["grow_message"],
}
_UPDATER_RULE_1_7 = {
    "tree_plugins": ("grow_colmaker", "distcol", "grow_histmaker", "grow_skmaker", "sync", "refresh", "prune",
                     "grow_quantile_histmaker"),
    "grow_plugins": ("grow_colmaker", "distcol", "grow_histmaker", "grow_colmaker", "grow_quantile_histmaker"),
    "tree_message": "Tree updater should be selected from these options: 'grow_colmaker', 'distcol', "
                    "'grow_histmaker', 'grow_skmaker', 'grow_quantile_histmaker', 'sync', 'refresh', 'prune', "
                    "'shortgun', 'coord_descent'.",
    "grow_message": "Only one tree grow plugin can be selected. Choose one from thefollowing: 'grow_colmaker', "
                    "'distcol', 'grow_histmaker', 'grow_skmaker'",
}

# Each version: what changed from the one before. "rules" switch the container's checks that are code:
#   gpu_refused      tree_method/predictor containing "gpu" fail with "GPU training is not supported yet."
#   objective_always eval_metric's check reads the objective even without auc/aft-nloglik in the list
#                    (so eval_metric without objective fails with KeyError: 'objective'), and checks aft-nloglik
#   weighted_validation  csv_weights applies to the validation channel too (before 1.2 only to train)
_CHANGES = (
    ("0.90-1", {"set": _BASE, "aliases": {}, "metrics": _METRICS_0_90, "updater_rule": _UPDATER_RULE_0_90,
                "rules": {"gpu_refused": True, "objective_always": False, "weighted_validation": False}}),
    ("0.90-2", {"set": {"num_parallel_tree": ("int", "[1, +inf)")}, "aliases": ALIASES}),
    ("1.0-1", {"set": {"monotone_constraints": ("tuple", (-1, 0, 1)), "interaction_constraints": ("nested", "[1, +inf)"),
                       "objective": ("category", _OBJECTIVES_0_90[:13] + ("reg:squaredlogerror",) + _OBJECTIVES_0_90[13:]),
                       "save_model_on_termination": ("category", ("true", "false"))},
               "metrics": _METRICS_1_0, "updater_rule": _UPDATER_RULE_1_0}),
    ("1.2-1", {"set": {"_nfold": ("int", "[2, +inf)"),
                       "tree_method": ("category", ("auto", "exact", "approx", "hist", "gpu_hist")),
                       "predictor": ("category", ("auto", "cpu_predictor", "gpu_predictor")),
                       "objective": ("category", ("aft_loss_distribution", "binary:logistic", "binary:logitraw",
                                                  "binary:hinge", "count:poisson", "multi:softmax", "multi:softprob",
                                                  "rank:pairwise", "rank:ndcg", "rank:map", "reg:linear",
                                                  "reg:squarederror", "reg:logistic", "reg:gamma",
                                                  "reg:pseudohubererror", "reg:squaredlogerror", "reg:tweedie",
                                                  "survival:aft", "survival:cox")),
                       "aft_loss_distribution": ("category", ("normal", "logistic", "extreme")),
                       "aft_loss_distribution_scale": ("float", "[0, +inf)"),
                       "single_precision_histogram": ("category", ("true", "false")),
                       "deterministic_histogram": ("category", ("true", "false"))},
               "remove": ("silent",), "metrics": _METRICS_1_2_1,
               "rules": {"gpu_refused": False, "objective_always": True, "weighted_validation": True}}),
    ("1.2-2", {"set": {"_kfold": ("int", "[2, +inf)"), "_num_cv_round": ("int", "[1, +inf)")},
               "remove": ("_nfold",), "metrics": _METRICS_1_2_2}),
    ("1.3-1", {"set": {"sampling_method": ("category", ("uniform", "gradient_based")),
                       "prob_buffer_row": ("int", "(1.0, +inf)")},
               "metrics": _METRICS_1_3}),
    ("1.5-1", {}),
    ("1.7-1", {"set": {"updater": ("list", tuple(u for u in _UPDATERS_0_90 if u != "grow_local_histmaker")),
                       "use_dask_gpu_training": ("category", ("true", "false"))},
               "remove": ("single_precision_histogram",), "updater_rule": _UPDATER_RULE_1_7}),
    ("3.0-5", {"set": {"objective": ("category", ("aft_loss_distribution", "binary:logistic", "binary:logitraw",
                                                  "binary:hinge", "count:poisson", "multi:softmax", "multi:softprob",
                                                  "rank:pairwise", "rank:ndcg", "rank:map", "reg:linear",
                                                  "reg:squarederror", "reg:logistic", "reg:gamma",
                                                  "reg:pseudohubererror", "reg:squaredlogerror", "reg:absoluteerror",
                                                  "reg:tweedie", "survival:aft", "survival:cox"))}}),
    ("3.2-0", {}),
)


def version_table(version: str) -> dict:
    """{"specs": {name: (kind, range)}, "aliases", "metrics", "updater_rule", "rules"} of one container version."""
    table: dict = {"specs": {}}
    for name, changes in _CHANGES:
        table["specs"] = {key: spec for key, spec in {**table["specs"], **changes.get("set", {})}.items()
                          if key not in changes.get("remove", ())}
        table.update({key: value for key, value in changes.items() if key not in ("set", "remove")})
        if name == version:
            return table
    raise KeyError(version)
