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


class _Minute:
    """One variant's requests in one minute: enough to give every metric's statistic set."""

    __slots__ = ("count", "client_errors", "server_errors", "latencies")

    def __init__(self):
        self.count = self.client_errors = self.server_errors = 0
        self.latencies: dict[str, list[float]] = {}  # metric -> [samples, sum, minimum, maximum]

    def add_latency(self, metric: str, value: float) -> None:
        stats = self.latencies.get(metric)
        if stats is None:
            self.latencies[metric] = [1.0, value, value, value]
            return
        stats[0] += 1
        stats[1] += value
        if value < stats[2]:
            stats[2] = value
        elif value > stats[3]:
            stats[3] = value

    def statistic_sets(self):
        """(metric, [samples, sum, minimum, maximum], unit) for each metric."""
        count = float(self.count)
        yield "Invocations", [count, count, 1.0, 1.0], "Count"
        yield "InvocationsPerInstance", [count, count, 1.0, 1.0], "Count"
        for metric, errors in (("Invocation4XXErrors", self.client_errors), ("Invocation5XXErrors", self.server_errors)):
            # 1 or 0 per request: the extremes follow from the sum.
            yield metric, [count, float(errors), float(errors == self.count), float(errors > 0)], "Count"
        for metric, stats in self.latencies.items():
            yield metric, stats, "Microseconds"


class InvocationMetrics:
    def __init__(self, store: MetricStore):
        self.store = store
        self._lock = threading.Lock()
        self._open: dict[tuple[str, str, int], _Minute] = {}  # (endpoint, variant, minute) -> what it saw

    def record(self, endpoint: str, variant: str, model_seconds: float | None, overhead_seconds: float | None,
               status: int) -> None:
        """One request: ``status`` is the HTTP status answered; latencies are None when the model did not answer."""
        key = (endpoint, variant, int(time.time()) // 60 * 60)
        with self._lock:
            minute = self._open.get(key)
            if minute is None:
                minute = self._open[key] = _Minute()
            minute.count += 1
            if status >= 500:
                minute.server_errors += 1
            elif status >= 400:
                minute.client_errors += 1
            if model_seconds is not None:
                minute.add_latency("ModelLatency", model_seconds * 1e6)
                minute.add_latency("OverheadLatency", max(overhead_seconds or 0.0, 0.0) * 1e6)

    def flush(self) -> None:
        """Write what was recorded since the last flush to the store."""
        with self._lock:
            minutes, self._open = list(self._open.items()), {}
        points = [Datapoint(NAMESPACE, metric, canonical([("EndpointName", endpoint), ("VariantName", variant)]),
                            float(minute), *stats, unit)
                  for (endpoint, variant, minute), seen in minutes for metric, stats, unit in seen.statistic_sets()]
        if points:
            self.store.put(points)
