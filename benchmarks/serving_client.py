"""A lean load generator for InvokeEndpoint: pre-signed requests replayed over raw keep-alive sockets.

The load generator shares the machine's cores with the server, so it does no per-request work beyond
writing bytes and reading the answer: every request is signed (SigV4, valid 15 minutes) before the clock
starts. Each request carries its own InferenceId, so every acknowledged request can be matched to its
capture record. Bounded: a fixed number of requests and a deadline; it stops by itself.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


@dataclass
class LoadResult:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    acknowledged: list[str] = field(default_factory=list)  # inference ids answered with 200
    connection_errors: int = 0

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000 if ordered else float("nan")


def presign(port: int, endpoint: str, bodies: list[bytes], ids: list[str], access_key: str, secret: str,
            region: str = "us-east-1") -> list[bytes]:
    """Raw HTTP/1.1 requests, signed exactly as boto3's sagemaker-runtime client signs them."""
    signer = SigV4Auth(Credentials(access_key, secret), "sagemaker", region)
    url = f"http://127.0.0.1:{port}/endpoints/{endpoint}/invocations"
    raw = []
    for body, inference_id in zip(bodies, ids):
        request = AWSRequest("POST", url, data=body, headers={
            "Content-Type": "text/csv", "Accept": "text/csv", "X-Amzn-SageMaker-Inference-Id": inference_id})
        signer.add_auth(request)
        head = [f"POST /endpoints/{endpoint}/invocations HTTP/1.1", f"Host: 127.0.0.1:{port}",
                f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in request.headers.items() if name.lower() != "host"]
        raw.append(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    return raw


async def _worker(port: int, queue: list, ids: list[str], result: LoadResult, deadline: float) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while queue and time.monotonic() < deadline:
            index = queue.pop()
            started = time.perf_counter()
            writer.write(ids[index][1])
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            result.latencies.append(time.perf_counter() - started)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status == 200:
                result.acknowledged.append(ids[index][0])
    except (OSError, asyncio.IncompleteReadError, ValueError):
        result.connection_errors += 1
    finally:
        writer.close()


async def _run(port: int, requests: list[tuple[str, bytes]], concurrency: int, timeout: float) -> LoadResult:
    result = LoadResult()
    queue = list(range(len(requests) - 1, -1, -1))  # popped from the end: sent in order
    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    await asyncio.gather(*(_worker(port, queue, requests, result, deadline) for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result


def run_load(port: int, requests: list[tuple[str, bytes]], concurrency: int = 32, timeout: float = 120.0) -> LoadResult:
    """Send ``requests`` (``(inference_id, raw_bytes)``) over ``concurrency`` keep-alive connections."""
    return asyncio.run(_run(port, requests, concurrency, timeout))
