"""CloudWatch metrics: Model Monitor's per-feature metrics and endpoint invocation metrics, queried the AWS way."""
from sagelocal.cloudwatch.backend import CloudWatchBackend

__all__ = ["CloudWatchBackend"]
