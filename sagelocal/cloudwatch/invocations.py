"""Endpoint invocation metrics (namespace ``AWS/SageMaker``, dimensions EndpointName and VariantName), as SageMaker
publishes them once a minute: Invocations, InvocationsPerInstance, Invocation4XXErrors, Invocation5XXErrors
(1 or 0 per request, so Average is the rate), ModelLatency and OverheadLatency (microseconds).

The InvokeEndpoint route calls :meth:`InvocationMetrics.record` on its hot path: it only adds to an in-memory
statistic set per metric and minute. :meth:`flush` writes them to the metric store (the CloudWatch backend calls it
before answering, and the server when it stops); a minute flushed twice is two sets, which queries merge.
"""
from __future__ import annotations

import threading
import time

from sagelocal.cloudwatch.store import Datapoint, MetricStore, canonical

NAMESPACE = "AWS/SageMaker"
_COUNTS = ("Invocations", "InvocationsPerInstance", "Invocation4XXErrors", "Invocation5XXErrors")


class InvocationMetrics:
    def __init__(self, store: MetricStore):
        self.store = store
        self._lock = threading.Lock()
        self._open: dict[tuple[str, str, str, int], list[float]] = {}  # (endpoint, variant, metric, minute) -> set

    def record(self, endpoint: str, variant: str, model_seconds: float | None, overhead_seconds: float | None,
               status: int) -> None:
        """One request: ``status`` is the HTTP status answered; latencies are None when the model did not answer."""
        minute = int(time.time()) // 60 * 60
        values = {"Invocations": 1.0, "InvocationsPerInstance": 1.0,
                  "Invocation4XXErrors": float(400 <= status < 500), "Invocation5XXErrors": float(status >= 500)}
        if model_seconds is not None:
            values |= {"ModelLatency": model_seconds * 1e6, "OverheadLatency": max(overhead_seconds or 0.0, 0.0) * 1e6}
        with self._lock:
            for metric, value in values.items():
                stats = self._open.get((endpoint, variant, metric, minute))
                if stats is None:
                    self._open[(endpoint, variant, metric, minute)] = [1.0, value, value, value]
                else:
                    stats[0] += 1
                    stats[1] += value
                    stats[2] = min(stats[2], value)
                    stats[3] = max(stats[3], value)

    def flush(self) -> None:
        """Write what was recorded since the last flush to the store."""
        with self._lock:
            sets, self._open = list(self._open.items()), {}
        points = [Datapoint(NAMESPACE, metric, canonical([("EndpointName", endpoint), ("VariantName", variant)]),
                            float(minute), *stats, "Count" if metric in _COUNTS else "Microseconds")
                  for (endpoint, variant, metric, minute), stats in sets]
        if points:
            self.store.put(points)
