"""Print (or write) a pipeline's definition, as the SageMaker Project template's ``get-pipeline-definition``.

    python pipelines/get_pipeline_definition.py -n pipelines.breast_cancer.pipeline \
        -kwargs '{"region": "eu-west-1", "role": "<role ARN>", "default_bucket": "<bucket>"}' [-f pipeline.json]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: the checkout is the import root, as for `python -m`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines._utils import convert_struct, definition_text, get_pipeline_driver, pipeline_parser  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = pipeline_parser("Gets the pipeline definition for the pipeline script.")
    parser.add_argument("-f", "--file-name", dest="file_name", default=None,
                        help="the file to write the definition to (default: print it)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    text = definition_text(get_pipeline_driver(args.module_name, convert_struct(args.kwargs) or {}))
    if args.file_name:
        Path(args.file_name).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
