"""JSON Feed 1.0 / 1.1 bytes -> raw entries (pure: no I/O). https://www.jsonfeed.org/version/1.1/

RSSHub and V2EX serve it (``application/feed+json``); feedparser does not read it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import urljoin

from ..errors import FeedError

VERSION_PREFIX = "https://jsonfeed.org/version/"


@dataclass(frozen=True)
class RawEntry:
    """One item as any feed format gives it, before it becomes an ``Entry``."""

    title: str
    link: str
    published: datetime | None
    summary_html: str
    content_html: str


def looks_like_json(content: bytes, content_type: str) -> bool:
    """JSON by its label or by its first byte (servers label JSON Feed text/plain or application/xml)."""
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime.endswith("json") or content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def parse(content: str | bytes, *, label: str, base_url: str) -> tuple[list[RawEntry], str]:
    """(entries, feed title). Raises FeedError naming the feed for JSON that is not a JSON Feed."""
    try:
        data = json.loads(content)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise FeedError(f"feed {label}: not a valid JSON Feed ({reason})", url=base_url) from None
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(VERSION_PREFIX):
        raise FeedError(f"feed {label}: JSON, but not a JSON Feed (no jsonfeed.org version)", url=base_url)
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError(f"feed {label}: not a valid JSON Feed (no items list)", url=base_url)
    base = _text(data.get("home_page_url")) or base_url
    entries = [_entry(item, base) for item in items if isinstance(item, dict)]
    return entries, _text(data.get("title"))


def _entry(item: dict[str, Any], base: str) -> RawEntry:
    link = _text(item.get("url")) or _text(item.get("external_url"))
    if not link and _text(item.get("id")).startswith(("http://", "https://")):
        link = _text(item.get("id"))
    if link:
        try:
            link = urljoin(base, link.strip())
        except ValueError:
            link = link.strip()  # fails on its own when fetched
    content = _text(item.get("content_html")) or escape(_text(item.get("content_text")))
    published = _date(item.get("date_published")) or _date(item.get("date_modified"))
    return RawEntry(title=_text(item.get("title")), link=link, published=published,
                    summary_html=escape(_text(item.get("summary"))), content_html=content)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _date(value: object) -> datetime | None:
    """An RFC 3339 date (the spec's format), in UTC; None when missing or unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC)
