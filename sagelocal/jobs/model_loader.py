"""Load a model.tar.gz the way the built-in XGBoost container does, in a short-lived child process:
``python -m sagelocal.jobs.model_loader MODEL_TAR [--pickle]`` writes the booster to stdout in XGBoost's own
raw format (UBJSON), or the reason it cannot to stderr with exit status 1.

It runs apart from the server because a pickled model is code: unpickling one runs whatever it holds. Only the
containers that saved pickles (``--pickle``: sagemaker-xgboost up to 1.2) get it tried, and only here; the server
reads back plain model bytes.
"""
from __future__ import annotations

import pickle
import sys
import tarfile
import tempfile
from pathlib import Path

MODEL_FILE = "xgboost-model"


def read_model_file(model_tar: Path) -> bytes:
    with tarfile.open(model_tar, "r:gz") as archive:
        members = [m for m in archive.getmembers() if m.isfile()]
        if not members:
            raise ValueError(f"{model_tar} holds no model file")
        member = next((m for m in members if Path(m.name).name == MODEL_FILE), members[0])
        return archive.extractfile(member).read()


def load(raw: bytes, allow_pickle: bool):
    import xgboost as xgb

    problems = []
    if allow_pickle:
        try:
            booster = pickle.loads(raw)
            if isinstance(booster, xgb.Booster):
                return booster
            problems.append(f"pickled object is a {type(booster).__name__}, not an xgboost Booster")
        except Exception as error:  # not a pickle: the native formats below
            problems.append(f"not a pickle ({error})")
    booster = xgb.Booster()
    try:
        booster.load_model(bytearray(raw))
        return booster
    except (xgb.core.XGBoostError, ValueError):
        # Old binary models need a file name to be recognised.
        with tempfile.NamedTemporaryFile(suffix=".model") as handle:
            handle.write(raw)
            handle.flush()
            try:
                booster.load_model(handle.name)
                return booster
            except (xgb.core.XGBoostError, ValueError) as error:
                problems.append(str(error).splitlines()[0])
    raise ValueError(f"Unable to load model: {'; '.join(problems)}")


def main(argv: list[str]) -> int:
    try:
        booster = load(read_model_file(Path(argv[0])), allow_pickle="--pickle" in argv[1:])
    except (OSError, ValueError, tarfile.TarError) as error:
        print(error, file=sys.stderr)
        return 1
    sys.stdout.buffer.write(booster.save_raw("ubj"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
