"""Story memory (m008): the stories of published issues, and what a later night decided about a page
whose story was told before (left out as 已报道, or a 续报)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from .rows import now_iso

REPEAT, FOLLOW = "repeat", "follow"


@dataclass(frozen=True)
class PublishedStory:
    """One article of a published item: its fingerprint and the item it ran as."""

    date: str
    canonical_url: str
    item_url: str  # canonical URL of the item's kept article
    anchor: str  # the item's id in DATE.html
    headline: str
    bullets: tuple[str, ...]
    sketch: dict[str, Any]  # trust.dedup.Sketch.to_dict()


@dataclass(frozen=True)
class StoryLink:
    """A page of ``date`` whose story ran on ``earlier_date`` as the item of ``earlier_url``."""

    canonical_url: str
    date: str
    kind: str  # REPEAT | FOLLOW
    earlier_date: str
    earlier_url: str
    restored: bool = False


class StoryTables:
    """Published stories and the story links of later nights. Part of ``Store``."""

    db: sqlite3.Connection

    def record_published(self, date: str, stories: list[PublishedStory]) -> None:
        """The stories of issue ``date`` as published now (a republished issue replaces its rows)."""
        with self.db:
            self.db.execute("DELETE FROM published_stories WHERE date = ?", (date,))
            self.db.executemany(
                "INSERT OR REPLACE INTO published_stories VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(s.date, s.canonical_url, s.item_url, s.anchor, s.headline,
                  json.dumps(list(s.bullets), ensure_ascii=False), json.dumps(s.sketch, ensure_ascii=False))
                 for s in stories])

    def published_stories(self, start: str, end: str) -> list[PublishedStory]:
        """Stories of the issues dated ``start`` <= date < ``end``, newest issue first."""
        rows = self.db.execute(
            "SELECT * FROM published_stories WHERE date >= ? AND date < ? ORDER BY date DESC, canonical_url",
            (start, end))
        return [_story(row) for row in rows]

    def published_item(self, date: str, item_url: str) -> list[PublishedStory]:
        """The articles of one published item, its kept article first."""
        rows = self.db.execute(
            "SELECT * FROM published_stories WHERE date = ? AND item_url = ? "
            "ORDER BY canonical_url != item_url, canonical_url", (date, item_url))
        return [_story(row) for row in rows]

    def save_story_link(self, link: StoryLink) -> None:
        with self.db:
            self.db.execute(
                """INSERT INTO story_links VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(canonical_url) DO UPDATE SET kind = excluded.kind, date = excluded.date,
                     earlier_date = excluded.earlier_date, earlier_url = excluded.earlier_url""",
                (link.canonical_url, link.date, link.kind, link.earlier_date, link.earlier_url,
                 int(link.restored), now_iso()))

    def story_link(self, canonical_url: str) -> StoryLink | None:
        row = self.db.execute("SELECT * FROM story_links WHERE canonical_url = ?",
                              (canonical_url,)).fetchone()
        return _link(row) if row else None

    def story_links(self, date: str) -> list[StoryLink]:
        rows = self.db.execute("SELECT * FROM story_links WHERE date = ? ORDER BY canonical_url", (date,))
        return [_link(row) for row in rows]

    def restore_story(self, canonical_url: str) -> None:
        """The editor brought an 已报道 page back: the next run summarizes it as an ordinary item."""
        with self.db:
            self.db.execute("UPDATE story_links SET restored = 1 WHERE canonical_url = ?", (canonical_url,))


def _story(row: sqlite3.Row) -> PublishedStory:
    return PublishedStory(date=row["date"], canonical_url=row["canonical_url"], item_url=row["item_url"],
                          anchor=row["anchor"], headline=row["headline"],
                          bullets=tuple(json.loads(row["bullets"])), sketch=json.loads(row["sketch"]))


def _link(row: sqlite3.Row) -> StoryLink:
    return StoryLink(canonical_url=row["canonical_url"], date=row["date"], kind=row["kind"],
                     earlier_date=row["earlier_date"], earlier_url=row["earlier_url"],
                     restored=bool(row["restored"]))
