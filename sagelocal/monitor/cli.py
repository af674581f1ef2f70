"""``sagelocal monitor``: baseline a dataset, or run a monitoring job against a baseline (data quality; and
``model-quality baseline|run`` for a model's quality against ground truth).

``register`` returns the group's subparsers so that the top-level command can add other rooms' commands
to it (scheduled executions) without this library importing them.
"""
from __future__ import annotations

from pathlib import Path

EXIT_COMPLETED, EXIT_VIOLATIONS = 0, 3


def register(subparsers):
    """Add the ``monitor`` group to the top-level parser; returns the group's subparsers."""
    group = subparsers.add_parser("monitor", help="data-quality monitoring (Model Monitor's files, offline)",
                                  description="Baseline a dataset, or check current data against a baseline, "
                                              "writing SageMaker Model Monitor's files.")
    commands = group.add_subparsers(dest="monitor_command", metavar="SUBCOMMAND", required=True)

    baseline = commands.add_parser("baseline", help="profile a dataset: statistics.json and constraints.json")
    baseline.add_argument("--dataset", required=True, type=Path, help="file or directory")
    baseline.add_argument("--format", default="csv", choices=("csv", "json", "parquet"))
    baseline.add_argument("--header", action="store_true", help="CSV: the first line holds column names")
    baseline.add_argument("--categorical-drift-method", default="LInfinity", choices=("LInfinity", "ChiSquared"))
    baseline.add_argument("--output", required=True, type=Path, help="output directory")
    baseline.set_defaults(handler=_baseline)

    run = commands.add_parser("run", help="check current data against a baseline (exit 3 on violations)")
    run.add_argument("--dataset", required=True, type=Path, help="file or directory")
    run.add_argument("--format", required=True, choices=("csv", "capture", "json", "parquet"))
    run.add_argument("--header", action="store_true", help="CSV: the first line holds column names")
    run.add_argument("--baseline-statistics", required=True, type=Path)
    run.add_argument("--baseline-constraints", required=True, type=Path)
    run.add_argument("--output", required=True, type=Path, help="output directory")
    run.add_argument("--start-time", help="capture: ISO-8601 start of the window (inclusive)")
    run.add_argument("--end-time", help="capture: ISO-8601 end of the window (exclusive)")
    run.add_argument("--preprocessor", type=Path, help="script defining preprocess_handler(inference_record)")
    run.add_argument("--postprocessor", type=Path, help="script defining postprocess_handler()")
    run.add_argument("--no-metrics", action="store_true", help="do not write CloudWatch metric records")
    run.set_defaults(handler=_run)

    _register_model_quality(commands)
    return commands


def _register_model_quality(commands) -> None:
    quality = commands.add_parser("model-quality", help="model-quality monitoring: metrics against ground truth",
                                  description="Baseline a model's quality, or check current predictions with "
                                              "their ground truth against it, writing Model Monitor's files.")
    actions = quality.add_subparsers(dest="model_quality_command", metavar="SUBCOMMAND", required=True)
    baseline = actions.add_parser("baseline", help="metrics of a labelled dataset: statistics.json, constraints.json")
    run = actions.add_parser("run", help="check current predictions against baseline constraints (exit 3 on "
                                         "violations)")
    for action in (baseline, run):
        action.add_argument("--dataset", required=True, type=Path, help="file or directory")
        action.add_argument("--problem-type", required=True,
                            choices=("BinaryClassification", "MulticlassClassification", "Regression"))
        action.add_argument("--ground-truth-attribute", help="CSV: the column (name or 0-based position) of true "
                            "labels")
        action.add_argument("--inference-attribute", help="the predicted label or value: a CSV column, or a "
                            "position/JSONPath in the captured output")
        action.add_argument("--probability-attribute", help="binary: P(label 1), where --inference-attribute is")
        action.add_argument("--probability-threshold", type=float, default=0.5,
                            help="binary: predicted 1 when the probability is above this (default 0.5)")
        action.add_argument("--header", action="store_true", help="CSV: the first line holds column names")
        action.add_argument("--output", required=True, type=Path, help="output directory")
    baseline.set_defaults(handler=_model_quality_baseline)
    run.add_argument("--format", default="csv", choices=("csv", "merge"),
                     help="merge: the ground-truth merger's output (capture records with groundTruthData)")
    run.add_argument("--baseline-constraints", required=True, type=Path)
    run.set_defaults(handler=_model_quality_run)


def _attributes(args):
    from sagelocal.monitor.model_quality import Attributes

    return Attributes(args.problem_type, args.ground_truth_attribute, args.inference_attribute,
                      args.probability_attribute, args.probability_threshold)


def _model_quality_baseline(args) -> int:
    from sagelocal.monitor import model_quality

    result = model_quality.run_baseline(args.dataset, args.output, _attributes(args), "csv", args.header)
    print(f"{result.message} Wrote {args.output / 'statistics.json'} and {args.output / 'constraints.json'}.")
    return EXIT_COMPLETED


def _model_quality_run(args) -> int:
    from sagelocal.monitor import model_quality

    result = model_quality.run_monitoring(args.dataset, args.format, args.baseline_constraints, args.output,
                                          _attributes(args), header=args.header,
                                          message_file=args.output / "message")
    print(result.message)
    for violation in result.violations:
        print(f"  {violation['metric_name']}: {violation['description']}")
    return EXIT_VIOLATIONS if result.violations else EXIT_COMPLETED


def _baseline(args) -> int:
    from sagelocal.monitor import api

    result = api.run_baseline(args.dataset, args.output, args.format, args.header, args.categorical_drift_method)
    print(f"{result.message} Wrote {args.output / 'statistics.json'} and {args.output / 'constraints.json'}.")
    return EXIT_COMPLETED


def _run(args) -> int:
    from sagelocal.monitor import api
    from sagelocal.monitor.capture import parse_time

    start = parse_time(args.start_time, "--start-time") if args.start_time else None
    end = parse_time(args.end_time, "--end-time") if args.end_time else None
    result = api.run_monitoring(
        args.dataset, args.format, args.baseline_statistics, args.baseline_constraints, args.output,
        header=args.header, start=start, end=end, preprocessor_script=args.preprocessor,
        postprocessor_script=args.postprocessor, metrics_dir=args.output / "metrics" / "cloudwatch",
        message_file=args.output / "message", publish_metrics=not args.no_metrics)
    print(result.message)
    for violation in result.violations:
        print(f"  {violation['feature_name']}: {violation['constraint_check_type']}: {violation['description']}")
    print(f"Report: {args.output / 'report.html'}")
    return EXIT_VIOLATIONS if result.violations else EXIT_COMPLETED
