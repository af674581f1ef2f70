"""The ``sagemaker`` side of A2I: worker task UIs, private workteams and flow definitions.

Methods are named after the operations; requests arrive already validated against botocore's model, so
only what the model cannot express (name patterns, references between resources) is checked here.
"""
from __future__ import annotations

import hashlib
import json
import re

from sagelocal import request_origin
from sagelocal.clock import as_utc_datetime
from sagelocal.errors import ResourceInUse, ResourceNotFound, UserError, ValidationError
from sagelocal.paging import paginate, sorted_by_request, time_filtered, with_token
from sagelocal.review.rendering import template_problem
from sagelocal.review.store import now
from sagelocal.storage import LocalS3

NAME = re.compile(r"^[a-z0-9](-*[a-z0-9])*$")
WORKTEAM_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
WORKFORCE = "private-crowd"
OIDC_POOL = "oidc"  # the user pool that OIDC member definitions' groups are kept under


def check_name(value: str, what: str, pattern=NAME) -> None:
    if not pattern.match(value) or len(value) > 63:
        raise ValidationError(f"1 validation error detected: Value '{value}' at '{what}' failed to satisfy "
                              f"constraint: Member must satisfy regular expression pattern: {pattern.pattern} "
                              "and have length less than or equal to 63")


def _listing(key: str, items: list[dict], request: dict) -> dict:
    """One page of ``items`` under ``key``: in the request's CreationTime window, sorted by CreationTime."""
    items = sorted_by_request(time_filtered(items, request, "CreationTime"), request,
                              {"CreationTime": "CreationTime"}, "CreationTime", "Descending")
    page, token = paginate(items, request)
    return with_token({key: page}, token)


def _member_groups(members: list[dict]) -> list[tuple[str, str]]:
    """(user pool, group) of each member definition: a Cognito user group, or the groups of an OIDC definition
    (local reviewer groups of the same names). As on AWS, one team's definitions are all of one kind."""
    kinds = {"Oidc" if "OidcMemberDefinition" in m else "Cognito" for m in members}
    if len(kinds) > 1:
        raise ValidationError("MemberDefinitions must be all CognitoMemberDefinition or all OidcMemberDefinition.")
    cognito = [m["CognitoMemberDefinition"] for m in members if "CognitoMemberDefinition" in m]
    if len({(c["UserPool"], c["ClientId"]) for c in cognito}) > 1:
        raise ValidationError("All of the CognitoMemberDefinition objects that make up the member definition "
                              "must have the same ClientId and UserPool values.")
    groups = []
    for member in members:
        if "OidcMemberDefinition" in member:
            groups += [(OIDC_POOL, group) for group in member["OidcMemberDefinition"].get("Groups") or []]
        elif "CognitoMemberDefinition" in member:
            groups.append((member["CognitoMemberDefinition"]["UserPool"], member["CognitoMemberDefinition"]["UserGroup"]))
        else:
            raise ValidationError("Each member definition needs a CognitoMemberDefinition or an OidcMemberDefinition.")
    if not groups:
        raise ValidationError("OidcMemberDefinition needs at least one group.")
    return groups


