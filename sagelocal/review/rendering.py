"""Worker task templates rendered as A2I renders them: Liquid, auto-escaping on, AWS's extra filters.

``task.input`` is the loop's parsed InputContent. Templates load AWS's crowd-html-elements script from
assets.crowd.aws; that tag is dropped, since the portal's page loads a local implementation and nothing
from outside.

Scripts. The portal's Content-Security-Policy runs no inline script but the template's own ``<script>``
elements, which get the page's nonce when the template is compiled; markup that task input brings in (through
``skip_autoescape``) gets none, so it never runs.

``to_json`` depends on where it stands, which is known when the template is compiled. Inside a ``<script>``
element it writes JSON itself, with ``<``, ``>``, ``&`` and ``'`` as \\u escapes, so nothing in it can end the
script. Everywhere else (text, and attribute values in either quote style) that JSON is HTML-escaped like any
other output, so a ``"`` in the data cannot end an attribute; the browser decodes it back to the same JSON.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from functools import lru_cache
from urllib.parse import quote

from liquid import Environment, Markup
from liquid.exceptions import LiquidError

from sagelocal.storage import parse_s3_uri

CROWD_SCRIPT = re.compile(r"""<script[^>]*src=["']https://assets\.crowd\.aws/crowd-html-elements\.js["'][^>]*>\s*</script>""")
# The portal page loads the local implementation once; loading it twice would redefine the elements.
LOCAL_CROWD_SCRIPT = "<!-- crowd-html-elements: served by the portal -->"
SCRIPT_ELEMENT = re.compile(r"(<script\b)([^>]*>)(.*?)(</script\s*>)", re.IGNORECASE | re.DOTALL)
TO_JSON = re.compile(r"\|\s*to_json\b")
# The render variable that carries the page's CSP nonce (named so no template's own variable collides).
NONCE = "sagelocal_csp_nonce"
GRANT_SECONDS = 3600


def _json_text(value) -> str:
    """JSON with no character that could end an element or start a tag."""
    text = json.dumps(value, default=str)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(char, code)
    return text


def _script_json(value) -> Markup:
    return Markup(_json_text(value))


def _prepare(content: str) -> str:
    """The template as compiled: AWS's crowd script dropped; its own scripts nonced, their to_json for scripts."""
    def script(match: re.Match) -> str:
        opening, rest, body, closing = match.groups()
        return (f'{opening} nonce="{{{{ {NONCE} }}}}"{rest}' + TO_JSON.sub("| to_json_in_script", body) + closing)

    return SCRIPT_ELEMENT.sub(script, CROWD_SCRIPT.sub(LOCAL_CROWD_SCRIPT, content))


def _environment(read_url) -> Environment:
    env = Environment(autoescape=True)
    env.filters["skip_autoescape"] = lambda value: Markup(str(value))
    env.filters["to_json"] = _json_text
    env.filters["to_json_in_script"] = _script_json
    env.filters["grant_read_access"] = read_url
    return env


def template_problem(content: str) -> str | None:
    """Why this worker template would fail to render (a syntax error, an unknown filter), or None."""
    env, source = _environment(str), _prepare(content)
    try:
        template = env.from_string(source)
    except LiquidError as error:
        where = error.context()
        return f"{error.message} on line {where[0]}" if where else error.message
    for name, spans in template.analyze().filters.items():
        if name not in env.filters:
            return f"unknown filter '{name}' on line {source.count(chr(10), 0, spans[0].index) + 1}"
    return None


class ReadGrants:
    """``grant_read_access``: short-lived signed portal URLs for s3:// objects, like presigned URLs."""

    def __init__(self, secret: bytes):
        self.secret = secret

    def url(self, uri: str) -> str:
        if not isinstance(uri, str) or not uri.startswith("s3://"):
            return uri  # AWS passes non-S3 values through unchanged
        bucket, key = parse_s3_uri(uri)
        expires = int(time.time()) + GRANT_SECONDS
        return f"/portal/objects/{bucket}/{quote(key)}?expires={expires}&signature={self.sign(bucket, key, expires)}"

    def sign(self, bucket: str, key: str, expires: int) -> str:
        return hmac.new(self.secret, f"{bucket}/{key}:{expires}".encode(), hashlib.sha256).hexdigest()

    def check(self, bucket: str, key: str, expires: int, signature: str) -> bool:
        return expires > time.time() and hmac.compare_digest(self.sign(bucket, key, expires), signature)


class TemplateRenderer:
    """Compiles each task template once (keyed by its content) and renders it with a loop's input."""

    def __init__(self, grants: ReadGrants):
        self.env = _environment(grants.url)
        self._compile = lru_cache(maxsize=64)(self._compile_uncached)

    def _compile_uncached(self, content: str):
        return self.env.from_string(_prepare(content))

    def render(self, content: str, task_input: dict, nonce: str = "") -> str:
        """The template for ``task_input``; its own scripts carry ``nonce``, the page's CSP nonce."""
        return self._compile(content).render(task={"input": task_input}, **{NONCE: nonce})
