"""``constraints.json``: suggested from statistics as Model Monitor does, and read from files of every era.

Baseline ``statistics.json`` files are read (and checked) here too: both are the baseline a run trusts.

Reading normalises three spellings: current keys (``perform_comparison``, ``comparison_method``,
``categorical_*``), 2019 keys (``enable_comparisons``, ``min_domain_mass``), and per-feature overrides written
either as ``monitoringConfigOverrides`` on the feature or as ``monitoring_config_overrides`` inside its
``string_constraints`` / ``num_constraints``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sagelocal.errors import UserError
from sagelocal.monitor import dtypes

# Deequ CategoricalRangeRule: suggest a domain only when values seen once are at most this share of categories.
_SINGLETON_SHARE = 0.1
# Documented defaults for keys a file leaves out (suggested files always write 1.0 for the first two).
_DEFAULT_THRESHOLD = 0.1
DRIFT_METHODS = ("LInfinity", "ChiSquared")
COMPARISON_METHODS = ("Simple", "Robust")
_TYPES = (dtypes.INTEGRAL, dtypes.FRACTIONAL, dtypes.STRING, dtypes.UNKNOWN, dtypes.BOOLEAN)
# What json.loads makes of a number. Sketches hold ~150,000 of them: testing each value's type against this set
# (in C) takes a tenth of the time of a Python call per value.
_JSON_NUMBERS = frozenset((int, float))
# How Jackson (and so AWS and :mod:`jsonfmt`) writes a non-finite double: a string, which numpy reads back.
_JACKSON_NON_FINITE = frozenset(("NaN", "Infinity", "-Infinity"))


def suggest_constraints(statistics: dict, categorical_drift_method: str = "LInfinity") -> dict:
    """The ``constraints.json`` document Model Monitor suggests for a baseline ``statistics`` document."""
    if categorical_drift_method not in DRIFT_METHODS:
        raise UserError(f"categorical_drift_method must be one of {', '.join(DRIFT_METHODS)}")
    features = []
    for feature in statistics["features"]:
        kind = feature["inferred_type"]
        stats = feature.get("numerical_statistics") or feature.get("string_statistics") or {}
        common = stats.get("common", {})
        rows = common.get("num_present", 0) + common.get("num_missing", 0)
        suggested = {"name": feature["name"], "inferred_type": kind,
                     "completeness": common.get("num_present", 0) / rows if rows else 0.0}
        if kind in dtypes.NUMERIC_TYPES and stats.get("min", -1.0) >= 0:
            suggested["num_constraints"] = {"is_non_negative": True}
        domains = _suggested_domains(stats)
        if kind == dtypes.STRING and domains:
            suggested["string_constraints"] = {"domains": domains}
        features.append(suggested)
    return {"version": 0.0, "features": features, "monitoring_config": {
        "evaluate_constraints": "Enabled", "emit_metrics": "Enabled",
        "datatype_check_threshold": 1.0, "domain_content_threshold": 1.0,
        "distribution_constraints": {"perform_comparison": "Enabled", "comparison_threshold": 0.1,
                                     "comparison_method": "Robust", "categorical_comparison_threshold": 0.1,
                                     "categorical_drift_method": categorical_drift_method}}}


def _suggested_domains(stats: dict) -> list:
    buckets = stats.get("distribution", {}).get("categorical", {}).get("buckets")
    if not buckets:
        return []
    singletons = sum(1 for bucket in buckets if bucket["count"] == 1)
    return [bucket["value"] for bucket in buckets] if singletons / len(buckets) <= _SINGLETON_SHARE else []


@dataclass(frozen=True)
class FeatureConstraint:
    """One feature's constraints, normalised."""

    name: str
    inferred_type: str
    completeness: float | None
    domains: tuple | None
    evaluate: bool
    emit_metrics: bool


@dataclass(frozen=True)
class MonitoringConfig:
    """``monitoring_config``, normalised across eras."""

    evaluate_constraints: bool = True
    emit_metrics: bool = True
    datatype_check_threshold: float = _DEFAULT_THRESHOLD
    domain_content_threshold: float = _DEFAULT_THRESHOLD
    perform_comparison: bool = True
    comparison_threshold: float = _DEFAULT_THRESHOLD
    comparison_method: str = "Robust"
    categorical_comparison_threshold: float = _DEFAULT_THRESHOLD
    categorical_drift_method: str = "LInfinity"


