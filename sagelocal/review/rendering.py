"""Worker task templates rendered as A2I renders them: Liquid, auto-escaping on, AWS's extra filters.

``task.input`` is the loop's parsed InputContent. Templates load AWS's crowd-html-elements script from
assets.crowd.aws; that tag is dropped, since the portal's page loads a local implementation and nothing
from outside.
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

from sagelocal.storage import parse_s3_uri

CROWD_SCRIPT = re.compile(r"""<script[^>]*src=["']https://assets\.crowd\.aws/crowd-html-elements\.js["'][^>]*>\s*</script>""")
# The portal page loads the local implementation once; loading it twice would redefine the elements.
LOCAL_CROWD_SCRIPT = "<!-- crowd-html-elements: served by the portal -->"
GRANT_SECONDS = 3600


def _to_json(value) -> Markup:
    # Safe inside HTML text and <script>: no character that could end an element or start a tag.
    text = json.dumps(value, default=str)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(char, code)
    return Markup(text)


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
        self.env = Environment(autoescape=True)
        self.env.filters["skip_autoescape"] = lambda value: Markup(str(value))
        self.env.filters["to_json"] = _to_json
        self.env.filters["grant_read_access"] = grants.url
        self._compile = lru_cache(maxsize=64)(self._compile_uncached)

    def _compile_uncached(self, content: str):
        return self.env.from_string(CROWD_SCRIPT.sub(LOCAL_CROWD_SCRIPT, content))

    def render(self, content: str, task_input: dict) -> str:
        return self._compile(content).render(task={"input": task_input})
