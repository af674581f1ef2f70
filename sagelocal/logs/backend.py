"""DescribeLogGroups, DescribeLogStreams, GetLogEvents and FilterLogEvents over the runtime's own output.

Every call first ingests what the sources (job and endpoint output files) gained, so a running job's output
appears as it is written, as the SDK's ``wait(logs=True)`` expects. Times are epoch milliseconds, as in the
CloudWatch Logs API.
"""
from __future__ import annotations

import base64
import binascii
import re

from sagelocal.config import Settings
from sagelocal.errors import ServiceError
from sagelocal.logs.filter_pattern import InvalidParameter, compile_pattern
from sagelocal.logs.sources import all_sources
from sagelocal.logs.store import LogStore
from sagelocal.paging import paginate

MAX_EVENTS = 10_000
MAX_RESPONSE_BYTES = 1_048_576
_EVENT_OVERHEAD = 26  # bytes CloudWatch counts per event beside its message
_TOKEN = re.compile(r"^([fb])/(\d{56})/s$")


class ResourceNotFound(ServiceError):
    code = "ResourceNotFoundException"


class LogsBackend:
    def __init__(self, settings: Settings, sources=all_sources):
        self.settings = settings
        self.store = LogStore(settings.db_path("logs"))
        self._sources = sources

    def sync(self) -> None:
        self.store.sync(self._sources(self.settings))

    # -- groups and streams -------------------------------------------------------------------
    def describe_log_groups(self, request: dict) -> dict:
        self.sync()
        groups = [self._group(row) for row in self.store.groups()]
        if request.get("logGroupNamePrefix"):
            groups = [g for g in groups if g["logGroupName"].startswith(request["logGroupNamePrefix"])]
        if request.get("logGroupNamePattern"):
            groups = [g for g in groups if request["logGroupNamePattern"].lower() in g["logGroupName"].lower()]
        if request.get("logGroupIdentifiers"):
            wanted = {self._group_name(i) for i in request["logGroupIdentifiers"]}
            groups = [g for g in groups if g["logGroupName"] in wanted]
        page, token = self._page(groups, request)
        return {"logGroups": page} | ({"nextToken": token} if token else {})

    def describe_log_streams(self, request: dict) -> dict:
        self.sync()
        group = self._existing_group(request)
        prefix = request.get("logStreamNamePrefix")
        order = request.get("orderBy", "LogStreamName")
        if prefix and order == "LastEventTime":
            raise InvalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
        streams = [self._stream(row) for row in self.store.streams(group)]
        if prefix:
            streams = [s for s in streams if s["logStreamName"].startswith(prefix)]
        if order == "LastEventTime":
            streams.sort(key=lambda s: s.get("lastEventTimestamp", 0))
        if request.get("descending"):
            streams.reverse()
        page, token = self._page(streams, request)
        return {"logStreams": page} | ({"nextToken": token} if token else {})

    # -- events -------------------------------------------------------------------------------
    def get_log_events(self, request: dict) -> dict:
        """Forward tokens read on from the last event returned; backward tokens read the events before the first;
        without a token, the first events (``startFromHead``) or the last ones (the default)."""
        self.sync()
        group = self._existing_group(request)
        row = self.store.stream(group, request["logStreamName"])
        if row is None:
            raise ResourceNotFound("The specified log stream does not exist.")
        limit = request.get("limit") or MAX_EVENTS
        after = before = None
        from_tail = not request.get("startFromHead", False)
        if request.get("nextToken"):
            direction, seq = _parse_token(request["nextToken"])
            from_tail = direction == "b"
            after, before = (seq, None) if direction == "f" else (None, seq)
        rows = self.store.page(row["id"], after, before, request.get("startTime"), request.get("endTime"),
                               min(limit, MAX_EVENTS), from_tail)
        rows = _within_size(rows[::-1])[::-1] if from_tail else _within_size(rows)
        events = [{"timestamp": ts, "message": message, "ingestionTime": ingestion}
                  for _, ts, ingestion, message, _ in rows]
        if rows:
            first, last = rows[0][0], rows[-1][0]
        elif after is not None:
            first, last = after + 1, after
        elif before is not None:
            first, last = before, before - 1
        else:
            first, last = (row["events"] + 1, row["events"]) if from_tail else (1, 0)
        return {"events": events, "nextForwardToken": _token("f", last), "nextBackwardToken": _token("b", first)}

    def filter_log_events(self, request: dict) -> dict:
        self.sync()
        group = self._existing_group(request)
        if request.get("logStreamNames") and request.get("logStreamNamePrefix"):
            raise InvalidParameter("logStreamNames and logStreamNamePrefix are mutually exclusive.")
        matches = compile_pattern(request.get("filterPattern"))
        streams = self.store.streams(group)
        if request.get("logStreamNames"):
            wanted = set(request["logStreamNames"])
            streams = [s for s in streams if s["name"] in wanted]
        if request.get("logStreamNamePrefix"):
            streams = [s for s in streams if s["name"].startswith(request["logStreamNamePrefix"])]
        names = {s["id"]: s["name"] for s in streams}
        limit = min(request.get("limit") or MAX_EVENTS, MAX_EVENTS)
        position = _parse_position(request["nextToken"]) if request.get("nextToken") else (-1, 0, 0)
        found, size, more = [], 0, False
        while names and not more:
            chunk = self.store.scan(list(names), position, request.get("startTime"), request.get("endTime"), 5000)
            if not chunk:
                break
            for r in chunk:
                if matches(r["message"]):
                    size += len(r["message"].encode()) + _EVENT_OVERHEAD
                    if len(found) == limit or (found and size > MAX_RESPONSE_BYTES):
                        more = True
                        break
                    found.append({"logStreamName": names[r["stream"]], "timestamp": r["ts"],
                                  "message": r["message"], "ingestionTime": r["ingestion"],
                                  "eventId": f"{r['ts']:020d}{r['stream']:012d}{r['seq']:024d}"})
                position = (r["ts"], r["stream"], r["seq"])
        response = {"events": found,
                    "searchedLogStreams": [{"logStreamName": n, "searchedCompletely": not more}
                                           for n in names.values()]}
        if more:
            response["nextToken"] = base64.urlsafe_b64encode(":".join(map(str, position)).encode()).decode()
        return response

    # -- helpers ------------------------------------------------------------------------------
    def _group_name(self, identifier: str) -> str:
        """A log group name from a name or an ARN (``arn:aws:logs:...:log-group:NAME[:*]``)."""
        if identifier.startswith("arn:"):
            name = identifier.split(":log-group:", 1)[-1]
            return name[:-2] if name.endswith(":*") else name
        return identifier

    def _existing_group(self, request: dict) -> str:
        identifier = request.get("logGroupName") or request.get("logGroupIdentifier")
        if not identifier:
            raise InvalidParameter("Either logGroupName or logGroupIdentifier must be given.")
        name = self._group_name(identifier)
        if not self.store.streams(name):
            raise ResourceNotFound("The specified log group does not exist.")
        return name

    def _arn(self, group: str) -> str:
        return f"arn:aws:logs:{self.settings.region}:{self.settings.account_id}:log-group:{group}"

    def _group(self, row) -> dict:
        return {"logGroupName": row["grp"], "creationTime": row["creation"], "metricFilterCount": 0,
                "arn": self._arn(row["grp"]) + ":*", "logGroupArn": self._arn(row["grp"]),
                "storedBytes": row["stored_bytes"], "logGroupClass": "STANDARD"}

    def _stream(self, row) -> dict:
        stream = {"logStreamName": row["name"], "creationTime": row["creation"],
                  "arn": f"{self._arn(row['grp'])}:log-stream:{row['name']}", "storedBytes": 0}
        if row["first_ts"] is not None:
            stream |= {"firstEventTimestamp": row["first_ts"], "lastEventTimestamp": row["last_ts"],
                       "lastIngestionTime": row["last_ingestion"]}
        return stream

    @staticmethod
    def _page(items: list, request: dict) -> tuple[list, str | None]:
        return paginate(items, {"MaxResults": request.get("limit"), "NextToken": request.get("nextToken")},
                        default_max=50, limit=50)


def _within_size(rows: list) -> list:
    """The leading (seq, ts, ingestion, message, bytes) rows whose messages fit in one response (at least one)."""
    if sum(r[4] for r in rows) + _EVENT_OVERHEAD * len(rows) <= MAX_RESPONSE_BYTES:
        return rows
    size = 0
    for count, r in enumerate(rows):
        size += r[4] + _EVENT_OVERHEAD
        if size > MAX_RESPONSE_BYTES and count:
            return rows[:count]
    return rows


def _token(direction: str, seq: int) -> str:
    return f"{direction}/{max(seq, 0):056d}/s"


def _parse_token(token: str) -> tuple[str, int]:
    match = _TOKEN.match(token)
    if not match:
        raise InvalidParameter("The specified nextToken is invalid.")
    return match[1], int(match[2])


def _parse_position(token: str) -> tuple[int, int, int]:
    try:
        ts, stream, seq = (int(part) for part in base64.urlsafe_b64decode(token.encode()).decode().split(":"))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidParameter("The specified nextToken is invalid.") from None
    return ts, stream, seq
