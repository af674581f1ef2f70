"""The review path's cost in machine instructions per request, counted by callgrind (see callgrind_counts.py):
StartHumanLoop (a signed boto3 call to sagemaker-a2i-runtime) and a reviewer's task page (GET in a signed-in
portal session: the 100-row page of review_task_page.py, rendered by the project's review template).

Starts ``sagelocal serve`` under callgrind with instrumentation off, sets up as review_task_page.py does, warms
up, then counts only while BENCH_PAGES task pages (default 5: each is ~270 M instructions) and BENCH_LOOPS
StartHumanLoop calls (default 200, one after another as review_loops.py sends them) are answered.
The client code is this checkout's in both trees, so with ``BENCH_REFERENCE_TREE=<checkout>`` only the
server's code differs.
Usage: ``BENCH_REFERENCE_TREE=../base python benchmarks/review_instructions.py``; a few minutes per tree.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from callgrind_counts import InstructionCounter, compare_trees, servers_under_callgrind
from review_loops import INPUT_CONTENT, clients, start_server
from review_task_page import LOOP, setup, signed_in

PAGES = int(os.environ.get("BENCH_PAGES", "5"))
LOOPS = int(os.environ.get("BENCH_LOOPS", "200"))
COLUMNS = ("StartHumanLoop", "task page GET")


def _measure_here(out: Path) -> None:
    """In a child process whose PYTHONPATH is the tree to measure: print one line per column."""
    with tempfile.TemporaryDirectory(prefix="sagelocal-bench-") as home:
        with servers_under_callgrind(out):
            process, url = start_server(Path(home), timeout=900)
        try:
            password = setup(Path(home), url)
            sagemaker, a2i = clients(Path(home), url)
            flow = sagemaker.describe_flow_definition(FlowDefinitionName="page-flow")["FlowDefinitionArn"]
            counter = InstructionCounter(process.pid, out)
            with signed_in(url, password) as client:
                def open_pages(count: int) -> None:
                    for _ in range(count):
                        client.get(f"/portal/tasks/{LOOP}").raise_for_status()

                open_pages(3)
                pages = counter.count(lambda: open_pages(PAGES))

            def start_loops(prefix: str, count: int) -> None:
                for index in range(count):
                    a2i.start_human_loop(HumanLoopName=f"{prefix}-{index:05d}", FlowDefinitionArn=flow,
                                         HumanLoopInput={"InputContent": INPUT_CONTENT})

            start_loops("warm", 20)
            loops = counter.count(lambda: start_loops("count", LOOPS))
            print(f"{COLUMNS[0]} {loops / LOOPS:.0f}\n{COLUMNS[1]} {pages / PAGES:.0f}")
        finally:
            process.terminate()
            process.wait(timeout=120)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--here"]:
        _measure_here(Path(sys.argv[2]))
    else:
        compare_trees(__file__, COLUMNS, f"instructions per request ({LOOPS} StartHumanLoop calls, {PAGES} task "
                                         "pages, one at a time, counted by callgrind)")
