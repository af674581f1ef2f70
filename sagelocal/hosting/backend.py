"""Hosting backend: models, endpoint configs and endpoints, shaped like SageMaker's API.

Methods are named after the operations (``create_endpoint(request) -> response``). State is in
``hosting.db``; live endpoints (loaded boosters, open capture files) are kept in memory and rebuilt lazily
after a restart, so an endpoint that was InService serves again as soon as it is invoked.
Errors follow AWS: a missing model, config or endpoint is a ValidationException ("Could not find ...").
"""
from __future__ import annotations

import json
import threading
from datetime import datetime

from sagelocal.clock import utc_now_iso
from sagelocal.config import Settings
from sagelocal.errors import UserError, ValidationError
from sagelocal.hosting.capture import CaptureDrops, CapturePolicy, CaptureWriter
from sagelocal.hosting.container_log import ContainerLog
from sagelocal.hosting.runtime import LiveEndpoint, LiveVariant, RuntimeValidationError
from sagelocal.jobs.models import ModelStore
from sagelocal.jobs.serving import XGBoostServer, load_booster, served_version
from sagelocal.paging import paginate, sorted_by_request, time_filtered, with_token
from sagelocal.storage import LocalS3
from sagelocal.storage.sqlite import Database, DatabaseUnavailable

