"""The reviewers' side of human loops: which tasks a reviewer may see, accepting one, submitting an answer.

A reviewer sees the InProgress loops of flow definitions whose workteam lists one of the reviewer's user
groups in the reviewer's user pool (a group is named within its pool: two pools may each have a "reviewers").
Opening a task accepts it (starting TaskTimeLimitInSeconds); at most TaskCount reviewers hold or have answered
a loop at once, and each reviewer answers a loop once. A hold that runs out is released: it
no longer counts, and a late submission is refused. A server start releases every hold (see
:meth:`HumanLoops.release_holds`).
"""
from __future__ import annotations

import json

from sagelocal import request_origin
from sagelocal.errors import ServiceError
from sagelocal.review.control import OIDC_POOL
from sagelocal.review.loops import HumanLoops, NotFound, flow_settings
from sagelocal.review.store import later, now


class TaskUnavailable(ServiceError):
    code = "TaskUnavailable"
    status = 409


class Tasks:
    def __init__(self, db, loops: HumanLoops, region: str):
        self.db, self.loops, self.region = db, loops, region

    @staticmethod
    def _flows_for(conn, worker: str) -> dict:
        """Flow definitions (name → (request, user pool)) whose workteam includes one of the worker's groups."""
        rows = conn.execute(
            "SELECT DISTINCT f.name, f.request, w.user_pool FROM workers w "
            "JOIN group_members m ON m.worker = w.name "
            "JOIN team_groups g ON g.user_group = m.user_group AND g.user_pool = w.user_pool "
            "JOIN workteams t ON t.name = g.team "
            "JOIN flow_definitions f ON json_extract(f.request, '$.HumanLoopConfig.WorkteamArn') = t.arn "
            "WHERE w.name = ?", (worker,)).fetchall()
        return {row["name"]: (json.loads(row["request"]), row["user_pool"]) for row in rows}

    def may_read_task_ui(self, worker: str, task_ui_arn: str) -> bool:
        """Whether a flow definition of one of the worker's workteams uses this task UI."""
        flows = self._flows_for(self.db.connection(), worker)
        return any(request["HumanLoopConfig"]["HumanTaskUiArn"] == task_ui_arn for request, _ in flows.values())

    def available(self, worker: str, limit: int = 200) -> list[dict]:
        """Loops this worker can open now, oldest first, with the flow's title."""
        self.loops.settle()
        flows = self._flows_for(self.db.connection(), worker)
        if not flows:
            return []
        moment = now()
        marks = ",".join("?" * len(flows))
        rows = self.db.query(
            f"SELECT l.name, l.flow_name, l.created, l.expires, "
            f"(SELECT COUNT(*) FROM assignments a WHERE a.loop = l.name AND (a.submitted IS NOT NULL OR a.deadline > ?)"
            f" AND a.worker != ?) AS others, "
            f"(SELECT submitted FROM assignments a WHERE a.loop = l.name AND a.worker = ?) AS mine "
            f"FROM human_loops l WHERE l.status = 'InProgress' AND l.flow_name IN ({marks}) ORDER BY l.created, l.name",
            (moment, worker, worker, *flows))
        tasks = []
        for row in rows:
            request, _ = flows[row["flow_name"]]
            if row["mine"] is not None or row["others"] >= flow_settings(request)[0]:
                continue
            tasks.append({"loop": row["name"], "title": request["HumanLoopConfig"]["TaskTitle"],
                          "description": request["HumanLoopConfig"]["TaskDescription"],
                          "created": row["created"], "expires": row["expires"]})
            if len(tasks) >= limit:
                break
        return tasks

    def accept(self, worker: str, loop_name: str) -> dict:
        """Hold the task for ``worker`` (or keep its current hold); return the loop, flow and deadline."""
        self.loops.settle()
        moment = now()
        with self.db.transaction() as conn:
            flows = self._flows_for(conn, worker)
            row, request, _, mine = self._visible_task(conn, flows, worker, loop_name)
            task_count, time_limit, _ = flow_settings(request)
            if mine is not None and mine["submitted"] is not None:
                raise TaskUnavailable("You have already answered this task.")
            if row["status"] != "InProgress" and not (mine and row["status"] == "Stopping"):
                raise TaskUnavailable(f"This task is no longer open (the human loop is {row['status']}).")
            if mine is not None and mine["deadline"] > moment:
                return {"loop": row, "flow": request, "deadline": mine["deadline"]}
            others = conn.execute("SELECT COUNT(*) FROM assignments WHERE loop = ? AND worker != ? AND "
                                  "(submitted IS NOT NULL OR deadline > ?)", (loop_name, worker, moment)).fetchone()[0]
            if others >= task_count:
                raise TaskUnavailable("Enough reviewers already hold or answered this task.")
            conn.execute("INSERT OR REPLACE INTO assignments VALUES (?, ?, ?, ?, NULL, NULL)",
                         (loop_name, worker, moment, later(moment, time_limit)))
        return {"loop": row, "flow": request, "deadline": later(moment, time_limit)}

    @staticmethod
    def _visible_task(conn, flows: dict, worker: str, loop_name: str) -> tuple:
        """``(loop row, flow request, user pool, worker's assignment or None)`` of a loop the worker may see.

        A loop of another team is reported as not found, so names of other teams' loops do not leak."""
        row = conn.execute("SELECT * FROM human_loops WHERE name = ?", (loop_name,)).fetchone()
        if row is None or row["flow_name"] not in flows:
            raise NotFound(f"No task {loop_name} for you.")
        request, pool = flows[row["flow_name"]]
        mine = conn.execute("SELECT * FROM assignments WHERE loop = ? AND worker = ?", (loop_name, worker)).fetchone()
        return row, request, pool, mine

    def submit(self, worker: str, loop_name: str, answer_content: dict) -> str:
        """Record the answer; return the loop's status afterwards (Completed once TaskCount have answered)."""
        if not isinstance(answer_content, dict):
            raise TaskUnavailable("The answer must be a JSON object.")
        self.loops.settle()
        moment = now()
        with self.db.transaction() as conn:
            flows = self._flows_for(conn, worker)
            row, request, pool, mine = self._visible_task(conn, flows, worker, loop_name)
            if mine is None:
                raise TaskUnavailable("Open the task before answering it.")
            if mine["submitted"] is not None:
                raise TaskUnavailable("You have already answered this task.")
            if mine["deadline"] <= moment:
                raise TaskUnavailable("This task was released to other reviewers: its time limit ran out, or the "
                                      "server restarted while you held it. Open it again if it is still listed.")
            if row["status"] not in ("InProgress", "Stopping"):
                raise TaskUnavailable(f"This task is no longer open (the human loop is {row['status']}).")
            account = conn.execute("SELECT worker_id, sub FROM workers WHERE name = ?", (worker,)).fetchone()
            stored = {"answerContent": answer_content, "workerId": account["worker_id"],
                      "workerMetadata": {"identityData": _identity(pool, account["sub"], self.region)}}
            conn.execute("UPDATE assignments SET submitted = ?, answer = ? WHERE loop = ? AND worker = ?",
                         (moment, json.dumps(stored), loop_name, worker))
            self.loops.complete_if_done(conn, row, flow_settings(request)[0])
            return conn.execute("SELECT status FROM human_loops WHERE name = ?", (loop_name,)).fetchone()[0]


def _identity(pool: str, sub: str, region: str) -> dict:
    """The reviewer's identity in output.json: an OIDC group member's issuer is this server."""
    if pool == OIDC_POOL:
        return {"identityProviderType": "Oidc", "sub": sub, "issuer": request_origin.current()}
    return {"identityProviderType": "Cognito", "sub": sub, "issuer": f"https://cognito-idp.{region}.amazonaws.com/{pool}"}
