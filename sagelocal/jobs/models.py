"""The models CreateModel made: each one's container (image, model artifact, environment), which endpoints,
transform jobs, Clarify jobs and a pipeline's Model step serve.

The table is in ``hosting.db``, beside the endpoints; its code is here, in the jobs' room, because jobs read it
and the hosting backend is a layer above them. A container given by model package is read from the registry the
caller passes (anything with ``describe_model_package``): the registry is a room beside this one.
"""
from __future__ import annotations

import json
from datetime import datetime

from sagelocal.clock import utc_now_iso
from sagelocal.config import Settings
from sagelocal.errors import UserError, ValidationError
from sagelocal.jobs.container import image_refusal
from sagelocal.jobs.serving import SERVED_IMAGES
from sagelocal.storage import LocalS3
from sagelocal.storage.sqlite import Database

MODELS_SCHEMA = """
CREATE TABLE IF NOT EXISTS models (
    name TEXT PRIMARY KEY, arn TEXT NOT NULL, creation_time TEXT NOT NULL,
    request TEXT NOT NULL, container TEXT NOT NULL
);
"""


def model_container(settings: Settings, name: str) -> dict:
    """The Image, ModelDataUrl and Environment a created model serves (a transform job reads it), or the
    ValidationException DescribeModel gives for a model that does not exist."""
    return ModelStore(settings).container(name)


class ModelStore:
    """CreateModel, DescribeModel and DeleteModel on the ``models`` table."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.db = Database(settings.db_path("hosting"), MODELS_SCHEMA)
        self.s3 = LocalS3(settings.s3_root)

    def create(self, request: dict, registry) -> dict:
        name = request["ModelName"]
        arn = self.settings.arn("model", name.lower())
        container = self._resolve_container(request, registry)
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM models WHERE name = ?", (name,)).fetchone():
                raise ValidationError(f'Cannot create already existing model "{arn}".')
            conn.execute("INSERT INTO models VALUES (?, ?, ?, ?, ?)",
                         (name, arn, utc_now_iso(), json.dumps(request), json.dumps(container)))
        return {"ModelArn": arn}

    def describe(self, request: dict) -> dict:
        row = self.row(request["ModelName"])
        stored = json.loads(row["request"])
        response = {k: v for k, v in stored.items() if k not in ("Tags",)}
        return response | {"ModelArn": row["arn"], "CreationTime": datetime.fromisoformat(row["creation_time"]),
                           "DeploymentRecommendation": {"RecommendationStatus": "NOT_APPLICABLE"}}

    def delete(self, request: dict) -> dict:
        row = self.row(request["ModelName"])
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM models WHERE name = ?", (row["name"],))
        return {}

    def container(self, name: str) -> dict:
        return json.loads(self.row(name)["container"])

    def find(self, name: str):
        """The model's row, or None."""
        return self.db.query_one("SELECT * FROM models WHERE name = ?", (name,))

    def row(self, name: str):
        """The model's row, or DescribeModel's ValidationException."""
        row = self.find(name)
        if row is None:
            raise ValidationError(f'Could not find model "{self.settings.arn("model", name.lower())}".')
        return row

    def _resolve_container(self, request: dict, registry) -> dict:
        """The image and model artifact a model serves, from the container or its model package."""
        containers = [request["PrimaryContainer"]] if request.get("PrimaryContainer") else request.get("Containers")
        if not containers:
            raise ValidationError("A model needs PrimaryContainer or Containers.")
        if len(containers) > 1:
            raise ValidationError("sagelocal serves single-container models only (inference pipelines are not "
                                  "supported).")
        container = containers[0]
        if container.get("ModelPackageName"):
            package = registry.describe_model_package({"ModelPackageName": container["ModelPackageName"]})
            spec = (package.get("InferenceSpecification") or {}).get("Containers") or [{}]
            image, data_url = spec[0].get("Image"), spec[0].get("ModelDataUrl")
        else:
            image, data_url = container.get("Image"), container.get("ModelDataUrl")
        if not image or not data_url:
            raise ValidationError("The model's container needs an Image and a ModelDataUrl (an s3:// URI of "
                                  "model.tar.gz).")
        # AWS accepts any image here; the local server serves only XGBoost, so it says so now, not at CreateEndpoint.
        if reason := image_refusal(image, SERVED_IMAGES, "hosting"):
            raise ValidationError(reason)
        try:
            self.s3.path(data_url)
        except UserError as error:
            raise ValidationError(f"Invalid ModelDataUrl: {error}") from None
        return {"Image": image, "ModelDataUrl": data_url, "Environment": container.get("Environment", {})}
