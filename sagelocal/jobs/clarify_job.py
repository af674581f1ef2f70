"""What a processing job on the Clarify image runs: the Clarify analyzer (:mod:`sagelocal.clarify.analyzer`), given
the model its analysis configuration names, as Clarify creates its shadow endpoint from ``predictor.model_name``."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from sagelocal.clarify.contract import MODEL_DATA, MODEL_IMAGE, MODEL_NAME
from sagelocal.config import Settings
from sagelocal.errors import ServiceError
from sagelocal.jobs.container import JobFailed
from sagelocal.storage.s3 import LocalS3

CLARIFY_IMAGE = "sagemaker-clarify-processing"
SHADOW_MODEL = "shadow-endpoint/model.tar.gz"  # under /opt/ml/processing: the model the shadow endpoint serves
CONFIG_FILE = "input/config/analysis_config.json"  # under /opt/ml/processing, where the SDK's input puts it


def clarify_command(settings: Settings, root: Path, job_env: dict) -> tuple[list[str], dict]:
    """(argv, environment) of the Clarify analyzer for the job whose /opt/ml/processing is ``root``; ``job_env``
    may name the model (a ClarifyCheck step's ModelName) in place of the configuration's predictor.model_name."""
    from sagelocal.jobs.models import model_container

    config_file = root / CONFIG_FILE
    if not config_file.is_file():
        raise JobFailed(f"ClientError: the Clarify job has no analysis configuration at "
                        f"/opt/ml/processing/{CONFIG_FILE} (its analysis_config input)")
    try:
        predictor = json.loads(config_file.read_text()).get("predictor") or {}
    except (json.JSONDecodeError, AttributeError) as error:
        raise JobFailed(f"ClientError: analysis_config.json is not a JSON object: {error}") from None
    env = {"output_message_file": "/opt/ml/output/message"}
    if predictor.get("endpoint_name"):
        raise JobFailed("ClientError: predictor.endpoint_name is not supported offline: name the model "
                        "(predictor.model_name) and the job serves it on a shadow endpoint")
    if name := job_env.get(MODEL_NAME) or predictor.get("model_name"):
        try:
            container = model_container(settings, name)
        except ServiceError as error:
            raise JobFailed(f"ClientError: {error.message}") from None
        # Copied into the job's own folder: the sandbox shows the job nothing of the home.
        model = root / SHADOW_MODEL
        model.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(LocalS3(settings.s3_root).path(container["ModelDataUrl"]), model)
        env |= {MODEL_DATA: f"/opt/ml/processing/{SHADOW_MODEL}", MODEL_IMAGE: container["Image"]}
    return [sys.executable, "-m", "sagelocal.clarify.analyzer"], env
