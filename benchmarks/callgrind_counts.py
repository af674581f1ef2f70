"""A server's cost in machine instructions, counted by callgrind, and two checkouts compared in one run.

Instruction counts are a figure that other work on a shared 2-core machine does not move, unlike wall-clock
time. A benchmark script built on this module has two halves: ``measure_here`` code, run by
:func:`compare_trees` in a child process whose working directory and PYTHONPATH are the checkout to measure,
which starts ``sagelocal serve`` under callgrind (:func:`servers_under_callgrind`), counts with an
:class:`InstructionCounter` and prints ``column value`` lines; and a ``main`` that calls :func:`compare_trees`.

``BENCH_REFERENCE_TREE=<checkout>`` repeats the measure with that checkout's code (an older commit, say).
``BENCH_CALLGRIND_OUT=<folder>`` keeps the callgrind files (one subfolder per tree) for ``callgrind_annotate``.
Needs valgrind (``apt-get install valgrind``).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def servers_under_callgrind(out: Path):
    """Inside, a server started as ``sys.executable -m sagelocal serve`` runs under callgrind with
    instrumentation off (so start-up and set-up are not counted), writing its files to ``out``."""
    wrapper = out / "python-under-callgrind"
    wrapper.write_text(f"#!/bin/sh\nexec valgrind --tool=callgrind --instr-atstart=no "
                       f"--callgrind-out-file={out}/callgrind.%p {sys.executable} \"$@\"\n")
    wrapper.chmod(0o700)
    python, sys.executable = sys.executable, str(wrapper)
    try:
        yield
    finally:
        sys.executable = python


class InstructionCounter:
    """Counts the instructions a server under callgrind (every thread) runs while a piece of work runs."""

    def __init__(self, pid: int, out: Path):
        self.pid, self.out, self.dumps = str(pid), out, 0

    def count(self, work) -> int:
        self._control("-z")
        self._control("-i", "on")
        work()
        self._control("-i", "off")
        self._control("-d")
        self.dumps += 1
        dump = (self.out / f"callgrind.{self.pid}.{self.dumps}").read_text()
        return int(dump.split("\ntotals:", 1)[1].split()[0])

    def _control(self, *args: str) -> None:
        subprocess.run(["callgrind_control", *args, self.pid], capture_output=True, check=True)


def _measure(script: Path, tree: Path, label: str) -> dict[str, float]:
    kept = os.environ.get("BENCH_CALLGRIND_OUT")
    if kept:
        out = Path(kept) / label.replace(" ", "-")
        out.mkdir(parents=True, exist_ok=True)
        return _run_child(script, tree, out)
    with tempfile.TemporaryDirectory(prefix="callgrind-") as out:
        return _run_child(script, tree, Path(out))


def _run_child(script: Path, tree: Path, out: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, str(script), "--here", str(out)], cwd=tree, capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=str(tree)))
    if done.returncode:
        raise SystemExit(f"measuring {tree} failed:\n{done.stderr[-3000:]}")
    return {name: float(value) for name, value in (line.rsplit(None, 1) for line in done.stdout.splitlines())}


def compare_trees(script: str, columns: tuple[str, ...], title: str) -> dict[str, dict[str, float]]:
    """Runs ``script --here OUT`` for this checkout (and the reference tree, if named); prints each column's
    instructions per request side by side, with the change against the reference."""
    trees = {"this tree": ROOT}
    if os.environ.get("BENCH_REFERENCE_TREE"):
        trees["reference tree"] = Path(os.environ["BENCH_REFERENCE_TREE"]).resolve()
    figures = {label: _measure(Path(script).resolve(), tree, label) for label, tree in trees.items()}
    width = max(18, *(len(column) + 2 for column in columns))
    print(title)
    print(f"{'':<16}" + "".join(f"{column:>{width}}" for column in columns))
    for label, counts in figures.items():
        print(f"{label:<16}" + "".join(f"{counts[column] / 1e6:>{width - 2}.2f} M" for column in columns))
    if len(figures) == 2:
        mine, reference = figures.values()
        print(f"{'change':<16}" + "".join(f"{mine[c] / reference[c] - 1:>{width - 1}.1%} " for c in columns))
    return figures
