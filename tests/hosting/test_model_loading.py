"""Model archives are opened in a child process: the server never unpickles, and pickle is tried only for the
XGBoost container versions that saved pickles (up to 1.2)."""
from __future__ import annotations

import io
import os
import pickle
import tarfile

import numpy as np
import pytest

from hosting.deploy import FEATURES, train_booster
from sagelocal.jobs.serving import load_booster, make_model_archive, saves_pickles

REGISTRY = "683313688378.dkr.ecr.us-east-1.amazonaws.com"


class Payload:
    """A "model" whose unpickling writes the pid of the process that unpickled it."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"import os; open({self.marker!r}, 'w').write(str(os.getpid()))",)


def archive(tmp_path, raw: bytes):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
    path = tmp_path / "model.tar.gz"
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize("image, pickled", [
    (f"{REGISTRY}/sagemaker-xgboost:0.90-2-cpu-py3", True), (f"{REGISTRY}/sagemaker-xgboost:1.0-1-cpu-py3", True),
    (f"{REGISTRY}/sagemaker-xgboost:1.2-1", True), (f"{REGISTRY}/sagemaker-xgboost:1.3-1", False),
    (f"{REGISTRY}/sagemaker-xgboost:1.7-1", False), (f"{REGISTRY}/sagemaker-xgboost:3.2-0", False),
    ("811284229777.dkr.ecr.us-east-1.amazonaws.com/xgboost:1", True),
])
def test_pickle_only_for_the_versions_that_saved_it(image, pickled):
    assert saves_pickles(image) is pickled


def test_a_pickle_never_runs_in_the_server(tmp_path):
    marker = tmp_path / "unpickled-by"
    model = archive(tmp_path, pickle.dumps(Payload(marker)))
    with pytest.raises(ValueError, match="Unable to load model"):
        load_booster(model, f"{REGISTRY}/sagemaker-xgboost:1.7-1")
    assert not marker.exists()  # a 1.3+ container never unpickles
    with pytest.raises(ValueError, match="not an xgboost Booster"):
        load_booster(model, f"{REGISTRY}/sagemaker-xgboost:1.2-1")
    assert marker.read_text() != str(os.getpid())  # unpickled, but in the loader's process, not this one


def test_a_1_2_pickled_booster_and_a_native_one_serve_the_same(tmp_path):
    booster = train_booster()
    rows = np.random.default_rng(1).normal(size=(5, FEATURES)).astype(np.float32)
    expected = booster.inplace_predict(rows)
    pickled = load_booster(archive(tmp_path, pickle.dumps(booster)), f"{REGISTRY}/sagemaker-xgboost:1.2-1")
    (tmp_path / "native").mkdir()
    native_path = tmp_path / "native" / "model.tar.gz"
    native_path.write_bytes(make_model_archive(booster))
    native = load_booster(native_path, f"{REGISTRY}/sagemaker-xgboost:1.7-1")
    np.testing.assert_allclose(pickled.inplace_predict(rows), expected, rtol=1e-6)
    np.testing.assert_allclose(native.inplace_predict(rows), expected, rtol=1e-6)