def load_json(path: Path, what: str) -> dict:
    """A JSON object from ``path``, or one :class:`UserError` naming the file and the position."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read {what}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: {what} is not UTF-8 text") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: {what} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") \
            from None
    if not isinstance(document, dict):
        raise UserError(f"{path}: {what} must be a JSON object")
    return document


def read_statistics(path: Path) -> dict:
    """A baseline ``statistics.json``, checked where the checks will read it.

    Raises
    ------
    UserError
        Naming the file and the feature for a missing name, a malformed sketch or malformed buckets.
    """
    document = load_json(path, "baseline statistics")
    features = document.get("features")
    if not isinstance(features, list):
        raise UserError(f"{path}: baseline statistics need a \"features\" list")
    for index, feature in enumerate(features):
        where = f"{path}: features[{index}]"
        if not isinstance(feature, dict) or not isinstance(feature.get("name"), str):
            raise UserError(f"{where}: needs a \"name\" string")
        distribution = (feature.get("numerical_statistics") or feature.get("string_statistics") or {}).get(
            "distribution") or {}
        sketch = (distribution.get("kll") or {}).get("sketch")
        if sketch is not None and not _is_sketch(sketch):
            raise UserError(f"{where} ({feature['name']}): kll.sketch needs numeric parameters c, k and "
                            "\"data\" as lists of numbers")
        buckets = (distribution.get("categorical") or {}).get("buckets")
        if buckets is not None and not (isinstance(buckets, list) and all(
                isinstance(b, dict) and "value" in b and _is_number(b.get("count")) for b in buckets)):
            raise UserError(f"{where} ({feature['name']}): categorical.buckets need \"value\" and numeric "
                            "\"count\"")
    return document


def _is_sketch(sketch) -> bool:
    parameters = sketch.get("parameters") if isinstance(sketch, dict) else None
    data = sketch.get("data") if isinstance(sketch, dict) else None
    return (isinstance(parameters, dict) and _is_number(parameters.get("c")) and _is_number(parameters.get("k"))
            and isinstance(data, list)
            and all(isinstance(level, list) and (_JSON_NUMBERS.issuperset(map(type, level)) or all(map(
                _is_sketch_item, level))) for level in data))


def _is_sketch_item(item) -> bool:
    return _is_number(item) or isinstance(item, str) and item in _JACKSON_NON_FINITE


def read_constraints(path: Path) -> tuple:
    """Parse a constraints file into ``([FeatureConstraint], MonitoringConfig)``.

    Raises
    ------
    UserError
        For invalid JSON or a malformed feature, naming the file and the feature's position.
    """
    document = load_json(path, "constraints")
    features = document.get("features")
    if not isinstance(features, list):
        raise UserError(f"{path}: constraints need a \"features\" list")
    config = _config(document.get("monitoring_config") or {}, path)
    return [_feature(entry, index, path, config) for index, entry in enumerate(features)], config


def _feature(entry, index: int, path: Path, config: MonitoringConfig) -> FeatureConstraint:
    where = f"{path}: features[{index}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise UserError(f"{where}: needs a \"name\" string")
    kind = entry.get("inferred_type", dtypes.UNKNOWN)
    if kind not in _TYPES:
        raise UserError(f"{where} ({entry['name']}): unknown inferred_type {kind!r}")
    completeness = entry.get("completeness")
    if completeness is not None and not _is_number(completeness):
        raise UserError(f"{where} ({entry['name']}): completeness must be a number")
    strings = entry.get("string_constraints") or {}
    domains = strings.get("domains")
    if domains is not None and not isinstance(domains, list):
        raise UserError(f"{where} ({entry['name']}): string_constraints.domains must be a list")
    overrides = {**(entry.get("num_constraints") or {}).get("monitoring_config_overrides", {}),
                 **strings.get("monitoring_config_overrides", {}), **(entry.get("monitoringConfigOverrides") or {})}
    return FeatureConstraint(
        entry["name"], kind, completeness, tuple(domains) if domains is not None else None,
        _enabled(overrides.get("evaluate_constraints"), config.evaluate_constraints, where),
        _enabled(overrides.get("emit_metrics"), config.emit_metrics, where))


def _config(raw: dict, path: Path) -> MonitoringConfig:
    where = f"{path}: monitoring_config"
    if not isinstance(raw, dict):
        raise UserError(f"{where} must be an object")
    distribution = raw.get("distribution_constraints") or {}
    comparison = distribution.get("perform_comparison", distribution.get("enable_comparisons"))
    threshold = _number(distribution, "comparison_threshold", _DEFAULT_THRESHOLD, where)
    method = distribution.get("comparison_method", "Robust")
    drift = distribution.get("categorical_drift_method", "LInfinity")
    if method not in COMPARISON_METHODS:
        raise UserError(f"{where}: comparison_method must be one of {', '.join(COMPARISON_METHODS)}")
    if drift not in DRIFT_METHODS:
        raise UserError(f"{where}: categorical_drift_method must be one of {', '.join(DRIFT_METHODS)}")
    domain_default = _number(distribution, "min_domain_mass", _DEFAULT_THRESHOLD, where)
    return MonitoringConfig(
        evaluate_constraints=_enabled(raw.get("evaluate_constraints"), True, where),
        emit_metrics=_enabled(raw.get("emit_metrics"), True, where),
        datatype_check_threshold=_number(raw, "datatype_check_threshold", _DEFAULT_THRESHOLD, where),
        domain_content_threshold=_number(raw, "domain_content_threshold", domain_default, where),
        perform_comparison=_enabled(comparison, True, where),
        comparison_threshold=threshold, comparison_method=method,
        categorical_comparison_threshold=_number(distribution, "categorical_comparison_threshold", threshold, where),
        categorical_drift_method=drift)


def _enabled(value, default: bool, where: str) -> bool:
    """``"Enabled"``/``"Disabled"`` (current) or ``true``/``false`` (2019 ``enable_comparisons``)."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if value in ("Enabled", "Disabled"):
        return value == "Enabled"
    raise UserError(f"{where}: expected \"Enabled\" or \"Disabled\", got {value!r}")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(raw: dict, key: str, default: float, where: str) -> float:
    value = raw.get(key, default)
    if not _is_number(value):
        raise UserError(f"{where}: {key} must be a number, got {value!r}")
    return float(value)
