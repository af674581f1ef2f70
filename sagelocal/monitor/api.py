"""Baselining and monitoring jobs end to end: read, profile, suggest or check, then write every output file.

Nothing is written until the whole analysis has succeeded, so a failed job never leaves a report that
looks complete.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sagelocal.errors import UserError
from sagelocal.monitor import constraints as constraints_module
from sagelocal.monitor import outputs, reader
from sagelocal.monitor.profile import ColumnProfile, add_table, statistics_document

COMPLETED, WITH_VIOLATIONS = "Completed", "CompletedWithViolations"


def profile_columns(source, fmt: str = "csv", header: bool = False, names: list | None = None,
                    start: datetime | None = None, end: datetime | None = None, preprocessor=None,
                    domains: dict | None = None) -> dict:
    """Profile a dataset chunk by chunk into mergeable ``{name: ColumnProfile}``.

    Parameters
    ----------
    source : path
        File or directory.
    fmt : {"csv", "json", "parquet", "capture"}
    header : bool
        CSV: first line holds names (else ``_c0``, ``_c1``, ...).
    names : list of str, optional
        Capture and header-less CSV: baseline feature names, given to columns by position.
    start, end : datetime, optional
        Capture: analysis window on ``inferenceTime``.
    preprocessor : callable, optional
        Capture: ``preprocess_handler``.
    domains : dict of str to iterable, optional
        Allowed values per column, counted for ``categorical_values_check``.
    """
    text_columns: frozenset = frozenset()
    while True:
        try:
            return _profile_once(source, fmt, header, names, start, end, preprocessor, domains or {}, text_columns)
        except reader.TextNeeded as needed:
            # A column typed from the sample needs its text after all: start again, reading it as text.
            text_columns |= needed.columns


def _profile_once(source, fmt, header, names, start, end, preprocessor, domains, text_columns) -> dict:
    profiles = {name: ColumnProfile(name, domain=frozenset(values)) for name, values in domains.items()}
    columns: dict = {}  # names in the data's order (pre-created domain profiles must not reorder features)
    for table in reader.read_chunks(Path(source), fmt, header, names, start, end, preprocessor, text_columns):
        columns.update(dict.fromkeys(table.column_names))
        add_table(profiles, table)
    if not any(profiles[name].rows for name in columns):
        raise UserError(f"{source}: no rows")
    return {name: profiles[name].finish() for name in columns}


def profile_dataset(source, fmt: str = "csv", header: bool = False, **options) -> dict:
    """The ``statistics.json`` document of a dataset (see :func:`profile_columns` for options)."""
    return statistics_document(profile_columns(source, fmt, header, **options))


@dataclass
class JobResult:
    """What a job produced: its status, message, and documents."""

    status: str
    message: str
    statistics: dict
    constraints: dict
    violations: list


def run_baseline(dataset, output_dir, fmt: str = "csv", header: bool = False,
                 categorical_drift_method: str = "LInfinity") -> JobResult:
    """Baselining job: write ``statistics.json`` and ``constraints.json`` to ``output_dir``."""
    statistics = profile_dataset(dataset, fmt, header)
    suggested = constraints_module.suggest_constraints(statistics, categorical_drift_method)
    outputs.write_json(Path(output_dir), {"statistics.json": statistics, "constraints.json": suggested})
    return JobResult(COMPLETED, outputs.message(0), statistics, suggested, [])


def run_monitoring(dataset, fmt: str, baseline_statistics, baseline_constraints, output_dir,
                   header: bool = False, start: datetime | None = None, end: datetime | None = None,
                   preprocessor_script=None, postprocessor_script=None, metrics_dir=None,
                   message_file=None, publish_metrics: bool = True, dimensions: dict | None = None) -> JobResult:
    """Monitoring job: profile current data, check it against the baseline, write every output.

    Writes ``statistics.json``, ``constraints.json``, ``constraint_violations.json`` and ``report.html`` to
    ``output_dir``, CloudWatch metric records to ``metrics_dir`` (if given and ``publish_metrics``), and the
    status line to ``message_file`` (if given).
    """
    from sagelocal.monitor import capture, html_report, violations

    features, config = constraints_module.read_constraints(Path(baseline_constraints))
    baseline = constraints_module.read_statistics(Path(baseline_statistics))
    names = [feature["name"] for feature in baseline["features"]] or [feature.name for feature in features]
    preprocessor = capture.load_handler(Path(preprocessor_script), "preprocess_handler") \
        if preprocessor_script else None
    domains = {feature.name: feature.domains for feature in features if feature.domains is not None}
    current = profile_columns(dataset, fmt, header, names=names, start=start, end=end,
                              preprocessor=preprocessor, domains=domains)
    statistics = statistics_document(current)
    checked = violations.check_constraints(current, features, config, baseline)
    count = len(checked.violations)
    files = {"statistics.json": statistics,
             "constraints.json": constraints_module.suggest_constraints(statistics),
             "constraint_violations.json": {"violations": checked.violations}}
    report = html_report.render(baseline, statistics, checked, config)
    records = outputs.metric_records(current, checked, features, config, end or datetime.now(timezone.utc),
                                     dimensions or {}) if publish_metrics else []
    outputs.write_json(Path(output_dir), files)
    (Path(output_dir) / "report.html").write_text(report, encoding="utf-8")
    if metrics_dir is not None and records:
        outputs.write_metrics(Path(metrics_dir), records)
    message = outputs.message(count)
    if message_file is not None:
        outputs.write_message(Path(message_file), message)
    if postprocessor_script:
        _postprocess(Path(postprocessor_script))
    return JobResult(WITH_VIOLATIONS if count else COMPLETED, message, statistics, files["constraints.json"],
                     checked.violations)


def _postprocess(script: Path) -> None:
    from sagelocal.monitor import capture

    handler = capture.load_handler(script, "postprocess_handler")
    try:
        handler()
    except Exception as exc:  # the user's code
        raise UserError(f"{script}: postprocess_handler failed: {type(exc).__name__}: {exc}") from None
