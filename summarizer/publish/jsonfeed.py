"""Published issues -> a JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/), beside the Atom feed (pure).

The same entries as atom.py: the same ids (a correction moves ``date_modified``, never the id), the same
HTML content, absolute links when ``publish.base_url`` is set.
"""

from __future__ import annotations

import json
from typing import Any

from .atom import entry_id, entry_summary
from .issue import PublishedIssue, body_html

VERSION = "https://jsonfeed.org/version/1.1"
NAME = "feed.json"


def json_feed(issues: list[PublishedIssue], *, title: str, base_url: str | None) -> str:
    """The feed of ``issues`` (newest first as given) as JSON text."""
    feed: dict[str, Any] = {"version": VERSION, "title": title, "language": "zh-CN",
                            "feed_url": f"{base_url or ''}{NAME}"}
    if base_url:
        feed["home_page_url"] = base_url
    feed["items"] = [_item(issue) for issue in issues]
    return json.dumps(feed, ensure_ascii=False, indent=2) + "\n"


def _item(issue: PublishedIssue) -> dict[str, Any]:
    item: dict[str, Any] = {"id": entry_id(issue), "url": issue.url, "title": issue.heading,
                            "summary": entry_summary(issue), "content_html": body_html(issue)}
    if issue.first_published:
        item["date_published"] = issue.first_published
    if issue.published_at:
        item["date_modified"] = issue.published_at
    return item
