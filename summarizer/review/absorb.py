"""A draft edited by hand, read back into its review: text, order, sections, drops, 看点 and
acknowledged flags. Every change goes through the review's history like any other."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from ..digest.parse import ParsedDigest, ParsedItem
from ..errors import DraftFormatError
from ..items import DROPPED, PENDING, ReviewItem
from ..jinja import inline, link_target


class Review(Protocol):
    """What a draft is applied to: state.Review (this module does not import it; state imports this)."""

    items: dict[int, ReviewItem]

    @property
    def draft_path(self) -> Path: ...

    def change(self, item: ReviewItem, name: str, value: Any) -> None: ...


def apply_draft(review: Review, parsed: ParsedDigest) -> None:
    """Apply the parsed draft to ``review``. Raises DraftFormatError naming the line at fault."""
    by_link = {link_target(link): item for item in review.items.values() for link in item.links}
    seen: dict[int, int] = {}  # item id -> its line in the draft
    for section, items in parsed.sections:
        for position, got in enumerate(items):
            item = _item_of(review, got, by_link, seen)
            seen[item.id] = got.line
            _apply_item(review, item, got, section, position)
    for item in review.items.values():
        if item.id not in seen and item.status != DROPPED:
            review.change(item, "status", DROPPED)
    _apply_highlights(review, parsed, seen)


def _item_of(review: Review, got: ParsedItem, by_link: dict[str, ReviewItem],
             seen: dict[int, int]) -> ReviewItem:
    item = next((by_link[t] for t in got.links if t in by_link), None)
    if item is None:
        raise DraftFormatError(f"{review.draft_path} line {got.line}: '{got.headline}' links to no item "
                               "of this digest", line=got.line)
    if item.id in seen:
        raise DraftFormatError(f"{review.draft_path} line {got.line}: item '{got.headline}' appears twice "
                               f"(first at line {seen[item.id]})", line=got.line)
    return item


def _apply_item(review: Review, item: ReviewItem, got: ParsedItem, section: str, position: int) -> None:
    # The file shows text through jinja.inline: only a real edit changes the stored value.
    if got.headline != inline(item.headline):
        review.change(item, "headline", got.headline)
    review.change(item, "emoji", got.emoji)
    if got.bullets != [inline(b) for b in item.bullets]:
        review.change(item, "bullets", got.bullets)
    review.change(item, "section", section)
    review.change(item, "position", position)
    if item.status == DROPPED:
        review.change(item, "status", PENDING)
    # A marker line deleted in the editor means the reviewer checked that flag.
    gone = [f for f in item.unresolved if f.message not in got.flags]
    if gone:
        review.change(item, "acked", item.acked + gone)


def _apply_highlights(review: Review, parsed: ParsedDigest, seen: dict[int, int]) -> None:
    """The 看点 list names items by headline only: each line takes the first such item not yet placed."""
    order: dict[int, int] = {}
    for place, highlight in enumerate(parsed.highlights, 1):
        # Two items may share a headline: each 看点 line takes one not yet placed, or one is lost.
        match = next((i for i in review.items.values() if i.id in seen and i.id not in order
                      and inline(i.headline) == highlight.headline), None)
        if match is None:
            raise DraftFormatError(f"{review.draft_path} line {highlight.line}: 看点 '{highlight.headline}' "
                                   "is not an item of this digest", line=highlight.line)
        order[match.id] = place
    for item in review.items.values():
        review.change(item, "highlight", order.get(item.id, 0))
