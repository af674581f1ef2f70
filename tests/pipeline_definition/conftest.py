"""Build the pipeline definitions once per session, in a subprocess under the socket guard."""
from __future__ import annotations

import pytest

from pipeline_build import Build, guarded_build


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Build:
    """The definition as ``make pipeline-json`` writes it, built into a temporary file."""
    return guarded_build(tmp_path_factory.mktemp("pipeline-json"))


@pytest.fixture(scope="session")
def definition(built) -> dict:
    return built.definition


@pytest.fixture(scope="session")
def processing_built(tmp_path_factory) -> Build:
    """The definition with ``--data-quality processing``: the monitor library instead of Model Monitor."""
    return guarded_build(tmp_path_factory.mktemp("pipeline-json-processing"), "--data-quality", "processing")


@pytest.fixture(scope="session")
def processing_definition(processing_built) -> dict:
    return processing_built.definition
