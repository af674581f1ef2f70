"""Where a Clarify job leaves its results, relative to its output folder (/opt/ml/processing/output)."""
from __future__ import annotations

import json
from pathlib import Path

from sagelocal.clarify.analysis import Result
from sagelocal.clarify.report import render

ANALYSIS_FILE = "analysis.json"
VIOLATIONS_FILE = "constraint_violations.json"
LOCAL_SHAP_FILE = "explanations_shap/out.csv"


def write(folder: Path, result: Result, report: dict | None) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / ANALYSIS_FILE]
    written[0].write_text(json.dumps(result.analysis, indent=2))
    if result.local_shap is not None:
        path = folder / LOCAL_SHAP_FILE
        path.parent.mkdir(exist_ok=True)
        result.local_shap.to_csv(path, index=False)
        written.append(path)
    if report is not None:
        path = folder / f"{report.get('name', 'report')}.html"
        path.write_text(render(result.analysis, report.get("title", "Analysis Report")))
        written.append(path)
    return written


def write_violations(folder: Path, violations: dict) -> Path:
    path = Path(folder) / VIOLATIONS_FILE
    path.write_text(json.dumps(violations, indent=2))
    return path
