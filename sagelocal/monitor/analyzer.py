"""The ``sagemaker-model-monitor-analyzer`` container contract: configuration from environment variables.

``analysis_type=MODEL_QUALITY`` runs the model-quality analysis (:mod:`sagelocal.monitor.model_quality`,
configured by ``problem_type`` and the ``*_attribute`` variables), else data quality.
Baselining when neither ``baseline_statistics`` nor ``baseline_constraints`` is set (writes statistics.json
and constraints.json to ``output_path``); monitoring otherwise (also constraint_violations.json, report.html,
the message file and CloudWatch metric records). ``python -m sagelocal.monitor.analyzer`` runs it.

Exit status: 0 Completed, 3 CompletedWithViolations, 1 Failed (the reason is written to the message file,
as AWS's ``FailureReason``, e.g. ``Job inputs had no data``).
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from sagelocal.errors import UserError

EXIT_COMPLETED, EXIT_FAILED, EXIT_VIOLATIONS = 0, 1, 3
MODEL_QUALITY = "MODEL_QUALITY"  # analysis_type of a model-quality job (else data quality)
DEFAULT_MESSAGE_FILE = "/opt/ml/output/message"
DEFAULT_METRICS_DIRECTORY = "/opt/ml/output/metrics/cloudwatch"
# The configuration the container logs when it starts (its stdout is the job's CloudWatch log stream).
_LOGGED_SETTINGS = ("dataset_source", "dataset_format", "record_preprocessor_script", "post_analytics_processor_script",
                    "baseline_constraints", "baseline_statistics", "output_path", "start_time", "end_time",
                    "cloudwatch_metrics_directory", "publish_cloudwatch_metrics", "sagemaker_endpoint_name",
                    "sagemaker_monitoring_schedule_name", "output_message_file", "analysis_type", "problem_type",
                    "inference_attribute", "probability_attribute", "probability_threshold_attribute",
                    "ground_truth_attribute")


def dataset_format(raw: str | None, monitoring: bool) -> tuple:
    """Parse ``dataset_format`` JSON into ``(format, csv header flag)``.

    Accepts ``{"csv": {"header": bool, ...}}``, ``{"json": {"lines": bool}}``, ``{"parquet": {}}`` and
    ``{"sagemakerCaptureJson": {...}}``; monitoring defaults to capture when it is unset.
    """
    if not raw:
        if monitoring:
            return "capture", False
        raise UserError("dataset_format is required for a baselining job")
    try:
        spec = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UserError(f"dataset_format is not valid JSON: {exc.msg}") from None
    if not isinstance(spec, dict) or len(spec) != 1:
        raise UserError(f"dataset_format must be an object with one key, got {raw!r}")
    (kind, options), = spec.items()
    options = options if isinstance(options, dict) else {}
    known = {"csv": "csv", "json": "json", "parquet": "parquet", "sagemakerCaptureJson": "capture",
             "sagemakerMergeJson": "merge"}
    if kind not in known:
        raise UserError(f"dataset_format: unknown format {kind!r} (expected one of {', '.join(known)})")
    return known[kind], bool(options.get("header", False))


def main(environ: dict | None = None) -> int:
    """Run one analysis configured by ``environ`` (default ``os.environ``); returns the exit status."""
    env = dict(os.environ if environ is None else environ)
    message_file = Path(env.get("output_message_file") or DEFAULT_MESSAGE_FILE)
    print("analyzer: input " + json.dumps({k: env[k] for k in _LOGGED_SETTINGS if k in env}), flush=True)
    try:
        status = _run(env, message_file)
        print(f"analyzer: {message_file.read_text() if message_file.is_file() else 'done'}", flush=True)
        return status
    except UserError as exc:
        from sagelocal.monitor import outputs

        print(f"analyzer: error: {exc}", file=sys.stderr)
        try:
            outputs.write_message(message_file, str(exc))
        except OSError as write_error:
            print(f"analyzer: cannot write {message_file}: {write_error.strerror}", file=sys.stderr)
        return EXIT_FAILED


def _required(env: dict, key: str) -> str:
    if not env.get(key):
        raise UserError(f"environment variable {key} is required")
    return env[key]


def _run(env: dict, message_file: Path) -> int:
    from sagelocal.monitor import api, outputs
    from sagelocal.monitor.capture import parse_time

    monitoring = bool(env.get("baseline_statistics") or env.get("baseline_constraints"))
    fmt, header = dataset_format(env.get("dataset_format"), monitoring)
    source, output = Path(_required(env, "dataset_source")), Path(_required(env, "output_path"))
    if env.get("analysis_type") == MODEL_QUALITY:
        return _run_model_quality(env, monitoring, source, fmt, header, output, message_file)
    if not monitoring:
        result = api.run_baseline(source, output, fmt, header, env.get("categorical_drift_method") or "LInfinity")
        outputs.write_message(message_file, result.message)
        return EXIT_COMPLETED
    start = parse_time(env["start_time"], "start_time") if env.get("start_time") else None
    end = parse_time(env["end_time"], "end_time") if env.get("end_time") else None
    result = api.run_monitoring(
        source, fmt, _required(env, "baseline_statistics"), _required(env, "baseline_constraints"), output,
        header=header, start=start, end=end, preprocessor_script=env.get("record_preprocessor_script") or None,
        postprocessor_script=env.get("post_analytics_processor_script") or None,
        metrics_dir=Path(env.get("cloudwatch_metrics_directory") or DEFAULT_METRICS_DIRECTORY),
        message_file=message_file, publish_metrics=env.get("publish_cloudwatch_metrics") == "Enabled",
        dimensions={"EndpointName": env.get("sagemaker_endpoint_name"),
                    "ScheduleName": env.get("sagemaker_monitoring_schedule_name")})
    return EXIT_VIOLATIONS if result.violations else EXIT_COMPLETED


def _run_model_quality(env: dict, monitoring: bool, source: Path, fmt: str, header: bool, output: Path,
                       message_file: Path) -> int:
    from sagelocal.monitor import model_quality, outputs
    from sagelocal.monitor.capture import parse_time

    attributes = model_quality.Attributes.from_environment(env)
    if not monitoring:
        result = model_quality.run_baseline(source, output, attributes, fmt, header)
        outputs.write_message(message_file, result.message)
        return EXIT_COMPLETED
    times = {key: parse_time(env[key], key) if env.get(key) else None for key in ("start_time", "end_time",
                                                                               "metric_time")}
    result = model_quality.run_monitoring(
        source, "merge" if fmt == "capture" else fmt, _required(env, "baseline_constraints"), output, attributes,
        header=header, start=times["start_time"], end=times["end_time"],
        metrics_dir=Path(env.get("cloudwatch_metrics_directory") or DEFAULT_METRICS_DIRECTORY)
        if env.get("publish_cloudwatch_metrics") == "Enabled" else None,
        message_file=message_file, metric_time=times["metric_time"],
        dimensions={"EndpointName": env.get("sagemaker_endpoint_name"),
                    "ScheduleName": env.get("sagemaker_monitoring_schedule_name")})
    return EXIT_VIOLATIONS if result.violations else EXIT_COMPLETED


if __name__ == "__main__":
    sys.exit(main())
