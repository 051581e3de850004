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

MASK = "[redacted]"
KEY_ENV = "OPENAI_API_KEY"
_SHAPES = re.compile(
    r"(?i)(?<![A-Za-z0-9])(?:sk|pk|rk)-[A-Za-z0-9_\-*.]{6,}"  # OpenAI-style keys, also partly masked ones
    r"|(?<=bearer )[A-Za-z0-9_\-.~+/=*]{4,}"  # the token after "Bearer "
    r"|(?<=bearer\t)[A-Za-z0-9_\-.~+/=*]{4,}"
    r"|(?P<name>api[_-]?key[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9_\-.~+/]{8,}"  # api_key=..., "api-key": "..."
)
_MIN_KEY = 6  # a shorter "key" (a local placeholder) would redact ordinary words


def redact(text: str) -> str:
    """``text`` with the configured key and anything shaped like a key or bearer token masked."""
    key = os.environ.get(KEY_ENV, "").strip()
    if len(key) >= _MIN_KEY:
        text = text.replace(key, MASK)
    return _SHAPES.sub(_mask, text)


def _mask(match: re.Match[str]) -> str:
    # Keep a key's name (and its quote), so the message still says what was there and JSON stays JSON.
    return (match.group("name") or "") + MASK


def redact_optional(text: str | None) -> str | None:
    return None if text is None else redact(text)
