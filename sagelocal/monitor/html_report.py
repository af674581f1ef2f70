"""A self-contained HTML report: violations first, then each feature's baseline and current distributions.

Inline CSS and SVG only (no script, no external resource), so the file opens anywhere, offline.
"""
from __future__ import annotations

import html
import math

import numpy as np

from sagelocal.monitor.jsonfmt import java_double
from sagelocal.monitor.kll import KLLSketch

_BINS = 24
_WIDTH, _HEIGHT = 560, 150
_BASELINE, _CURRENT = "#4c72b0", "#dd8452"
_TOP_CATEGORIES = 15

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:980px;color:#222;
padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
.status{display:inline-block;padding:.2rem .6rem;border-radius:4px;font-weight:600}
.ok{background:#e3f4e8;color:#1d6b34}.bad{background:#fbe5e3;color:#9b2a1d}
table{border-collapse:collapse;width:100%;margin:.6rem 0}th,td{text-align:left;padding:.35rem .5rem;
border-bottom:1px solid #eee;vertical-align:top}th{background:#f6f6f6}
.feature{border:1px solid #e4e4e4;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}
.feature.violated{border-color:#e2a79f}.meta{color:#555}.legend span{margin-right:1rem}
.swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:-1px}
.gauge{height:10px;background:#eee;border-radius:5px;position:relative;max-width:360px;margin:.3rem 0}
.gauge .fill{height:100%;border-radius:5px}.gauge .mark{position:absolute;top:-3px;width:2px;height:16px;
background:#222}
"""


def render(baseline: dict, current: dict, checked, config) -> str:
    """The report page for one monitoring run."""
    count = len(checked.violations)
    status = (f'<span class="status bad">{count} violation{"s" if count != 1 else ""}</span>' if count
              else '<span class="status ok">No violations</span>')
    rows = "".join(f"<tr><td>{_e(v['feature_name'])}</td><td>{_e(v['constraint_check_type'])}</td>"
                   f"<td>{_e(v['description'])}</td></tr>" for v in checked.violations)
    table = (f"<table><tr><th>Feature</th><th>Check</th><th>Description</th></tr>{rows}</table>" if rows
             else "<p>Every constraint holds.</p>")
    baseline_features = {f["name"]: f for f in baseline.get("features", [])}
    violated = {v["feature_name"] for v in checked.violations}
    sections = "".join(_feature_section(feature, baseline_features.get(feature["name"]),
                                        checked.drifts.get(feature["name"]), feature["name"] in violated)
                       for feature in current["features"])
    method = f"{config.comparison_method} (c_α = 1.8)" if config.comparison_method == "Robust" else "Simple"
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Data quality report</title>"
            f"<style>{_STYLE}</style></head><body><h1>Data quality report</h1>"
            f"<p>{status} &nbsp; {current['dataset']['item_count']} rows analysed; drift method {_e(method)}, "
            f"categorical {_e(config.categorical_drift_method)}.</p><h2>Violations</h2>{table}"
            f"<h2>Features</h2><p class=\"legend\"><span><i class=\"swatch\" style=\"background:{_BASELINE}\"></i>"
            f"baseline</span><span><i class=\"swatch\" style=\"background:{_CURRENT}\"></i>current</span></p>"
            f"{sections}</body></html>")


def _e(text) -> str:
    return html.escape(str(text))


def _feature_section(current: dict, baseline: dict | None, drift, violated: bool) -> str:
    name = current["name"]
    expected = baseline["inferred_type"] if baseline else "not in baseline"
    header = (f"<h3>{_e(name)}</h3><p class=\"meta\">type {_e(current['inferred_type'])} "
              f"(baseline {_e(expected)})</p>")
    chart = ""
    if baseline is not None:
        chart = _numeric_chart(baseline, current) or _categorical_chart(baseline, current)
    return (f"<div class=\"feature{' violated' if violated else ''}\">{header}{chart}"
            f"{_gauge(drift) if drift else ''}</div>")


def _gauge(drift) -> str:
    label = "p-value" if drift.method == "ChiSquared" else "distance"
    measured = 0.0 if math.isnan(drift.distance) else drift.distance  # χ² is NaN below two categories
    scale = max(drift.threshold * 2, measured, 1e-12)
    share = min(measured / scale, 1.0)
    colour = "#c0392b" if drift.violated else "#2e8b57"
    return (f"<p>Drift {label} <b>{java_double(drift.distance)}</b> against threshold "
            f"<b>{java_double(drift.threshold)}</b> ({_e(drift.kind)}, {_e(drift.method)})"
            f"{' — <b>exceeded</b>' if drift.violated else ''}</p><div class=\"gauge\">"
            f"<div class=\"fill\" style=\"width:{share * 100:.1f}%;background:{colour}\"></div>"
            f"<div class=\"mark\" style=\"left:{drift.threshold / scale * 100:.1f}%\"></div></div>")


def _sketch(feature: dict):
    kll = feature.get("numerical_statistics", {}).get("distribution", {}).get("kll")
    if not kll:
        return None
    sketch = KLLSketch.from_data(kll["sketch"]["data"])
    return sketch if sketch.weight else None


def _numeric_chart(baseline: dict, current: dict) -> str:
    first, second = _sketch(baseline), _sketch(current)
    if first is None or second is None:
        return ""
    items = np.concatenate([np.concatenate(first.levels), np.concatenate(second.levels)])
    low, high = float(items.min()), float(items.max())
    edges = np.linspace(low, high if high > low else low + 1.0, _BINS + 1)
    shares = [_shares(sketch, edges) for sketch in (first, second)]
    peak = max(float(s.max()) for s in shares) or 1.0
    bar = _WIDTH / _BINS
    bars = []
    for colour, share, shift in ((_BASELINE, shares[0], 0.0), (_CURRENT, shares[1], bar / 2)):
        for index, value in enumerate(share):
            height = value / peak * (_HEIGHT - 20)
            bars.append(f'<rect x="{index * bar + shift:.1f}" y="{_HEIGHT - 15 - height:.1f}" width="{bar / 2:.1f}" '
                        f'height="{height:.1f}" fill="{colour}" fill-opacity="0.85"/>')
    axis = (f'<text x="0" y="{_HEIGHT - 2}" font-size="11">{_e(java_double(low))}</text>'
            f'<text x="{_WIDTH}" y="{_HEIGHT - 2}" font-size="11" text-anchor="end">{_e(java_double(high))}</text>')
    return (f'<svg width="{_WIDTH}" height="{_HEIGHT}" viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img" '
            f'aria-label="baseline and current histograms">{"".join(bars)}{axis}</svg>')


def _shares(sketch: KLLSketch, edges: np.ndarray) -> np.ndarray:
    items, ranks = sketch.weighted_items()
    position = np.searchsorted(items, edges, side="left")
    below = np.where(position > 0, ranks[np.maximum(position - 1, 0)], 0).astype(float)
    below[-1] = ranks[-1]  # the top edge includes the maximum
    return np.diff(below) / ranks[-1]


def _categories(feature: dict) -> dict:
    buckets = feature.get("string_statistics", {}).get("distribution", {}).get("categorical", {}).get("buckets", [])
    return {bucket["value"]: bucket["count"] for bucket in buckets}


def _categorical_chart(baseline: dict, current: dict) -> str:
    first, second = _categories(baseline), _categories(current)
    if not first or not second:
        return ""
    n, m = sum(first.values()), sum(second.values())
    keys = sorted(set(first) | set(second), key=lambda k: -(first.get(k, 0) / n + second.get(k, 0) / m))
    keys = keys[:_TOP_CATEGORIES]
    row = 18
    height = row * len(keys) + 4
    label_width, scale = 170, _WIDTH - 180
    parts = []
    for index, key in enumerate(keys):
        y = index * row + 2
        parts.append(f'<text x="{label_width - 6}" y="{y + 12}" font-size="11" text-anchor="end">'
                     f'{_e(str(key)[:28])}</text>')
        for offset, colour, share in ((0, _BASELINE, first.get(key, 0) / n), (8, _CURRENT, second.get(key, 0) / m)):
            parts.append(f'<rect x="{label_width}" y="{y + offset}" width="{share * scale:.1f}" height="7" '
                         f'fill="{colour}"/>')
    return (f'<svg width="{_WIDTH}" height="{height}" viewBox="0 0 {_WIDTH} {height}" role="img" '
            f'aria-label="baseline and current category shares">{"".join(parts)}</svg>')