# The models table is the model store's (sagelocal.jobs.models), in this same file.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS endpoint_configs (
    name TEXT PRIMARY KEY, arn TEXT NOT NULL, creation_time TEXT NOT NULL, request TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS endpoints (
    name TEXT PRIMARY KEY, arn TEXT NOT NULL, config_name TEXT NOT NULL, status TEXT NOT NULL,
    failure_reason TEXT, creation_time TEXT NOT NULL, last_modified_time TEXT NOT NULL,
    config TEXT NOT NULL, pending_config_name TEXT
);
"""
_SETTLING = ("Creating", "Updating")


class HostingBackend:
    """Models, endpoint configs, endpoints; ``invoke`` answers sagemaker-runtime's InvokeEndpoint."""

    def __init__(self, settings: Settings, registry):
        self.settings = settings
        self.registry = registry
        self.s3 = LocalS3(settings.s3_root)
        self.models = ModelStore(settings)
        self.db = Database(settings.db_path("hosting"), _SCHEMA)
        self._live: dict[str, LiveEndpoint] = {}
        self._boosters: dict[tuple[str, str], object] = {}
        self._lock = threading.Lock()
        self.capture_drops = CaptureDrops()
        # Endpoints caught mid-transition by a restart finish it now.
        try:
            for row in self.db.query("SELECT name FROM endpoints WHERE status IN ('Creating', 'Updating')"):
                self._settle_async(row["name"])
        except DatabaseUnavailable:
            pass  # logged by the store; the hosting operations answer with it, the other rooms serve on

    # -- models (their store is the jobs' room's: transform and Clarify jobs read it too) ---------
    def create_model(self, request: dict) -> dict:
        return self.models.create(request, self.registry)

    def describe_model(self, request: dict) -> dict:
        return self.models.describe(request)

    def list_models(self, request: dict) -> dict:
        return self._list_named("models", "Model", request, "Models")

    def delete_model(self, request: dict) -> dict:
        return self.models.delete(request)

    # -- endpoint configs ---------------------------------------------------------------------
    def create_endpoint_config(self, request: dict) -> dict:
        name = request["EndpointConfigName"]
        arn = self.settings.arn("endpoint-config", name.lower())
        variants = request["ProductionVariants"]
        if len({v["VariantName"] for v in variants}) != len(variants):
            raise ValidationError("VariantName must be unique within an endpoint config.")
        for variant in variants:
            if not variant.get("ModelName"):
                raise ValidationError(f"Variant {variant['VariantName']} needs a ModelName.")
            self.models.row(variant["ModelName"])
        capture = request.get("DataCaptureConfig")
        if capture:
            try:
                self.s3.path(capture["DestinationS3Uri"])
            except UserError as error:
                raise ValidationError(f"Invalid DataCaptureConfig.DestinationS3Uri: {error}") from None
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM endpoint_configs WHERE name = ?", (name,)).fetchone():
                raise ValidationError(f'Cannot create already existing endpoint configuration "{arn}".')
            conn.execute("INSERT INTO endpoint_configs VALUES (?, ?, ?, ?)",
                         (name, arn, utc_now_iso(), json.dumps(request)))
        return {"EndpointConfigArn": arn}

    def describe_endpoint_config(self, request: dict) -> dict:
        row = self._config(request["EndpointConfigName"])
        stored = {k: v for k, v in json.loads(row["request"]).items() if k != "Tags"}
        return stored | {"EndpointConfigArn": row["arn"],
                         "CreationTime": datetime.fromisoformat(row["creation_time"])}

    def list_endpoint_configs(self, request: dict) -> dict:
        return self._list_named("endpoint_configs", "EndpointConfig", request, "EndpointConfigs")

    def delete_endpoint_config(self, request: dict) -> dict:
        row = self._config(request["EndpointConfigName"])
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM endpoint_configs WHERE name = ?", (row["name"],))
        return {}

    # -- endpoints ----------------------------------------------------------------------------
    def create_endpoint(self, request: dict) -> dict:
        name = request["EndpointName"]
        arn = self.settings.arn("endpoint", name.lower())
        config = self._config(request["EndpointConfigName"])
        now = utc_now_iso()
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM endpoints WHERE name = ?", (name,)).fetchone():
                raise ValidationError(f'Cannot create already existing endpoint "{arn}".')
            conn.execute("INSERT INTO endpoints VALUES (?, ?, ?, 'Creating', NULL, ?, ?, ?, NULL)",
                         (name, arn, config["name"], now, now, config["request"]))
        self._settle_async(name)
        return {"EndpointArn": arn}

    def update_endpoint(self, request: dict) -> dict:
        name = request["EndpointName"]
        with self.db.transaction() as conn:
            # Status read and changed in one transaction (reads on this thread are part of it): of two
            # concurrent updates, one is refused.
            row = self._endpoint(name)
            if row["status"] != "InService":
                raise ValidationError(f'Cannot update in-progress endpoint "{row["arn"]}".')
            config = self._config(request["EndpointConfigName"])
            conn.execute("UPDATE endpoints SET status = 'Updating', pending_config_name = ?, "
                         "last_modified_time = ? WHERE name = ?", (config["name"], utc_now_iso(), name))
        self._settle_async(name)
        return {"EndpointArn": row["arn"]}

    def describe_endpoint(self, request: dict) -> dict:
        row = self._endpoint(request["EndpointName"])
        config = json.loads(row["config"])
        response = {
            "EndpointName": row["name"], "EndpointArn": row["arn"], "EndpointConfigName": row["config_name"],
            "ProductionVariants": [self._variant_summary(v, row) for v in config["ProductionVariants"]],
            "EndpointStatus": row["status"],
            "CreationTime": datetime.fromisoformat(row["creation_time"]),
            "LastModifiedTime": datetime.fromisoformat(row["last_modified_time"]),
        }
        capture = config.get("DataCaptureConfig")
        if capture:
            response["DataCaptureConfig"] = {
                "EnableCapture": bool(capture.get("EnableCapture")),
                "CaptureStatus": "Started" if capture.get("EnableCapture") else "Stopped",
                "CurrentSamplingPercentage": capture.get("InitialSamplingPercentage", 0),
                "DestinationS3Uri": capture["DestinationS3Uri"],
            } | ({"KmsKeyId": capture["KmsKeyId"]} if capture.get("KmsKeyId") else {})
        if row["failure_reason"]:
            response["FailureReason"] = row["failure_reason"]
        return response

    def list_endpoints(self, request: dict) -> dict:
        rows = self.db.query("SELECT * FROM endpoints")
        items = [{"EndpointName": r["name"], "EndpointArn": r["arn"], "EndpointStatus": r["status"],
                  "CreationTime": datetime.fromisoformat(r["creation_time"]),
                  "LastModifiedTime": datetime.fromisoformat(r["last_modified_time"])} for r in rows]
        if request.get("NameContains"):
            items = [i for i in items if request["NameContains"] in i["EndpointName"]]
        if request.get("StatusEquals"):
            items = [i for i in items if i["EndpointStatus"] == request["StatusEquals"]]
        items = sorted_by_request(items, request, {"Name": "EndpointName", "CreationTime": "CreationTime",
                                                   "Status": "EndpointStatus"}, "CreationTime")
        page, token = paginate(items, request)
        return with_token({"Endpoints": page}, token)

    def delete_endpoint(self, request: dict) -> dict:
        row = self._endpoint(request["EndpointName"])
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM endpoints WHERE name = ?", (row["name"],))
        with self._lock:
            live = self._live.pop(row["name"], None)
        if live is not None:
            live.close()
        return {}

    def endpoint_capture_config(self, name: str) -> dict | None:
        """The DataCaptureConfig an endpoint runs with (for monitoring schedules), or ValidationException."""
        return json.loads(self._endpoint(name)["config"]).get("DataCaptureConfig")

    # -- runtime ------------------------------------------------------------------------------
    def live_endpoint(self, name: str) -> LiveEndpoint:
        """The endpoint's in-memory server; loaded on first use after a restart."""
        live = self._live.get(name)
        if live is not None:
            return live
        row = self.db.query_one("SELECT * FROM endpoints WHERE name = ?", (name,))
        if row is None:
            raise RuntimeValidationError(f"Endpoint {name} of account {self.settings.account_id} not found.")
        if row["status"] not in ("InService", "Updating"):
            raise RuntimeValidationError(f"Endpoint {name} is not in service (status {row['status']}); it cannot "
                                         "be invoked yet.")
        with self._lock:
            if name not in self._live:
                self._live[name] = self._build(name, json.loads(row["config"]))
            return self._live[name]

    def _build(self, name: str, config: dict) -> LiveEndpoint:
        capture = config.get("DataCaptureConfig")
        policy = CapturePolicy(capture) if capture and capture.get("EnableCapture") else None
        variants = []
        for spec in config["ProductionVariants"]:
            container = self.models.container(spec["ModelName"])
            writer = None
            if policy is not None:
                writer = CaptureWriter(self.s3.path(policy.destination), name, spec["VariantName"],
                                       self.capture_drops)
            log = ContainerLog(self.settings.home, name, spec["VariantName"])
            server = XGBoostServer(self._booster(container), served_version(container["Image"]))
            log.write(f"Loaded the XGBoost model {container['ModelDataUrl']} ({container['Image']}); serving "
                      "/invocations")
            variants.append(LiveVariant(spec["VariantName"], float(spec.get("InitialVariantWeight", 1.0)), server,
                                        writer, log))
        log_group = (f"/aws/sagemaker/Endpoints/{name} (local server log) in account "
                     f"{self.settings.account_id}")
        return LiveEndpoint(name, variants, policy, log_group)

    def _booster(self, container: dict):
        uri, image = container["ModelDataUrl"], container["Image"]
        if (uri, image) not in self._boosters:
            path = self.s3.path(uri)
            if not path.is_file():
                raise ValueError(f"model artifact {uri} does not exist")
            self._boosters[uri, image] = load_booster(path, image)
        return self._boosters[uri, image]

    def _settle_async(self, name: str) -> None:
        threading.Thread(target=self._settle, args=(name,), name=f"endpoint-{name}", daemon=True).start()

    def _settle(self, name: str) -> None:
        """Finish Creating/Updating: load the models, then go InService (or Failed, with the reason)."""
        row = self.db.query_one("SELECT * FROM endpoints WHERE name = ?", (name,))
        if row is None or row["status"] not in _SETTLING:
            return
        config_name = row["pending_config_name"] or row["config_name"]
        try:
            config_row = self._config(config_name)
            config = json.loads(config_row["request"])
            live = self._build(name, config)
        except Exception as error:  # any load failure is the endpoint's FailureReason, as on AWS
            reason = f"Failed to load the model: {error}"
            with self.db.transaction() as conn:
                if row["status"] == "Creating":
                    conn.execute("UPDATE endpoints SET status = 'Failed', failure_reason = ? WHERE name = ? "
                                 "AND status = 'Creating'", (reason, name))
                else:  # a failed update rolls back to the running config
                    conn.execute("UPDATE endpoints SET status = 'InService', failure_reason = ?, "
                                 "pending_config_name = NULL WHERE name = ? AND status = 'Updating'", (reason, name))
            return
        with self.db.transaction() as conn:
            # Only if the endpoint is still the one read above: one deleted while its model loaded stays deleted.
            settled = conn.execute(
                "UPDATE endpoints SET status = 'InService', failure_reason = NULL, config_name = ?, config = ?, "
                "pending_config_name = NULL, last_modified_time = ? WHERE name = ? AND status = ?",
                (config_name, config_row["request"], utc_now_iso(), name, row["status"])).rowcount
        if not settled:
            live.close()
            return
        with self._lock:
            old, self._live[name] = self._live.get(name), live
        if old is not None:
            old.close()

    # -- helpers ------------------------------------------------------------------------------
    def _list_named(self, table: str, kind: str, request: dict, result_key: str) -> dict:
        """ListModels / ListEndpointConfigs: ``<kind>Name``, ``<kind>Arn`` and CreationTime of each row."""
        items = [{f"{kind}Name": r["name"], f"{kind}Arn": r["arn"],
                  "CreationTime": datetime.fromisoformat(r["creation_time"])}
                 for r in self.db.query(f"SELECT name, arn, creation_time FROM {table}")]
        if request.get("NameContains"):
            items = [i for i in items if request["NameContains"] in i[f"{kind}Name"]]
        items = time_filtered(items, request, "CreationTime")
        items = sorted_by_request(items, request, {"Name": f"{kind}Name", "CreationTime": "CreationTime"},
                                  "CreationTime")
        page, token = paginate(items, request)
        return with_token({result_key: page}, token)

    def _variant_summary(self, variant: dict, row) -> dict:
        model = self.models.find(variant["ModelName"])
        weight = float(variant.get("InitialVariantWeight", 1.0))
        count = variant.get("InitialInstanceCount", 1)
        summary = {"VariantName": variant["VariantName"], "CurrentWeight": weight, "DesiredWeight": weight,
                   "CurrentInstanceCount": count, "DesiredInstanceCount": count}
        if model is not None:
            image = json.loads(model["container"])["Image"]
            summary["DeployedImages"] = [{"SpecifiedImage": image, "ResolvedImage": image,
                                          "ResolutionTime": datetime.fromisoformat(row["creation_time"])}]
        return summary

    def _config(self, name: str):
        row = self.db.query_one("SELECT * FROM endpoint_configs WHERE name = ?", (name,))
        if row is None:
            arn = self.settings.arn("endpoint-config", name.lower())
            raise ValidationError(f'Could not find endpoint configuration "{arn}".')
        return row

    def _endpoint(self, name: str):
        row = self.db.query_one("SELECT * FROM endpoints WHERE name = ?", (name,))
        if row is None:
            raise ValidationError(f'Could not find endpoint "{self.settings.arn("endpoint", name.lower())}".')
        return row
