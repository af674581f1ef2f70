"""Monitoring schedules: AWS cron, executions over each window's capture, Prometheus metrics."""
from sagelocal.schedules.backend import SchedulesBackend

__all__ = ["SchedulesBackend"]
