"""Processing entry point of the monitoring pipeline: run the monitor library over the last hours of capture.

The job's environment follows the Model Monitor analyzer's contract (dataset_format, dataset_source,
output_path, baseline_statistics, baseline_constraints); this script adds the analysis window
(``start_time``/``end_time``: the last ``--window-hours`` whole hours) and runs ``sagelocal.monitor.analyzer``
from the library folder the job downloads (``--library``), so the plain scikit-learn image is enough. The step
succeeds when the analysis completes, with or without violations (Model Monitor's CompletedWithViolations).
"""
from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timedelta, timezone


def window(now: datetime, hours: int) -> tuple[str, str]:
    """The last ``hours`` whole hours before ``now``, as the analyzer's ISO-8601 start and end."""
    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=hours)
    return start.strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime("%Y-%m-%dT%H:%M:%SZ")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", required=True, help="folder holding the sagelocal package")
    parser.add_argument("--window-hours", type=int, default=1, help="hours of capture to analyse; 0: all of it")
    args = parser.parse_args(argv)
    if args.window_hours > 0:
        os.environ["start_time"], os.environ["end_time"] = window(datetime.now(timezone.utc), args.window_hours)
    sys.path.insert(0, args.library)
    from sagelocal.monitor import analyzer

    status = analyzer.main()
    # As in Model Monitor, violations are a result, not a failure: they are in constraint_violations.json.
    sys.exit(analyzer.EXIT_COMPLETED if status == analyzer.EXIT_VIOLATIONS else status)


if __name__ == "__main__":
    main()
