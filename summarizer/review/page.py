"""Everything review.html.j2 is rendered with, gathered in one place from the review and the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import Settings
from ..store import Store
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
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return {"at": local_time(review.published_at, settings.digest.tz), "path": path,
            "files": [path, out / "feed.xml", out / "feed.json", out / "index.md", out / "index.html"],
            "text": text,
            "current": review.state == "published"}


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
    }
