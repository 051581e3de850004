"""The store: the only SQL. One SQLite file holding feeds, articles, summaries, LLM calls, runs, the digests
and their reviews, push records, the call journal and the story memory; and the lock on it (``lock``).

In: rows to write from every stage (articles, summaries, digests, reviews, pushes). Out: frozen row types
(``StoredArticle``, ``StoredDigest``, ``StoredReview``, ...). Migrations are all in ``schema``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import StoreError
from .articles import ArticleTables
from .connection import _Connection, database_error, migration_error
from .journal import JournalTables
from .push import PushTables
from .reviews import ReviewTables
from .rows import (
    Cacheable,
    HistoryEntry,
    ReviewWrite,
    StoredArticle,
    StoredDigest,
    StoredFeed,
    StoredReview,
    now_iso,
)
from .schema import MIGRATIONS, migrate
from .stories import FOLLOW, REPEAT, PublishedStory, StoryLink, StoryTables

__all__ = ["FOLLOW", "MIGRATIONS", "REPEAT", "Cacheable", "HistoryEntry", "PublishedStory", "ReviewWrite",
           "Store", "StoredArticle", "StoredDigest", "StoredFeed", "StoredReview", "StoryLink",
           "database_error", "now_iso"]


class Store(ArticleTables, ReviewTables, PushTables, JournalTables, StoryTables):
    """The database: one SQLite file, every table migrated on open."""

    def __init__(self, path: Path | str) -> None:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, timeout=30, factory=_Connection)
            self.db.path = path
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
        except StoreError:
            raise
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"{path}: cannot open the database ({exc})") from exc
        try:
            self.migrate()
        except (sqlite3.Error, StoreError) as exc:
            error = migration_error(self.db, path, exc)
            self.db.close()
            raise error from exc
        self.path = path

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- migrations ---------------------------------------------------------
    def migrate(self) -> list[str]:
        return migrate(self.db)

    def migrations(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT name FROM migrations ORDER BY name")]
