"""Model registry backend, shaped like SageMaker's model-registry API.

Each public method is named after the SageMaker operation (``create_model_package`` for
CreateModelPackage), takes the request as a dict and returns the response as a dict, so the pipeline
runner calls it directly and the HTTP API passes requests through unchanged. Times are UTC datetimes.
"""
from __future__ import annotations

import json
from datetime import datetime

from sagelocal.clock import utc_now_iso
from sagelocal.config import Settings
from sagelocal.errors import ValidationError
from sagelocal.paging import paginate, sorted_by_request, time_filtered, with_token
from sagelocal.storage.sqlite import Database

APPROVAL_STATUSES = ("Approved", "Rejected", "PendingManualApproval")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS model_package_groups (
    name TEXT PRIMARY KEY,
    arn TEXT NOT NULL,
    description TEXT,
    creation_time TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS model_packages (
    arn TEXT PRIMARY KEY,
    group_name TEXT NOT NULL REFERENCES model_package_groups(name),
    version INTEGER NOT NULL,
    approval_status TEXT NOT NULL,
    creation_time TEXT NOT NULL,
    last_modified_time TEXT NOT NULL,
    request TEXT NOT NULL,
    UNIQUE (group_name, version)
);
"""

# Fields of CreateModelPackage kept verbatim and returned by DescribeModelPackage.
_STORED_FIELDS = (
    "ModelPackageDescription", "InferenceSpecification", "ModelMetrics", "DriftCheckBaselines",
    "CustomerMetadataProperties", "MetadataProperties", "Domain", "Task", "SamplePayloadUrl",
    "ValidationSpecification", "SourceAlgorithmSpecification", "SkipModelValidation",
    "AdditionalInferenceSpecifications", "ModelCard", "SourceUri",
)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


class RegistryBackend:
    """Model package groups and versions. ``settings.db_path("registry")`` holds the state."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.db = Database(settings.db_path("registry"), _SCHEMA)

    # -- groups -------------------------------------------------------------------------------
    def create_model_package_group(self, request: dict) -> dict:
        name = _required(request, "ModelPackageGroupName")
        arn = self.settings.arn("model-package-group", name.lower())
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM model_package_groups WHERE name = ?", (name,)).fetchone():
                raise ValidationError(f"Model Package Group already exists: {arn}")
            conn.execute(
                "INSERT INTO model_package_groups VALUES (?, ?, ?, ?)",
                (name, arn, request.get("ModelPackageGroupDescription"), utc_now_iso()),
            )
        return {"ModelPackageGroupArn": arn}

    def describe_model_package_group(self, request: dict) -> dict:
        row = self._group(_required(request, "ModelPackageGroupName"))
        return self._group_summary(row) | {"CreatedBy": {}}

    def list_model_package_groups(self, request: dict) -> dict:
        rows = self.db.query("SELECT * FROM model_package_groups")
        groups = [self._group_summary(r) for r in rows]
        if request.get("NameContains"):
            groups = [g for g in groups if request["NameContains"] in g["ModelPackageGroupName"]]
        groups = sorted_by_request(groups, request, {"Name": "ModelPackageGroupName", "CreationTime": "CreationTime"},
                         default_by="CreationTime", default_order="Descending")
        page, token = paginate(groups, request)
        return with_token({"ModelPackageGroupSummaryList": page}, token)

    def delete_model_package_group(self, request: dict) -> dict:
        with self.db.transaction() as conn:
            name = self._group(_required(request, "ModelPackageGroupName"))["name"]
            if conn.execute("SELECT 1 FROM model_packages WHERE group_name = ?", (name,)).fetchone():
                raise ValidationError(f"Model Package Group {name} still has model packages")
            conn.execute("DELETE FROM model_package_groups WHERE name = ?", (name,))
        return {}

    # -- versions -----------------------------------------------------------------------------
    def create_model_package(self, request: dict) -> dict:
        """Register a new version in ``ModelPackageGroupName`` (the group is created if missing)."""
        group = _required(request, "ModelPackageGroupName")
        status = request.get("ModelApprovalStatus", "PendingManualApproval")
        _check_approval(status)
        if "InferenceSpecification" in request:
            containers = request["InferenceSpecification"].get("Containers") or []
            if not containers or not all(c.get("Image") for c in containers):
                raise ValidationError("InferenceSpecification.Containers must name an Image for every container")
        stored = {k: request[k] for k in _STORED_FIELDS if k in request}
        now = utc_now_iso()
        with self.db.transaction() as conn:
            if not conn.execute("SELECT 1 FROM model_package_groups WHERE name = ?", (group,)).fetchone():
                conn.execute(
                    "INSERT INTO model_package_groups VALUES (?, ?, ?, ?)",
                    (group, self.settings.arn("model-package-group", group.lower()), None, now),
                )
            version = conn.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM model_packages WHERE group_name = ?", (group,)
            ).fetchone()[0]
            arn = self.settings.arn("model-package", f"{group.lower()}/{version}")
            conn.execute(
                "INSERT INTO model_packages VALUES (?, ?, ?, ?, ?, ?, ?)",
                (arn, group, version, status, now, now, json.dumps(stored)),
            )
        return {"ModelPackageArn": arn}

    def describe_model_package(self, request: dict) -> dict:
        row = self._package(_required(request, "ModelPackageName"))
        stored = json.loads(row["request"])
        response = self._package_summary(row) | {
            "ModelPackageStatusDetails": {"ValidationStatuses": [], "ImageScanStatuses": []},
            "CertifyForMarketplace": False,
            "LastModifiedTime": _time(row["last_modified_time"]),
        }
        response.update(stored)
        return response

    def list_model_packages(self, request: dict) -> dict:
        sql, params = "SELECT * FROM model_packages WHERE 1 = 1", []
        if request.get("ModelPackageGroupName"):
            group = request["ModelPackageGroupName"]
            sql, params = sql + " AND group_name = ?", params + [group.rsplit("/", 1)[-1]]
        if request.get("ModelApprovalStatus"):
            _check_approval(request["ModelApprovalStatus"])
            sql, params = sql + " AND approval_status = ?", params + [request["ModelApprovalStatus"]]
        packages = [self._package_summary(r) for r in self.db.query(sql, tuple(params))]
        if request.get("NameContains"):
            packages = [p for p in packages if request["NameContains"] in p["ModelPackageName"]]
        packages = time_filtered(packages, request, "CreationTime")
        packages = sorted_by_request(packages, request, {"Name": "ModelPackageName", "CreationTime": "CreationTime"},
                           default_by="CreationTime", default_order="Ascending")
        page, token = paginate(packages, request)
        return with_token({"ModelPackageSummaryList": page}, token)

    def update_model_package(self, request: dict) -> dict:
        """Change only the fields the request sets, reading the row inside the write's transaction: of two
        concurrent updates (an approval and a description, say) both take effect, whatever the order."""
        name = _required(request, "ModelPackageArn")
        if "ModelApprovalStatus" in request:
            _check_approval(request["ModelApprovalStatus"])
        with self.db.transaction() as conn:
            row = self._package(name)
            status = request.get("ModelApprovalStatus", row["approval_status"])
            stored = json.loads(row["request"])
            for key in ("ApprovalDescription", "CustomerMetadataProperties", "ModelCard", "SourceUri"):
                if key in request:
                    stored[key] = request[key]
            for key in request.get("CustomerMetadataPropertiesToRemove", []):
                stored.get("CustomerMetadataProperties", {}).pop(key, None)
            conn.execute(
                "UPDATE model_packages SET approval_status = ?, last_modified_time = ?, request = ? WHERE arn = ?",
                (status, utc_now_iso(), json.dumps(stored), row["arn"]),
            )
        return {"ModelPackageArn": row["arn"]}

    def delete_model_package(self, request: dict) -> dict:
        row = self._package(_required(request, "ModelPackageName"))
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM model_packages WHERE arn = ?", (row["arn"],))
        return {}

    # -- helpers ------------------------------------------------------------------------------
    def _group(self, name_or_arn: str):
        name = name_or_arn.rsplit("/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn
        row = self.db.query_one("SELECT * FROM model_package_groups WHERE name = ?", (name,))
        if row is None:
            raise ValidationError(f"ModelPackageGroup {name_or_arn} does not exist.")
        return row

    def _package(self, name_or_arn: str):
        row = self.db.query_one("SELECT * FROM model_packages WHERE arn = ?", (name_or_arn,))
        if row is None and not name_or_arn.startswith("arn:") and "/" in name_or_arn:
            group, _, version = name_or_arn.rpartition("/")
            row = self.db.query_one(
                "SELECT * FROM model_packages WHERE group_name = ? AND version = ?", (group, version)
            )
        if row is None:
            raise ValidationError(f"ModelPackage {name_or_arn} does not exist.")
        return row

    @staticmethod
    def _group_summary(row) -> dict:
        summary = {
            "ModelPackageGroupName": row["name"],
            "ModelPackageGroupArn": row["arn"],
            "CreationTime": _time(row["creation_time"]),
            "ModelPackageGroupStatus": "Completed",
        }
        if row["description"]:
            summary["ModelPackageGroupDescription"] = row["description"]
        return summary

    @staticmethod
    def _package_summary(row) -> dict:
        stored = json.loads(row["request"])
        summary = {
            "ModelPackageName": row["group_name"],
            "ModelPackageGroupName": row["group_name"],
            "ModelPackageVersion": row["version"],
            "ModelPackageArn": row["arn"],
            "CreationTime": _time(row["creation_time"]),
            "ModelPackageStatus": "Completed",
            "ModelApprovalStatus": row["approval_status"],
        }
        if stored.get("ModelPackageDescription"):
            summary["ModelPackageDescription"] = stored["ModelPackageDescription"]
        return summary


def _required(request: dict, key: str):
    value = request.get(key)
    if not value:
        raise ValidationError(f"1 validation error detected: Value null at '{key}' failed to satisfy constraint: "
                              "Member must not be null")
    return value


def _check_approval(status: str) -> None:
    if status not in APPROVAL_STATUSES:
        raise ValidationError(
            f"Value '{status}' at 'modelApprovalStatus' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(APPROVAL_STATUSES)}]"
        )
