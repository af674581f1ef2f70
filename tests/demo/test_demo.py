"""``make demo`` end to end, as CI runs it (no terminal: the scripted reviewer answers in the portal)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_closes_the_loop(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--home", str(tmp_path / "home"),
                           "--port", "0"], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "execution Succeeded" in out
    assert "model-package/breast-cancer-xgboost/1 (PendingManualApproval)" in out
    assert "endpoint breast-cancer-xgboost: InService" in out
    assert "sent 114 rows" in out and out.count("refused a malformed row") == 2
    assert "CompletedWithViolations" in out or "Completed" in out
    report = re.search(r"HTML report: (\S+)", out).group(1)
    assert Path(report).read_text().startswith("<!DOCTYPE html>")
    reviewed = int(re.search(r"with 0.1 < p < 0.9; started (\d+) human loops", out).group(1))
    assert reviewed > 0 and f"answered {reviewed} tasks" in out
    versions = re.search(r"auc\s+([\d.]+)\s+([\d.]+)", out)
    assert versions and all(0.9 <= float(v) <= 1 for v in versions.groups())
