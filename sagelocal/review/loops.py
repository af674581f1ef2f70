"""Human loops: the ``sagemaker-a2i-runtime`` operations and the loop lifecycle.

InProgress → Completed when TaskCount distinct reviewers have submitted (output.json is written in the same
transaction that records the last answer, so a crash leaves either both or neither). InProgress → Failed
(FailureCode ``Expired``) when TaskAvailabilityLifetimeInSeconds passes first. StopHumanLoop → Stopping while
a reviewer still holds the task, then Stopped; answers submitted meanwhile are still written.
Time-based transitions are applied by :meth:`HumanLoops.settle`, which every read runs first. A task a
reviewer held when the server died is released at the next start (:meth:`HumanLoops.release_holds`).
"""
from __future__ import annotations

import base64
import json

from sagelocal.clock import as_utc_datetime
from sagelocal.errors import ConflictError, ServiceError, ValidationError
from sagelocal.paging import time_window
from sagelocal.review.control import check_name
from sagelocal.review.store import iso_millis, later, now, seconds_between, stamp
from sagelocal.storage import LocalS3

MAX_INPUT_CHARS = 3_145_728
DEFAULT_TIME_LIMIT = 3600
# A2I's default (and maximum) availability for a private workforce: 10 days.
DEFAULT_LIFETIME = 864_000
OPEN = ("InProgress", "Stopping")


class NotFound(ServiceError):
    code = "ResourceNotFoundException"
    status = 404


def flow_settings(flow_request: dict) -> tuple[int, int, int]:
    """``(TaskCount, TaskTimeLimitInSeconds, TaskAvailabilityLifetimeInSeconds)`` of a flow definition."""
    config = flow_request["HumanLoopConfig"]
    return (config["TaskCount"], config.get("TaskTimeLimitInSeconds", DEFAULT_TIME_LIMIT),
            config.get("TaskAvailabilityLifetimeInSeconds", DEFAULT_LIFETIME))


def output_uri(s3_output_path: str, flow_name: str, loop_name: str, created: str) -> str:
    """A2I's layout: ``{S3OutputPath}/{flow}/YYYY/MM/DD/hh/mm/ss/{loop}/output.json`` (UTC creation time)."""
    moment = as_utc_datetime(created)
    return f"{s3_output_path.rstrip('/')}/{flow_name}/{moment:%Y/%m/%d/%H/%M/%S}/{loop_name}/output.json"


