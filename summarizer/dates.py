"""A DATE given by a user: YYYY-MM-DD and a real day, or a one-line error (pure).

The date names files (output/DATE.md, drafts/DATE.json); '../../x' must never
become a path outside the output folder.
"""

from __future__ import annotations

import re
from datetime import date

from .errors import ConfigError

_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")


def check_date(text: str, *, what: str = "DATE") -> str:
    """``text`` if it is a YYYY-MM-DD day; raises ConfigError naming it otherwise."""
    shown = text if len(text) <= 40 else text[:39] + "…"
    if not _SHAPE.fullmatch(text):
        raise ConfigError(f"{what} {shown!r} is not a date like 2026-11-20 (YYYY-MM-DD)")
    try:
        date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"{what} {shown!r} is not a real day ({exc})") from None
    return text