class ControlPlane:
    """Task UIs, workteams and flow definitions in ``review.db``."""

    def __init__(self, settings, db):
        self.settings, self.db = settings, db
        self.s3 = LocalS3(settings.s3_root)

    # -- human task UIs ---------------------------------------------------------------------------
    def create_human_task_ui(self, request: dict) -> dict:
        name, content = request["HumanTaskUiName"], request["UiTemplate"]["Content"]
        check_name(name, "humanTaskUiName")
        problem = template_problem(content)
        if problem:
            raise ValidationError(f"The UiTemplate content is not a valid Liquid template: {problem}")
        arn = self.settings.arn("human-task-ui", name)
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM task_uis WHERE name = ?", (name,)).fetchone():
                raise ResourceInUse(f"HumanTaskUi already exists: {arn}")
            conn.execute("INSERT INTO task_uis VALUES (?, ?, ?, ?, ?)",
                         (name, arn, now(), content, hashlib.sha256(content.encode()).hexdigest()))
        return {"HumanTaskUiArn": arn}

    def describe_human_task_ui(self, request: dict) -> dict:
        row = self.task_ui(request["HumanTaskUiName"])
        return {"HumanTaskUiArn": row["arn"], "HumanTaskUiName": row["name"], "HumanTaskUiStatus": "Active",
                "CreationTime": as_utc_datetime(row["created"]),
                "UiTemplate": {"Url": f"{request_origin.current()}/portal/task-uis/{row['name']}/template",
                               "ContentSha256": row["sha256"]}}

    def list_human_task_uis(self, request: dict) -> dict:
        items = [{"HumanTaskUiName": r["name"], "HumanTaskUiArn": r["arn"],
                  "CreationTime": as_utc_datetime(r["created"])}
                 for r in self.db.query("SELECT name, arn, created FROM task_uis")]
        return _listing("HumanTaskUiSummaries", items, request)

    def delete_human_task_ui(self, request: dict) -> dict:
        name = request["HumanTaskUiName"]
        with self.db.transaction() as conn:
            if not conn.execute("DELETE FROM task_uis WHERE name = ?", (name,)).rowcount:
                raise ResourceNotFound(f"HumanTaskUi {name} does not exist.")
        return {}

    def task_ui(self, name: str):
        row = self.db.query_one("SELECT * FROM task_uis WHERE name = ?", (name,))
        if row is None:
            raise ResourceNotFound(f"HumanTaskUi {name} does not exist.")
        return row

    def task_ui_by_arn(self, arn: str) -> str:
        row = self.db.query_one("SELECT content FROM task_uis WHERE arn = ?", (arn,))
        if row is None:
            raise ResourceNotFound(f"HumanTaskUi {arn} does not exist.")
        return row["content"]

    # -- workteams --------------------------------------------------------------------------------
    def create_workteam(self, request: dict) -> dict:
        name = request["WorkteamName"]
        check_name(name, "workteamName", WORKTEAM_NAME)
        groups = _member_groups(request["MemberDefinitions"])
        arn = self.settings.arn("workteam", f"{WORKFORCE}/{name}")
        created = now()
        stored = {k: v for k, v in request.items() if k != "Tags"}
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM workteams WHERE name = ?", (name,)).fetchone():
                raise ResourceInUse(f"Workteam already exists: {arn}")
            conn.execute("INSERT INTO workteams VALUES (?, ?, ?, ?, ?)",
                         (name, arn, created, created, json.dumps(stored)))
            conn.executemany("INSERT OR IGNORE INTO team_groups VALUES (?, ?, ?)",
                             [(name, pool, group) for pool, group in groups])
        return {"WorkteamArn": arn}

    def describe_workteam(self, request: dict) -> dict:
        return {"Workteam": self._workteam_shape(self.workteam(request["WorkteamName"]))}

    def list_workteams(self, request: dict) -> dict:
        items = [self._workteam_shape(r) for r in self.db.query("SELECT * FROM workteams")]
        if request.get("NameContains"):
            items = [i for i in items if request["NameContains"] in i["WorkteamName"]]
        items = sorted_by_request(items, request, {"Name": "WorkteamName", "CreateDate": "CreateDate"}, "CreateDate",
                        "Ascending")
        page, token = paginate(items, request)
        return with_token({"Workteams": page}, token)

    def workteam(self, name: str):
        row = self.db.query_one("SELECT * FROM workteams WHERE name = ?", (name,))
        if row is None:
            raise ResourceNotFound(f"Workteam {name} does not exist.")
        return row

    def _workteam_shape(self, row) -> dict:
        stored = json.loads(row["request"])
        return {"WorkteamName": row["name"], "MemberDefinitions": stored["MemberDefinitions"],
                "WorkteamArn": row["arn"], "WorkforceArn": self.settings.arn("workforce", WORKFORCE),
                "ProductListingIds": [], "Description": stored["Description"], "SubDomain": request_origin.host(),
                "CreateDate": as_utc_datetime(row["created"]), "LastUpdatedDate": as_utc_datetime(row["updated"])}

    # -- flow definitions -------------------------------------------------------------------------
    def create_flow_definition(self, request: dict) -> dict:
        name, config = request["FlowDefinitionName"], request["HumanLoopConfig"]
        check_name(name, "flowDefinitionName")
        if "HumanLoopActivationConfig" in request and "HumanLoopRequestSource" not in request:
            raise ValidationError("HumanLoopActivationConfig is only supported with a HumanLoopRequestSource "
                                  "(built-in task types); custom task types start loops with StartHumanLoop")
        self._check_output_path(request["OutputConfig"]["S3OutputPath"])
        if config.get("TaskTimeLimitInSeconds", 3600) < 30:
            raise ValidationError("TaskTimeLimitInSeconds must be at least 30")
        arn = self.settings.arn("flow-definition", name)
        stored = {k: v for k, v in request.items() if k != "Tags"}
        with self.db.transaction() as conn:
            for ref, kind, table in ((config["WorkteamArn"], "Workteam", "workteams"),
                                     (config["HumanTaskUiArn"], "HumanTaskUi", "task_uis")):
                if conn.execute(f"SELECT 1 FROM {table} WHERE arn = ?", (ref,)).fetchone() is None:
                    raise ValidationError(f"{kind} {ref} does not exist.")
            if conn.execute("SELECT 1 FROM flow_definitions WHERE name = ?", (name,)).fetchone():
                raise ResourceInUse(f"FlowDefinition already exists: {arn}")
            conn.execute("INSERT INTO flow_definitions VALUES (?, ?, ?, ?)", (name, arn, now(), json.dumps(stored)))
        return {"FlowDefinitionArn": arn}

    def describe_flow_definition(self, request: dict) -> dict:
        row = self.flow_definition(request["FlowDefinitionName"])
        return {"FlowDefinitionArn": row["arn"], "FlowDefinitionStatus": "Active",
                "CreationTime": as_utc_datetime(row["created"])} | json.loads(row["request"])

    def list_flow_definitions(self, request: dict) -> dict:
        items = [{"FlowDefinitionName": r["name"], "FlowDefinitionArn": r["arn"], "FlowDefinitionStatus": "Active",
                  "CreationTime": as_utc_datetime(r["created"])}
                 for r in self.db.query("SELECT name, arn, created FROM flow_definitions")]
        return _listing("FlowDefinitionSummaries", items, request)

    def delete_flow_definition(self, request: dict) -> dict:
        name = request["FlowDefinitionName"]
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM human_loops WHERE flow_name = ? AND status IN ('InProgress', 'Stopping')",
                            (name,)).fetchone():
                raise ResourceInUse(f"FlowDefinition {name} has human loops in progress; stop them first.")
            if not conn.execute("DELETE FROM flow_definitions WHERE name = ?", (name,)).rowcount:
                raise ResourceNotFound(f"FlowDefinition {name} does not exist.")
        return {}

    def _check_output_path(self, path: str) -> None:
        """Refuse now an S3OutputPath that output.json could not be written under when a reviewer submits."""
        try:
            self.s3.path(path)
        except UserError as error:
            raise ValidationError(f"1 validation error detected: Value '{path}' at 'outputConfig.s3OutputPath' "
                                  "failed to satisfy constraint: Member must be an s3:// URI of a valid bucket "
                                  "name (3 to 63 lowercase letters, digits, dots and hyphens) and a key without "
                                  f"'.' or '..' segments: {error}") from None

    def flow_definition(self, name: str):
        row = self.db.query_one("SELECT * FROM flow_definitions WHERE name = ?", (name,))
        if row is None:
            raise ResourceNotFound(f"FlowDefinition {name} does not exist.")
        return row
