"""Everything review.html.j2 is rendered with, gathered in one place from the review and the store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Settings
from ..dates import is_weekly
from ..digest.files import read_text
from ..store import REPEAT, Store
from .evidence import item_view
from .queue import (
    FILTERS,
    STATE_LABELS,
    STATUS_LABELS,
    counts,
    history_lines,
    local_time,
    publish_blockers,
    queue,
)
from .state import Review


def _published(review: Review, settings: Settings) -> dict[str, Any] | None:
    """What was published and where, once the issue has been published at least once."""
    if not review.published_at:
        return None
    out = settings.output_path
    path = out / f"{review.date}.md"
    text = read_text(path) if path.exists() else ""
    return {"at": local_time(review.published_at, settings.digest.tz), "path": path,
            "files": [path, out / "feed.xml", out / "feed.json", out / "index.md", out / "index.html"],
            "text": text,
            "current": review.state == "published"}


@dataclass(frozen=True)
class ToldBefore:
    """A page the night left out: its story ran in an earlier issue and it brings nothing new (已报道)."""

    canonical_url: str
    url: str
    title: str
    date: str  # the issue that told the story
    headline: str  # that item


def told_before(store: Store, date: str) -> list[ToldBefore]:
    """The day's 已报道 pages the editor has not brought back."""
    if is_weekly(date):
        return []
    told = []
    for link in store.story_links(date):
        article = store.article(link.canonical_url)
        if link.kind != REPEAT or link.restored or article is None:
            continue
        earlier = store.published_item(link.earlier_date, link.earlier_url)
        told.append(ToldBefore(canonical_url=link.canonical_url, url=article.url, title=article.title,
                               date=link.earlier_date, headline=earlier[0].headline if earlier else ""))
    return told


def page_context(store: Store, review: Review, settings: Settings, *, show: str) -> dict[str, Any]:
    items = queue(review, show)
    tz = settings.digest.tz
    return {
        "review": review, "digest": review.digest(), "sections": list(review.meta["sections"]),
        "items": items, "views": {i.id: item_view(store, i) for i in items}, "counts": counts(review),
        "show": show, "filters": FILTERS, "status_labels": STATUS_LABELS,
        "state_label": STATE_LABELS.get(review.state, review.state),
        "blockers": publish_blockers(review), "flagged": [i for i in review.live() if i.unresolved],
        "published": _published(review, settings),
        "history": history_lines(store.review_history(review.date), tz),
        "output": Path(settings.output_path),
        "told": told_before(store, review.date),
    }
