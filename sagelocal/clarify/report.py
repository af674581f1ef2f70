"""The analysis report as one self-contained HTML page (Clarify writes report.html beside report.ipynb and
report.pdf): bias metric tables per facet and a bar chart of the global SHAP values. Inline CSS and SVG only."""
from __future__ import annotations

import html

from sagelocal.clarify.bias import POST_TRAINING, PRE_TRAINING

_STYLE = ("body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:960px;padding:0 1rem;color:#222}"
          "table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.3rem .5rem;"
          "border-bottom:1px solid #eee}th{background:#f6f6f6}h2{border-bottom:1px solid #ddd;margin-top:2rem}"
          ".error{color:#9b2a1d}")
_TITLES = {PRE_TRAINING: "Pre-training bias", POST_TRAINING: "Post-training bias"}
_BAR_WIDTH, _ROW_HEIGHT, _TOP = 420, 20, 20


def render(analysis: dict, title: str = "Analysis Report") -> str:
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>"]
    for section in (PRE_TRAINING, POST_TRAINING):
        if section in analysis:
            parts.append(_bias(_TITLES[section], analysis[section]))
    for method, labels in (analysis.get("explanations") or {}).items():
        for label, values in labels.items():
            parts.append(_shap_chart(method, label, values))
    parts.append("</body></html>")
    return "".join(parts)


def top_features(explanation: dict, count: int = _TOP) -> list[tuple[str, float]]:
    values = explanation["global_shap_values"]
    return sorted(values.items(), key=lambda item: -abs(item[1]))[:count]


def _bias(title: str, section: dict) -> str:
    rows = []
    for facet, groups in section["facets"].items():
        for group in groups:
            for metric in group["metrics"]:
                value = metric.get("value")
                shown = f'<span class="error">{html.escape(metric["error"])}</span>' if "error" in metric \
                    else html.escape(f"{value:.6g}" if isinstance(value, float) else str(value))
                rows.append(f"<tr><td>{html.escape(str(facet))}</td><td>{html.escape(group['value_or_threshold'])}"
                            f"</td><td>{html.escape(metric['description'])}</td><td>{shown}</td></tr>")
    label = html.escape(f"{section['label']} = {section['label_value_or_threshold']}")
    return (f"<h2>{title}</h2><p>Positive label: {label}</p><table><tr><th>Facet</th><th>Sensitive group</th>"
            f"<th>Metric</th><th>Value</th></tr>{''.join(rows)}</table>")


def _shap_chart(method: str, label: str, explanation: dict) -> str:
    features = top_features(explanation)
    largest = max((abs(value) for _, value in features), default=0.0) or 1.0
    bars = []
    for position, (name, value) in enumerate(features):
        y = position * _ROW_HEIGHT
        width = abs(value) / largest * _BAR_WIDTH
        bars.append(f"<text x='0' y='{y + 14}' font-size='12'>{html.escape(name)}</text>"
                    f"<rect x='220' y='{y + 3}' width='{width:.1f}' height='{_ROW_HEIGHT - 6}' fill='#4c72b0'/>"
                    f"<text x='{226 + width:.1f}' y='{y + 14}' font-size='11'>{value:.4g}</text>")
    height = len(features) * _ROW_HEIGHT
    return (f"<h2>Feature attributions ({html.escape(method)}, {html.escape(label)})</h2>"
            f"<p>Expected value (baseline prediction): {explanation['expected_value']:.6g}</p>"
            f"<svg role='img' width='{_BAR_WIDTH + 320}' height='{height}'>{''.join(bars)}</svg>")
