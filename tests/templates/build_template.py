"""The "model building, training, and deployment" MLOps template, as a new user meets it offline: its definition
as the SDK wrote it, the scripts the SDK uploaded already in (local) S3, and only the abalone data placed where
the seed code's InputDataUrl points (a synthetic stand-in: the seed-code bucket is not reachable offline)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "mlops-template-build"
DEFINITION = TEMPLATE / "definition.json"
DATASET = "sagemaker-servicecatalog-seedcode-us-east-1/dataset/abalone-dataset.csv"
PROJECT = "demo-project2-p-6tye165ocoxy"  # the project's name: its model package group and pipeline
STEPS = ("PreprocessAbaloneData", "TrainAbaloneModel", "EvaluateAbaloneModel", "CheckMSEAbaloneEvaluation",
         "RegisterAbaloneModel-RegisterModel")
EVALUATION = ("sagemaker-project-p-6tye165ocoxy/demo-project2-p-6tye165ocoxy/script-aba-2026-11-28-08-34-56-775/"
              "output/evaluation/evaluation.json")


def place_template(home: Path) -> Path:
    """A runtime home whose local S3 holds the uploaded scripts and the abalone CSV; returns the home."""
    s3 = home / "s3"
    for path in (TEMPLATE / "s3").rglob("*"):
        if path.is_file():  # files only: the fixture's read-only folder modes stay behind
            target = s3 / path.relative_to(TEMPLATE / "s3")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    subprocess.run([sys.executable, str(TEMPLATE / "gen_abalone.py"), str(s3 / DATASET)], check=True)
    return home
