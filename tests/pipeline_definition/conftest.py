"""Build the pipeline definition once per session, in a subprocess under the socket guard."""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Runs the documented build command's own main() with the guard installed first; telemetry threads (if any
# escaped) are joined so their attempts are counted before the attempts are reported.
GUARDED_BUILD = """
import json, runpy, sys, threading
sys.path.insert(0, {tests!r})
import netguard
netguard.install()
output, report = sys.argv[1], sys.argv[2]
sys.argv = [{script!r}, "--output", output]
status = None
try:
    runpy.run_path({script!r}, run_name="__main__")
except SystemExit as exit:
    status = exit.code
for thread in threading.enumerate():
    if thread.name.startswith("sagemaker-telemetry"):
        thread.join(timeout=10)
with open(report, "w") as handle:
    json.dump({{"status": status, "attempts": [repr(attempt) for attempt in netguard.ATTEMPTS]}}, handle)
"""


@dataclass
class Build:
    text: bytes
    definition: dict
    stdout: str
    attempts: list[str]
    status: int


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Build:
    """The definition as ``make pipeline-json`` writes it, built into a temporary file."""
    folder = tmp_path_factory.mktemp("pipeline-json")
    output, report = folder / "pipeline.json", folder / "report.json"
    code = GUARDED_BUILD.format(tests=str(ROOT / "tests"), script=str(ROOT / "scripts" / "build_pipeline_json.py"))
    result = subprocess.run([sys.executable, "-c", code, str(output), str(report)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and report.is_file(), f"build failed:\n{result.stderr[-3000:]}"
    outcome = json.loads(report.read_text())
    text = output.read_bytes()
    return Build(text, json.loads(text), result.stdout, outcome["attempts"], outcome["status"])


@pytest.fixture(scope="session")
def definition(built) -> dict:
    return built.definition
