"""The keys of issues: a day (a DATE given by a user: YYYY-MM-DD and a real day, or a one-line error) or an
ISO week (weekly-YYYY-Www, weekly-YYYY-Www-issue). Pure.

The date names files (output/DATE.md, drafts/DATE.json); '../../x' must never
become a path outside the output folder.
"""

from __future__ import annotations

import re
from datetime import date
from datetime import date as Date

from .errors import ConfigError

_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A numbered weekly is weekly-YYYY-Www; the issue format of the same week is its own draft, -issue.
WEEKLY_KEY = re.compile(r"weekly-\d{4}-W\d{2}(?:-issue)?")


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


def check_key(text: str, *, what: str = "DATE") -> str:
    """``text`` if it names an issue (a real day, or a real ISO week); raises ConfigError otherwise."""
    if not text.startswith("weekly-"):
        return check_date(text, what=what)
    shown = text if len(text) <= 40 else text[:39] + "…"
    if not is_weekly(text):
        raise ConfigError(f"{what} {shown!r} is not a week like weekly-2026-W47 (weekly-YYYY-Www[-issue])")
    year, week = int(text[7:11]), int(text[13:15])
    try:  # W53 only in the years that have one; W00 and W99 never
        date.fromisocalendar(year, week, 1)
    except ValueError as exc:
        raise ConfigError(f"{what} {shown!r} is not a real ISO week ({exc})") from None
    return text


def weekly_key(end: Date, fmt: str = "numbered") -> str:
    """The review key of the weekly in format ``fmt`` ending on ``end``: its ISO week (and -issue for the
    issue format, so both formats of one week are reviewed and published side by side), never a daily's
    YYYY-MM-DD."""
    year, week, _ = end.isocalendar()
    return f"weekly-{year}-W{week:02d}" + ("-issue" if fmt == "issue" else "")


def is_weekly(key: str) -> bool:
    return WEEKLY_KEY.fullmatch(key) is not None
