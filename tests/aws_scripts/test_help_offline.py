"""Every script's --help works with the network blocked and makes zero network attempts."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CASES = [(script, ["--help"]) for script in ("deploy_endpoint.py", "send_traffic.py", "setup_monitoring.py",
                                              "setup_review.py", "cleanup.py", "run_pipeline_on_aws.py")]
CASES += [("setup_monitoring.py", [mode, "--help"]) for mode in ("model-monitor", "model-quality", "pipeline")]
GUARDED_HELP = """
import runpy, sys
sys.path[:0] = [{tests!r}, {scripts!r}]
import netguard
netguard.install()
sys.argv = [{script!r}, *{args!r}]
try:
    runpy.run_path({script!r}, run_name="__main__")
except SystemExit as exit:
    print("ATTEMPTS", netguard.ATTEMPTS)
    raise
"""


@pytest.mark.parametrize(("script", "args"), CASES, ids=[" ".join([s, *a]) for s, a in CASES])
def test_help_makes_no_network_attempt(script, args):
    code = GUARDED_HELP.format(tests=str(ROOT / "tests"), scripts=str(ROOT / "scripts"),
                               script=str(ROOT / "scripts" / script), args=args)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout
    assert result.stdout.rstrip().endswith("ATTEMPTS []")