class HumanLoops:
    """Loops and their answers in ``review.db``; output.json files in the local S3."""

    def __init__(self, settings, db):
        self.settings, self.db = settings, db
        self.s3 = LocalS3(settings.s3_root)

    # -- runtime operations -----------------------------------------------------------------------
    def start_human_loop(self, request: dict) -> dict:
        name, flow_arn = request["HumanLoopName"], request["FlowDefinitionArn"]
        content = request["HumanLoopInput"]["InputContent"]
        check_name(name, "humanLoopName")
        if len(content) > MAX_INPUT_CHARS:
            raise ValidationError(f"InputContent is longer than {MAX_INPUT_CHARS} characters")
        try:
            parsed = json.loads(content)
        except ValueError as error:
            raise ValidationError(f"InputContent is not valid JSON: {error}") from None
        if not isinstance(parsed, dict):
            raise ValidationError("InputContent must be a JSON object (templates read it as task.input)")
        arn = self.settings.arn("human-loop", name)
        created = now()
        with self.db.transaction() as conn:
            flow = conn.execute("SELECT name, request FROM flow_definitions WHERE arn = ?", (flow_arn,)).fetchone()
            if flow is None:
                raise NotFound(f"Flow definition {flow_arn} does not exist.")
            flow_request = json.loads(flow["request"])
            lifetime = flow_settings(flow_request)[2]
            uri = output_uri(flow_request["OutputConfig"]["S3OutputPath"], flow["name"], name, created)
            existing = conn.execute("SELECT input, flow_arn FROM human_loops WHERE name = ?", (name,)).fetchone()
            if existing is not None:
                # A retry with the same input is the same request: answer it again, start nothing.
                if existing["input"] == content and existing["flow_arn"] == flow_arn:
                    return {"HumanLoopArn": arn}
                raise ConflictError(f"A human loop named {name} already exists with different input data or flow "
                                    "definition; delete it before reusing the name.")
            conn.execute("INSERT INTO human_loops VALUES (?, ?, ?, ?, 'InProgress', ?, ?, ?, ?, NULL, NULL)",
                         (name, arn, flow["name"], flow_arn, created, later(created, lifetime), content, uri))
        return {"HumanLoopArn": arn}

    def describe_human_loop(self, name: str) -> dict:
        self.settle()
        row = self.loop(name)
        response = {"CreationTime": as_utc_datetime(row["created"]), "HumanLoopStatus": row["status"],
                    "HumanLoopName": row["name"], "HumanLoopArn": row["arn"], "FlowDefinitionArn": row["flow_arn"],
                    "HumanLoopOutput": {"OutputS3Uri": row["output_uri"]}}
        if row["failure_code"]:
            response |= {"FailureCode": row["failure_code"], "FailureReason": row["failure_reason"]}
        return response

    def list_human_loops(self, request: dict) -> dict:
        self.settle()
        where, params = ["flow_arn = ?"], [request["FlowDefinitionArn"]]
        after, before = time_window(request)  # the one window of every List*, in SQL: the loops are many
        if after is not None:
            where.append("created >= ?")
            params.append(stamp(after))
        if before is not None:
            where.append("created < ?")
            params.append(stamp(before))
        order = request.get("SortOrder") or "Descending"
        if order not in ("Ascending", "Descending"):
            raise ValidationError("SortOrder must be Ascending or Descending")
        direction = "ASC" if order == "Ascending" else "DESC"
        limit = int(request.get("MaxResults") or 100)
        if not 1 <= limit <= 100:
            raise ValidationError(f"MaxResults must be between 1 and 100, got {limit}")
        offset = _decode_token(request.get("NextToken"))
        rows = self.db.query(
            f"SELECT name, status, created, failure_reason, flow_arn FROM human_loops WHERE {' AND '.join(where)} "
            f"ORDER BY created {direction}, name {direction} LIMIT ? OFFSET ?", (*params, limit + 1, offset))
        summaries = [{"HumanLoopName": r["name"], "HumanLoopStatus": r["status"],
                      "CreationTime": as_utc_datetime(r["created"]), "FlowDefinitionArn": r["flow_arn"]}
                     | ({"FailureReason": r["failure_reason"]} if r["failure_reason"] else {})
                     for r in rows[:limit]]
        response = {"HumanLoopSummaries": summaries}
        if len(rows) > limit:
            response["NextToken"] = base64.urlsafe_b64encode(str(offset + limit).encode()).decode()
        return response

    def stop_human_loop(self, name: str) -> dict:
        self.settle()
        with self.db.transaction() as conn:
            row = self._loop(conn, name)
            if row["status"] in ("Completed", "Failed"):
                raise ValidationError(f"Human loop {name} is {row['status']} and cannot be stopped.")
            if row["status"] == "InProgress":
                held = conn.execute("SELECT 1 FROM assignments WHERE loop = ? AND submitted IS NULL AND deadline > ?",
                                    (name, now())).fetchone()
                conn.execute("UPDATE human_loops SET status = ? WHERE name = ?",
                             ("Stopping" if held else "Stopped", name))
                if not held:
                    self._write_output_if_answered(conn, row)
        return {}

    def delete_human_loop(self, name: str) -> dict:
        self.settle()
        with self.db.transaction() as conn:
            row = self._loop(conn, name)
            if row["status"] in OPEN:
                raise ValidationError(f"Human loop {name} is {row['status']}; stop it before deleting it.")
            conn.execute("DELETE FROM human_loops WHERE name = ?", (name,))
        return {}

    # -- lifecycle --------------------------------------------------------------------------------
    def loop(self, name: str):
        row = self.db.query_one("SELECT * FROM human_loops WHERE name = ?", (name,))
        if row is None:
            raise NotFound(f"Human loop {name} does not exist.")
        return row

    def _loop(self, conn, name: str):
        row = conn.execute("SELECT * FROM human_loops WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFound(f"Human loop {name} does not exist.")
        return row

    def settle(self) -> None:
        """Apply what time has decided: expired loops fail, stopping loops whose holders are gone stop."""
        moment = now()
        if self.db.query_one("SELECT 1 FROM human_loops WHERE (status = 'InProgress' AND expires <= ?) "
                             "OR status = 'Stopping' LIMIT 1", (moment,)) is None:
            return
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE human_loops SET status = 'Failed', failure_code = 'Expired', failure_reason = "
                "'Fewer reviewers than TaskCount submitted before TaskAvailabilityLifetimeInSeconds ran out.' "
                "WHERE status = 'InProgress' AND expires <= ?", (moment,))
            stopping = conn.execute(
                "SELECT * FROM human_loops WHERE status = 'Stopping' AND NOT EXISTS (SELECT 1 FROM assignments "
                "WHERE loop = human_loops.name AND submitted IS NULL AND deadline > ?)", (moment,)).fetchall()
            for row in stopping:
                conn.execute("UPDATE human_loops SET status = 'Stopped' WHERE name = ?", (row["name"],))
                self._write_output_if_answered(conn, row)

    def release_holds(self) -> None:
        """At a server start: every task still held was opened on a page of a server that is gone, so it goes
        back to the queue now rather than when its time limit runs out (as A2I returns a task its worker
        released). A Stopping loop held only that way becomes Stopped, with output.json if anyone answered."""
        moment = now()
        with self.db.transaction() as conn:
            conn.execute("UPDATE assignments SET deadline = ? WHERE submitted IS NULL AND deadline > ?",
                         (moment, moment))
        self.settle()

    def complete_if_done(self, conn, row, task_count: int) -> bool:
        """After an answer: Completed (and output.json written) once ``task_count`` reviewers have answered."""
        answered = conn.execute("SELECT COUNT(*) FROM assignments WHERE loop = ? AND submitted IS NOT NULL",
                                (row["name"],)).fetchone()[0]
        if row["status"] == "Stopping":
            held = conn.execute("SELECT 1 FROM assignments WHERE loop = ? AND submitted IS NULL AND deadline > ?",
                                (row["name"], now())).fetchone()
            if not held:
                conn.execute("UPDATE human_loops SET status = 'Stopped' WHERE name = ?", (row["name"],))
                self._write_output(conn, row)
            return False
        if answered < task_count:
            return False
        conn.execute("UPDATE human_loops SET status = 'Completed' WHERE name = ?", (row["name"],))
        self._write_output(conn, row)
        return True

    def _write_output_if_answered(self, conn, row) -> None:
        if conn.execute("SELECT 1 FROM assignments WHERE loop = ? AND submitted IS NOT NULL",
                        (row["name"],)).fetchone():
            self._write_output(conn, row)

    def _write_output(self, conn, row) -> None:
        answers = conn.execute("SELECT * FROM assignments WHERE loop = ? AND submitted IS NOT NULL "
                               "ORDER BY submitted, worker", (row["name"],)).fetchall()
        human_answers = []
        for answer in answers:
            stored = json.loads(answer["answer"])
            human_answers.append({
                "acceptanceTime": iso_millis(answer["accepted"]), "answerContent": stored["answerContent"],
                "submissionTime": iso_millis(answer["submitted"]),
                "timeSpentInSeconds": seconds_between(answer["accepted"], answer["submitted"]),
                "workerId": stored["workerId"], "workerMetadata": stored["workerMetadata"]})
        document = {"flowDefinitionArn": row["flow_arn"], "humanAnswers": human_answers,
                    "humanLoopName": row["name"], "inputContent": json.loads(row["input"])}
        self.s3.write_bytes(row["output_uri"], json.dumps(document, indent=4).encode())


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("Invalid NextToken") from None
