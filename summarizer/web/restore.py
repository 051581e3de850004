"""Bring back a page the night left out as 已报道 (its story ran in an earlier issue, nothing new): it is
summarized like any page of the night and added to the issue under review as an ordinary item."""

from __future__ import annotations

from ..config import Settings
from ..errors import ReviewError
from ..items import DigestItem
from ..model.providers import Provider
from ..pipeline.articles import article_from_store
from ..pipeline.draft import sources
from ..review.state import Review, ReviewItem
from ..store import REPEAT
from .regenerate import summarize_recorded


async def bring_back(review: Review, canonical_url: str, settings: Settings, *,
                     provider: Provider | None = None) -> ReviewItem:
    """Summarize the left-out page and add it as an item. Raises ReviewError if it is not one of the day's
    已报道 pages or its summary fails (the page then stays left out)."""
    store = review.store
    link = store.story_link(canonical_url)
    stored = store.article(canonical_url)
    if link is None or link.kind != REPEAT or link.restored or link.date != review.date:
        raise ReviewError(f"{canonical_url}: not a page of {review.date} left out as already published")
    if stored is None or not stored.text:
        raise ReviewError(f"{canonical_url}: no extracted text stored, cannot bring it back")
    article = article_from_store(stored)
    summary, service, reason = await summarize_recorded(review, article, settings, "restore",
                                                        provider=provider)
    if summary is None:
        raise ReviewError(f"{stored.url}: not brought back: {reason}")
    store.restore_story(canonical_url)  # a later run of the night keeps it as an ordinary item
    copies = store.duplicates_of(canonical_url)
    item = DigestItem.of(article, summary, links=[stored.url, *(c.url for c in copies)],
                         flags=service.problems_of(canonical_url), published=stored.published,
                         sources=sources(store, stored, copies))
    return review.add_item(item, f"brought back from 已报道 (ran on {link.earlier_date})")
