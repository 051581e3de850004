"""A long issue -> messages under a platform's limit, cut only between items, in issue order (pure).

The first message carries the title, the stats line and the 看点; the items follow, each whole. Every
message is measured the way its platform measures it (bytes of the JSON body for Feishu, UTF-8 bytes
for WeCom and DingTalk, characters after HTML parsing for Telegram), by rendering it for real.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from ...digest.parse import ParsedItem
from ..issue import PublishedIssue

T = TypeVar("T")
# Measured with this many parts, so the final "(k/n)" is never wider than what was measured.
_WIDEST = 99


@dataclass(frozen=True)
class Chunk:
    part: int
    parts: int
    intro: bool  # carries the title, the stats line and the 看点 list
    items: tuple[tuple[str, ParsedItem], ...]

    @property
    def label(self) -> str:
        return f" ({self.part}/{self.parts})" if self.parts > 1 else ""


@dataclass(frozen=True)
class Format(Generic[T]):
    render: Callable[[PublishedIssue, Chunk], T]
    size: Callable[[T], int]
    limit: int


def split(issue: PublishedIssue, fmt: Format[T]) -> list[T]:
    """Every message of ``issue`` in order; an item too long for one message alone is shortened."""
    chunks: list[Chunk] = []
    current = Chunk(1, _WIDEST, True, ())
    for entry in issue.items:
        trial = replace(current, items=(*current.items, entry))
        if fmt.size(fmt.render(issue, trial)) <= fmt.limit:
            current = trial
            continue
        if current.items or current.intro:
            chunks.append(current)
        current = Chunk(len(chunks) + 1, _WIDEST, False, (_fit(issue, fmt, entry, len(chunks) + 1),))
    chunks.append(current)
    return [fmt.render(issue, replace(c, parts=len(chunks))) for c in chunks]


def _fit(issue: PublishedIssue, fmt: Format[T], entry: tuple[str, ParsedItem],
         part: int) -> tuple[str, ParsedItem]:
    """The item as it fits one message alone: its longest bullet cut (with …) until it does."""
    section, item = entry
    while fmt.size(fmt.render(issue, Chunk(part, _WIDEST, False, ((section, item),)))) > fmt.limit:
        longest = max(range(len(item.bullets)), key=lambda n: len(item.bullets[n]))
        bullet = item.bullets[longest].rstrip("…")
        if len(bullet) <= 10:
            break  # nothing left worth cutting; the platform's own error will name the message
        bullets = list(item.bullets)
        bullets[longest] = bullet[: len(bullet) * 4 // 5] + "…"
        item = replace(item, bullets=bullets)
    return section, item
