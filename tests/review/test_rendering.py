"""Liquid rendering as A2I does it: auto-escaping on, AWS's filters, the walkthrough's template."""
from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qs, urlsplit

from sagelocal.review.rendering import ReadGrants, TemplateRenderer

WALKTHROUGH_SHA256 = "9c0d41617e432242248c9e3593c41991d754e418be660e26bfc538c152a0ac6d"


def _render(template: str, task_input: dict) -> str:
    return TemplateRenderer(ReadGrants(b"k" * 32)).render(template, task_input)


def test_output_is_auto_escaped_with_aws_entities():
    html = _render("<p>{{ task.input.note }}</p>", {"note": "Tom's <b>&</b>"})
    assert html == "<p>Tom&#39;s &lt;b&gt;&amp;&lt;/b&gt;</p>"


def test_escape_escape_once_and_skip_autoescape():
    data = {"raw": "<i>x</i>", "done": "&amp; <"}
    assert _render("{{ task.input.raw | skip_autoescape }}", data) == "<i>x</i>"
    assert _render("{{ task.input.raw | escape }}", data) == "&lt;i&gt;x&lt;/i&gt;"
    assert _render("{{ task.input.done | escape_once }}", data) == "&amp; &lt;"


def test_to_json_is_safe_inside_a_script():
    html = _render("<script>const input = {{ task.input | to_json }};</script>",
                   {"a": "</script><script>alert(1)</script>", "n": 1})
    payload = html.partition("const input = ")[2][:-len(";</script>")]
    assert "</script>" not in payload and json.loads(payload) == {"a": "</script><script>alert(1)</script>", "n": 1}


def test_grant_read_access_signs_a_local_url():
    grants = ReadGrants(b"s" * 32)
    html = TemplateRenderer(grants).render("{{ task.input.image | grant_read_access }}",
                                           {"image": "s3://bucket/scans/one.png"})
    url = urlsplit(html.replace("&amp;", "&"))
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert url.path == "/portal/objects/bucket/scans/one.png"
    assert grants.check("bucket", "scans/one.png", int(query["expires"]), query["signature"])
    assert not grants.check("bucket", "scans/other.png", int(query["expires"]), query["signature"])
    assert _render("{{ task.input.u | grant_read_access }}", {"u": "https://example.org/x"}) == "https://example.org/x"


def test_the_walkthrough_template_renders_its_rows(fixtures_dir):
    template = (fixtures_dir / "a2i" / "breast-cancer-review-template.liquid.html").read_text()
    assert hashlib.sha256(template.encode()).hexdigest() == WALKTHROUGH_SHA256
    task_input = {"table": '<table border="1" class="dataframe"><tr><td>17.99</td></tr></table>',
                  "Pairs": [{"row": "ROW_0", "prediction": 0.37}, {"row": "ROW_1", "prediction": 0.62}]}
    html = _render(template, task_input)
    assert "assets.crowd.aws" not in html
    assert '<table border="1" class="dataframe">' in html  # skip_autoescape keeps the table
    assert 'name="predicted1" value="0.37"' in html and 'name="predicted2" value="0.62"' in html
    assert 'id="disagree2" name="rating2" value="disagree"' in html
    assert html.count('name="True Prediction"') == 2
