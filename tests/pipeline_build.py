"""Build a breast-cancer pipeline definition as the documented command does, in a subprocess under the socket guard.

Shared by the definition tests and the offline end-to-end runs, so both see exactly what
``scripts/build_pipeline_json.py`` writes for the given flags.
"""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs the build command's own main() with the guard installed first; telemetry threads (if any escaped) are
# joined so their attempts are counted before the attempts are reported.
GUARDED_BUILD = """
import json, runpy, sys, threading
sys.path.insert(0, {tests!r})
import netguard
netguard.install()
output, report, flags = sys.argv[1], sys.argv[2], sys.argv[3:]
sys.argv = [{script!r}, "--output", output, *flags]
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
    path: Path
    text: bytes
    definition: dict
    stdout: str
    attempts: list[str]
    status: int


def guarded_build(folder: Path, *flags: str) -> Build:
    """``build_pipeline_json.py --output <folder>/pipeline.json FLAGS``, with every network attempt recorded."""
    output, report = folder / "pipeline.json", folder / "report.json"
    code = GUARDED_BUILD.format(tests=str(ROOT / "tests"), script=str(ROOT / "scripts" / "build_pipeline_json.py"))
    result = subprocess.run([sys.executable, "-c", code, str(output), str(report), *flags], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and report.is_file(), f"build failed:\n{result.stderr[-3000:]}"
    outcome = json.loads(report.read_text())
    text = output.read_bytes()
    return Build(output, text, json.loads(text), result.stdout, outcome["attempts"], outcome["status"])
