"""Fixtures of the step tests: a processing root after each step of the pipeline ran."""
from __future__ import annotations

from pathlib import Path

import pytest

from steps_support import run, train_model, write_champion


@pytest.fixture(scope="session")
def processed(tmp_path_factory) -> Path:
    """A processing root after make_input_data.py and preprocess.py ran, as in the pipeline."""
    root = tmp_path_factory.mktemp("processing")
    made = run("scripts/make_input_data.py", root, str(root / "input" / "data" / "breast-cancer.csv"))
    assert made.returncode == 0, made.stderr
    result = run("steps/preprocess.py", root)
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="session")
def evaluated(processed) -> Path:
    """The same root after a model was trained and evaluate.py ran with no champion (the first run)."""
    train_model(processed, processed / "model")
    write_champion(processed / "champion", None)
    result = run("steps/evaluate.py", processed)
    assert result.returncode == 0, result.stderr
    return processed
