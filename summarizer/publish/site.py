"""The published issues as a static site: output/index.html, each issue's page with its neighbours, the
weekly pages and one stylesheet (pure rendering; reviewed.py writes the files).

Every link between pages is relative, so the folder works opened from disk or served anywhere; the feeds
(atom.py, jsonfeed.py) carry the absolute links under ``publish.base_url``.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from ..jinja import environment
from ..weekly.render import WeeklyEntry, WeeklyIssue
from .issue import STYLESHEET, PublishedIssue
from .reader import Passage, item_key


@dataclass(frozen=True)
class Listed:
    """One line of index.html: an issue (daily or weekly) and where its page is."""

    date: str  # the day it covers (a weekly: the last day of its week)
    page: str  # file name beside index.html
    title: str
    kind: str  # 日报 | 周刊
    items: int
    lead: str  # 看点: the highlights' headlines, or a weekly's teaser


def stylesheet() -> str:
    return resources.files("summarizer").joinpath("templates", STYLESHEET).read_text("utf-8")


def daily_listed(issue: PublishedIssue) -> Listed:
    lead = "；".join(f"{h.headline} {h.emoji}" for h in issue.highlights)
    return Listed(date=issue.date, page=f"{issue.date}.html", title=issue.heading, kind="日报",
                  items=len(issue.items), lead=lead)


def weekly_html(key: str, weekly: WeeklyIssue, *, heading: str, feed: str, trust: str = "",
                passages: dict[str, Passage] | None = None) -> str:
    """output/weekly-YYYY-Www[-issue].html, from the weekly as it was published; ``passages`` by
    reader.item_key of an entry's first link and its paragraph."""
    found = passages or {}

    def passage(entry: WeeklyEntry) -> Passage | None:
        return found.get(item_key(entry.links[0][1], entry.paragraph)) if entry.links else None

    return environment().get_template("weekly_page.html.j2").render(
        key=key, w=weekly, heading=heading, stylesheet=STYLESHEET, feed=feed, trust=trust, passage=passage)


def index_html(listed: list[Listed], *, title: str, feed: str) -> str:
    """output/index.html: every issue, newest first, with its date, item count and 看点."""
    ordered = sorted(listed, key=lambda entry: (entry.date, entry.kind != "日报", entry.page), reverse=True)
    return environment().get_template("site_index.html.j2").render(
        listed=ordered, title=title, stylesheet=STYLESHEET, feed=feed)
