"""What SageMaker gives a job's container besides its data: the configuration files under /opt/ml, the
environment variables of the training toolkit (``SM_*``), and AWS access, here to the local server.

The training variables are those the SageMaker training toolkit sets (its ENVIRONMENT_VARIABLES.md): each of its
environment's properties as ``SM_<NAME>``, strings as they are and everything else JSON-encoded, plus
``SM_CHANNEL_<CHANNEL>`` and ``SM_HP_<HYPERPARAMETER>``. The job runs on one instance, ``algo-1``.
"""
from __future__ import annotations

import json
import os

from sagelocal.config import Settings
from sagelocal.jobs.sandbox import HOST_NAME

INSTANCE_GROUP = "homogeneousCluster"
NETWORK_INTERFACE = "eth0"
_TOOLKIT_PREFIX = "sagemaker_"  # hyperparameters the toolkit keeps for itself, left out of SM_HPS
_LOG_LEVEL_INFO = 20


def aws_access(settings: Settings) -> dict:
    """Variables that send a job's own AWS calls (boto3, the AWS CLI) to the local server as the home's key,
    in the runtime's region, and keep the machine's own AWS configuration (~/.aws, instance metadata) out."""
    variables = {"AWS_REGION": settings.region, "AWS_DEFAULT_REGION": settings.region,
                 "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                 "AWS_EC2_METADATA_DISABLED": "true"}
    if settings.endpoint_url:
        # The key lives in the home's credentials file, next to the server that checks it.
        from sagelocal.credentials import load_or_create

        key = load_or_create(settings)
        variables |= {"AWS_ENDPOINT_URL": settings.endpoint_url, "AWS_ACCESS_KEY_ID": key.access_key_id,
                      "AWS_SECRET_ACCESS_KEY": key.secret_access_key}
    return variables


def resource_config(instance_type: str | None) -> dict:
    """resourceconfig.json of a job's only instance."""
    return {"current_host": HOST_NAME, "current_instance_type": instance_type or "local",
            "current_group_name": INSTANCE_GROUP, "hosts": [HOST_NAME],
            "instance_groups": [{"instance_group_name": INSTANCE_GROUP, "instance_type": instance_type or "local",
                                 "hosts": [HOST_NAME]}],
            "network_interface_name": NETWORK_INTERFACE}


def input_data_config(request: dict) -> dict:
    """inputdataconfig.json: each channel's settings as CreateTrainingJob gave them (ContentType only if given)."""
    default_mode = (request.get("AlgorithmSpecification") or {}).get("TrainingInputMode", "File")
    channels = {}
    for channel in request.get("InputDataConfig") or []:
        source = (channel.get("DataSource") or {}).get("S3DataSource") or {}
        channels[channel["ChannelName"]] = {
            **({"ContentType": channel["ContentType"]} if channel.get("ContentType") else {}),
            "TrainingInputMode": channel.get("InputMode") or default_mode,
            "S3DistributionType": source.get("S3DataDistributionType", "FullyReplicated"),
            "RecordWrapperType": channel.get("RecordWrapperType", "None"),
        }
    return channels


def training_variables(job_name: str, hyperparameters: dict, channels: dict, resources: dict) -> dict:
    """The ``SM_*`` variables of a training job, for its configuration files' contents."""
    hps = {name: _decoded(value) for name, value in hyperparameters.items() if not name.startswith(_TOOLKIT_PREFIX)}
    properties = {
        "channel_input_dirs": {name: f"/opt/ml/input/data/{name}" for name in channels},
        "current_host": HOST_NAME,
        "current_instance_type": resources["current_instance_type"],
        "current_instance_group": INSTANCE_GROUP,
        "hosts": resources["hosts"],
        "hyperparameters": hps,
        "input_config_dir": "/opt/ml/input/config",
        "input_data_config": channels,
        "input_dir": "/opt/ml/input",
        "job_name": job_name,
        "log_level": _LOG_LEVEL_INFO,
        "model_dir": "/opt/ml/model",
        "network_interface_name": NETWORK_INTERFACE,
        "num_cpus": os.cpu_count() or 1,
        "num_gpus": 0,
        "output_data_dir": "/opt/ml/output/data",
        "output_dir": "/opt/ml/output",
        "output_intermediate_dir": "/opt/ml/output/intermediate",
        "resource_config": resources,
        "user_args": [item for name, value in hps.items() for item in (f"--{name}", _text(value))],
    }
    variables = {f"SM_{name.upper()}": _text(value) for name, value in properties.items()}
    variables |= {"SM_CHANNELS": json.dumps(sorted(channels)), "SM_HPS": json.dumps(hps),
                  "SM_TRAINING_ENV": json.dumps(properties)}
    variables |= {f"SM_CHANNEL_{name.upper()}": path for name, path in properties["channel_input_dirs"].items()}
    variables |= {f"SM_HP_{name.upper()}": _text(value) for name, value in hps.items()}
    return variables


def _decoded(value):
    """A hyperparameter as the toolkit reads it: JSON when its text is JSON ("50" is 50), else the text."""
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)
