"""CloudWatch Logs: the real output of jobs and endpoints in AWS's log groups and streams."""
from sagelocal.logs.backend import LogsBackend

__all__ = ["LogsBackend"]
