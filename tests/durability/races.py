"""Test helper: run calls at the same moment from many threads and collect what each returned or raised."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor


def all_at_once(calls: list) -> list:
    """Run every zero-argument callable in ``calls`` on its own thread, released together; results in order
    (an exception is returned in place of its call's result)."""
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        try:
            return call()
        except Exception as error:  # the caller asserts on it
            return error

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))
