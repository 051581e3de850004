"""The story memory of a published issue: every article of every item, with its fingerprint, the issue
date and the item's anchor in DATE.html (what later nights match their pages against, pipeline/memory.py)."""

from __future__ import annotations

from ..review.state import Review
from ..store import PublishedStory, Store
from ..trust.dedup import sketch
from .issue import item_anchor


def record_stories(review: Review, store: Store) -> int:
    """Remember the stories of the published ``review`` (replacing what an earlier publish of it left);
    returns how many articles were remembered."""
    stories = []
    for place, item in enumerate(review.live(), 1):  # the issue's order, as DATE.html numbers its items
        members = [item.canonical_url, *(d.canonical_url for d in store.duplicates_of(item.canonical_url))]
        for key in members:
            article = store.article(key)
            if article is None or not article.text:
                continue
            stories.append(PublishedStory(
                date=review.date, canonical_url=key, item_url=item.canonical_url, anchor=item_anchor(place),
                headline=item.headline, bullets=tuple(item.bullets),
                sketch=sketch(article.title, article.text).to_dict()))
    store.record_published(review.date, stories)
    return len(stories)
