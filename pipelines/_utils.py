"""What the SageMaker Project template's entry points (``run_pipeline``, ``get_pipeline_definition``) share: a
pipeline module's ``get_pipeline`` called with the build's keyword arguments, offline, and JSON flags read."""
from __future__ import annotations

import argparse
import importlib
import inspect
import json
import sys
from pathlib import Path


def project_root() -> Path:
    """The checkout (``scripts/``, ``steps/``): beside this package when run from it, else the current folder, where
    CodeBuild runs a buildspec after ``pip install .`` has copied the package elsewhere."""
    beside = Path(__file__).resolve().parents[1]
    return beside if (beside / "scripts").is_dir() else Path.cwd()


def scripts_on_path() -> None:
    scripts = str(project_root() / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)


def convert_struct(text: str | None):
    """A ``-kwargs`` or ``-tags`` flag's JSON, or None when not given."""
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise SystemExit(f"error: not JSON: {text!r} ({error})") from None


def get_pipeline_driver(module_name: str, kwargs: dict):
    """``module_name.get_pipeline(**kwargs)``, built with no call to AWS. Keyword arguments the module's
    ``get_pipeline`` does not take (the template also passes ``sagemaker_project_name``) are named and left out."""
    scripts_on_path()
    import build_pipeline_json

    build_pipeline_json.configure_offline_sdk(kwargs.get("region") or build_pipeline_json.DEFAULT_REGION)
    build_pipeline_json.silence_sdk()
    get_pipeline = importlib.import_module(module_name).get_pipeline
    accepted = inspect.signature(get_pipeline).parameters
    ignored = sorted(set(kwargs) - set(accepted))
    if ignored:
        print(f"{module_name}.get_pipeline takes no {', '.join(ignored)}: not passed", file=sys.stderr)
    return get_pipeline(**{name: value for name, value in kwargs.items() if name in accepted})


def definition_text(pipeline) -> str:
    """The definition exactly as ``make pipeline-json`` writes it."""
    scripts_on_path()
    import build_pipeline_json

    return build_pipeline_json.definition_text(pipeline)


def get_pipeline_custom_tags(module_name: str, kwargs: dict, tags: list[dict]) -> list[dict]:
    """``tags``, extended by the module's own ``get_pipeline_custom_tags(tags, region, project)`` when it has one."""
    module = importlib.import_module(module_name)
    if not hasattr(module, "get_pipeline_custom_tags"):
        return tags
    return module.get_pipeline_custom_tags(tags, kwargs.get("region"), kwargs.get("sagemaker_project_name"))


def pipeline_parser(description: str) -> argparse.ArgumentParser:
    """A parser with the template's two flags every entry point takes: ``-n`` (the pipeline module) and
    ``-kwargs`` (get_pipeline's keyword arguments as JSON)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("-n", "--module-name", dest="module_name", required=True,
                        help="the module name of the pipeline to import (pipelines.breast_cancer.pipeline)")
    parser.add_argument("-kwargs", "--kwargs", dest="kwargs", default=None,
                        help="JSON dict of keyword arguments for get_pipeline (region, role, default_bucket, ...)")
    return parser
