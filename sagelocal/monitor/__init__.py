"""``sagelocal.monitor``: SageMaker Model Monitor's data-quality job, offline, file for file.

No web and no AWS imports, so it also runs inside a processing container. Heavy modules load on first use
(``sagelocal monitor --help`` stays fast).

Jobs (:mod:`sagelocal.monitor.api`)
    ``run_baseline(dataset, output_dir, fmt="csv", header=False, categorical_drift_method="LInfinity")``
        writes statistics.json + constraints.json; returns a ``JobResult``.
    ``run_monitoring(dataset, fmt, baseline_statistics, baseline_constraints, output_dir, header=False,
    start=None, end=None, preprocessor_script=None, postprocessor_script=None, metrics_dir=None,
    message_file=None, publish_metrics=True, dimensions=None)``
        writes statistics.json, constraints.json, constraint_violations.json, report.html, the message
        file and CloudWatch records; ``JobResult.status`` is ``Completed`` or ``CompletedWithViolations``.
    Container contract: ``sagelocal.monitor.analyzer.main(environ=None) -> int``.

Profiling
    ``profile_dataset(source, fmt="csv", header=False, **options) -> dict``: a statistics.json document.
    ``profile_columns(source, fmt, header, names=None, start=None, end=None, preprocessor=None,
    domains=None) -> {name: ColumnProfile}``: mergeable profiles.
    ``profile_table(pyarrow.Table)``, ``add_table(profiles, table)``: profile in-memory chunks.
    ``merge_profiles([profiles, ...])``, ``ColumnProfile.merge``: combine parts (sketches merge as Deequ's).
    ``statistics_document(profiles) -> dict``.
    ``KLLSketch`` (``from_values``, ``update``, ``merge``, ``from_data``/``to_data``): Deequ's KLL sketch.

Constraints and checks
    ``suggest_constraints(statistics, categorical_drift_method="LInfinity") -> dict``.
    ``read_constraints(path) -> ([FeatureConstraint], MonitoringConfig)``: files of every era.
    ``read_statistics(path) -> dict``: a baseline statistics.json, validated.
    ``check_constraints(current_profiles, features, config, baseline_statistics=None) -> CheckResult``
    (``.violations`` list of dicts, ``.drifts`` per feature).

Files
    ``read_capture_file(path, start=None, end=None) -> [CaptureRecord]``; ``CaptureRecord.rows()`` gives
    output columns first. ``read_chunks(source, fmt, ...)`` yields pyarrow tables.
    ``jsonfmt.dumps(document)``: Jackson-style text as AWS writes it.

Fidelity (what is and is not digit-for-digit AWS's)
    Exact: counts, sum, mean, min, max, std_dev (Spark's row-by-row update up to 4096 values), buckets,
    types, and the KLL sketch up to 2050 values (all values, input order), as the conformance test shows.
    Beyond 2050 values the sketch has Deequ's level sizes but rank-placed items (see ``kll``): not Deequ's
    items, a smaller rank error. ``distinct_count``/``approximate_num_distinct_values`` are Deequ's own
    (HyperLogLog++ at precision 9 over Spark's XxHash64 of each cell's raw text), equal to AWS's and to real
    Deequ's, so the 120-category histogram and ``domains`` decisions are theirs too. Numbers go through
    Spark's casts as Deequ's do (``sparkcast``): what they null (``"- 5"``; an integer beyond 64 bits in an
    Integral column) is left out, an Integral column has no ``-0.0``; a numeric column whose every value is
    nulled has no mean/sum/std_dev/min/max/distribution (Deequ's metrics fail and its profile omits them).
    NaN and infinities are written as Jackson writes them, the strings ``"NaN"``, ``"Infinity"``,
    ``"-Infinity"`` (AWS's own files show ``"NaN"``), so every file is strict JSON; baseline sketches holding
    them read back as numbers.

Departures from Deequ (its bugs, not copied: no AWS file shows them; each is pinned by a test in
tests/monitor/test_output_tokens_and_departures.py)
    1. HyperLogLog register weights. Deequ's estimate weighs register ``r`` by ``1.0 / (1 << r)``, a 32-bit
       shift that is wrong for ``r >= 31`` (``1 << 40`` is ``1 << 8``); here it is ``2**-r``. A register
       reaches 31 with chance about 2**-30 per distinct value.
    2. KLL bucket bounds. Deequ starts the sketch's running min at ``Int.MaxValue`` and max at
       ``Int.MinValue`` (2**31 - 1 and -2**31), so a column entirely above 2**31 - 1 gets buckets from
       2147483647.0, one entirely below -2**31 buckets up to -2147483648.0; here the bounds are the column's
       own min and max, as for every other column.
    3. Sums of Integral columns. Deequ's Sum and Mean add a LongType column as 64-bit integers, which wrap
       past 2**63 (9e18 + 9e18 gives -4.4674407370955162E17); here they are added as doubles (exact while the
       sum stays below 2**53, rounded but never wrapped beyond).
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "run_baseline": "api", "run_monitoring": "api", "profile_dataset": "api", "profile_columns": "api",
    "JobResult": "api", "profile_table": "profile", "add_table": "profile", "merge_profiles": "profile",
    "statistics_document": "profile", "ColumnProfile": "profile", "KLLSketch": "kll",
    "suggest_constraints": "constraints", "read_constraints": "constraints",
    "read_statistics": "constraints",
    "check_constraints": "violations", "read_capture_file": "capture", "read_chunks": "reader",
}


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)


__all__ = sorted(_EXPORTS)
