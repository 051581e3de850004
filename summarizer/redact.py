"""Secrets out of every message before it is printed or stored (pure).

A gateway may repeat the request's key in its error body ("Incorrect API key
provided: Bearer sk-..."), and that body becomes the article's error, the run
report, a doctor line. The configured key (OPENAI_API_KEY, the only place a
key comes from) and anything shaped like a bearer token or an ``sk-`` key are
replaced before the text reaches stderr, --json output or SQLite.
"""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qsl, quote, urlsplit

MASK = "[redacted]"
KEY_ENV = "OPENAI_API_KEY"
_SHAPES = re.compile(
    r"(?i)(?<![A-Za-z0-9])(?:sk|pk|rk)-[A-Za-z0-9_\-*.]{6,}"  # OpenAI-style keys, also partly masked ones
    r"|(?<=bearer )[A-Za-z0-9_\-.~+/=*]{4,}"  # the token after "Bearer "
    r"|(?<=bearer\t)[A-Za-z0-9_\-.~+/=*]{4,}"
    r"|(?P<name>api[_-]?key[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9_\-.~+/]{8,}"  # api_key=..., "api-key": "..."
)
_MIN_KEY = 6  # a shorter "key" (a local placeholder) would redact ordinary words
# user:password@ in any URL of any message: the userinfo of a URL is a credential wherever it comes from.
_USERINFO = re.compile(r"(?<=://)[^\s/?#@\[\]]+(?=@)")
# The secret parts of the configured URLs (register_url): a password and every query value.
_URL_SECRETS: set[str] = set()


def redact(text: str) -> str:
    """``text`` with the configured key and anything shaped like a key or bearer token masked."""
    key = os.environ.get(KEY_ENV, "").strip()
    if len(key) >= _MIN_KEY:
        text = text.replace(key, MASK)
    text = _USERINFO.sub(MASK, text)
    for secret in sorted(_URL_SECRETS, key=len, reverse=True):  # longest first: one may contain another
        text = text.replace(secret, MASK)
    return _SHAPES.sub(_mask, text)


def register_url(url: str | None) -> None:
    """Mask the secret parts of a configured URL (the model's base URL, a push target's, a feed's) in every
    later ``redact``: its userinfo and each query value (an ``access_token``, a ``key``), also URL-encoded."""
    if not url:
        return
    try:
        parts = urlsplit(url)
        values = [parts.password, *(value for _, value in parse_qsl(parts.query))]
    except ValueError:  # not a URL any parser takes: nothing to pick apart
        return
    for value in values:
        if value and len(value) >= _MIN_KEY:
            _URL_SECRETS.update({value, quote(value, safe=""), quote(value)})


def _mask(match: re.Match[str]) -> str:
    # Keep a key's name (and its quote), so the message still says what was there and JSON stays JSON.
    return (match.group("name") or "") + MASK


def redact_optional(text: str | None) -> str | None:
    return None if text is None else redact(text)
