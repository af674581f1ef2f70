"""Data-quality baseline step (the pipeline's processing mode): the monitor library's analyzer, baselining.

For accounts without Model Monitor. The job's environment follows the Model Monitor analyzer's contract
(dataset_format, dataset_source, output_path; no baseline_statistics/constraints, so the analyzer baselines), and
the analyzer writes statistics.json and constraints.json to output_path as a QualityCheck step's baseline job
does. It runs ``sagelocal.monitor.analyzer`` from the library folder the job downloads (``--library``), so the
plain scikit-learn image is enough.
"""
from __future__ import annotations

import argparse
import sys


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", required=True, help="folder holding the sagelocal package")
    args = parser.parse_args(argv)
    sys.path.insert(0, args.library)
    from sagelocal.monitor import analyzer

    sys.exit(analyzer.main())


if __name__ == "__main__":
    main()
