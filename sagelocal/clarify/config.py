"""The analysis configuration (``analysis_config.json``) the SageMaker SDK uploads for a Clarify job.

Only what the tabular analyses read is interpreted; anything this runtime cannot do (JSON Lines datasets, PDP,
text or image explanations, multi-instance shadow endpoints) is refused by name rather than ignored.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED_DATASET_TYPES = ("text/csv",)
SUPPORTED_METHODS = ("pre_training_bias", "post_training_bias", "shap", "report")
AGG_METHODS = ("mean_abs", "median", "mean_sq")
DEFAULT_PROBABILITY_THRESHOLD = 0.5  # Clarify's default cut between a negative and a positive predicted label


class ClarifyConfigError(ValueError):
    """The analysis configuration asks for something that is missing, malformed or unsupported."""


@dataclass
class Facet:
    name_or_index: str | int
    values_or_threshold: list | None  # None: one-vs-rest over every value of the facet


@dataclass
class ShapSettings:
    baseline: list[list] | str | None
    num_samples: int | None
    agg_method: str
    use_logit: bool
    save_local_shap_values: bool
    seed: int | None
    num_clusters: int | None


@dataclass
class AnalysisConfig:
    dataset_type: str
    headers: list[str] | None
    label: str | int | None
    label_values: list | None
    facets: list[Facet]
    group_variable: str | int | None
    excluded_columns: list
    pre_training_methods: list[str] | None  # None: the analysis is not asked for; ["all"]: every metric
    post_training_methods: list[str] | None
    shap: ShapSettings | None
    report: dict | None
    predictor: dict
    probability_threshold: float
    raw: dict = field(repr=False, default_factory=dict)

    @property
    def needs_model(self) -> bool:
        return self.post_training_methods is not None or self.shap is not None


def load(path: Path) -> AnalysisConfig:
    try:
        document = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ClarifyConfigError(f"cannot read the analysis configuration {path}: {error}") from None
    return parse(document)


def parse(document: dict) -> AnalysisConfig:
    if not isinstance(document, dict):
        raise ClarifyConfigError("the analysis configuration must be a JSON object")
    dataset_type = document.get("dataset_type")
    if dataset_type not in SUPPORTED_DATASET_TYPES:
        raise ClarifyConfigError(f"dataset_type {dataset_type!r} is not supported offline "
                                 f"(supported: {', '.join(SUPPORTED_DATASET_TYPES)})")
    methods = document.get("methods")
    if not isinstance(methods, dict) or not methods:
        raise ClarifyConfigError("methods is missing: ask for pre_training_bias, post_training_bias or shap")
    unknown = sorted(set(methods) - set(SUPPORTED_METHODS))
    if unknown:
        raise ClarifyConfigError(f"methods {', '.join(unknown)} are not supported offline "
                                 f"(supported: {', '.join(SUPPORTED_METHODS)})")
    pre, post = _metric_names(methods, "pre_training_bias"), _metric_names(methods, "post_training_bias")
    label_values = document.get("label_values_or_threshold")
    if (pre is not None or post is not None):
        if document.get("label") is None:
            raise ClarifyConfigError("bias metrics need the label column: set label")
        if not label_values:
            raise ClarifyConfigError("bias metrics need label_values_or_threshold (the positive label values)")
        if not document.get("facet"):
            raise ClarifyConfigError("bias metrics need at least one facet (name_or_index)")
    predictor = document.get("predictor") or {}
    config = AnalysisConfig(
        dataset_type=dataset_type,
        headers=document.get("headers"),
        label=document.get("label"),
        label_values=list(label_values) if isinstance(label_values, list) else label_values,
        facets=[_facet(item) for item in document.get("facet") or []],
        group_variable=document.get("group_variable"),
        excluded_columns=list(document.get("excluded_columns") or []),
        pre_training_methods=pre,
        post_training_methods=post,
        shap=_shap(methods["shap"]) if "shap" in methods else None,
        report=methods.get("report"),
        predictor=predictor,
        probability_threshold=float(document.get("probability_threshold", DEFAULT_PROBABILITY_THRESHOLD)),
        raw=document,
    )
    return config


def _metric_names(methods: dict, key: str) -> list[str] | None:
    if key not in methods:
        return None
    names = (methods[key] or {}).get("methods", "all")
    names = [names] if isinstance(names, str) else list(names)
    return ["all"] if "all" in names else names


def _facet(item) -> Facet:
    if not isinstance(item, dict) or "name_or_index" not in item:
        raise ClarifyConfigError(f"a facet needs name_or_index, got {item!r}")
    values = item.get("value_or_threshold")
    return Facet(item["name_or_index"], list(values) if values is not None else None)


def _shap(body: dict) -> ShapSettings:
    body = body or {}
    for unsupported in ("text_config", "image_config", "features_to_explain"):
        if unsupported in body:
            raise ClarifyConfigError(f"shap.{unsupported} is not supported offline (tabular Kernel SHAP only)")
    agg_method = body.get("agg_method", "mean_abs")
    if agg_method not in AGG_METHODS:
        raise ClarifyConfigError(f"shap.agg_method {agg_method!r} is not one of {', '.join(AGG_METHODS)}")
    num_samples = body.get("num_samples")
    if num_samples is not None and (not isinstance(num_samples, int) or num_samples < 1):
        raise ClarifyConfigError(f"shap.num_samples must be a positive integer, got {num_samples!r}")
    return ShapSettings(baseline=body.get("baseline"), num_samples=num_samples, agg_method=agg_method,
                        use_logit=bool(body.get("use_logit", False)),
                        save_local_shap_values=bool(body.get("save_local_shap_values", True)),
                        seed=body.get("seed"), num_clusters=body.get("num_clusters"))
