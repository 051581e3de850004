"""Which feeds carried an article, and which messages each push target has received (m006)."""

from __future__ import annotations

import sqlite3

from ..redact import redact_optional
from .rows import now_iso


class PushTables:
    """The tables of 热度 and push (m006): which feeds carried an article, and which messages of an
    issue each push target has received. Part of ``Store``."""

    db: sqlite3.Connection

    # -- feeds that carried an article (m006) ---------------------------------
    def add_sightings(self, pairs: list[tuple[str, str]]) -> None:
        """Record (canonical URL, feed URL) pairs; seen again, they change nothing."""
        with self.db:
            self.db.executemany(
                "INSERT OR IGNORE INTO article_feeds (canonical_url, feed_url) VALUES (?, ?)", pairs)

    def feeds_of(self, canonical_urls: list[str]) -> set[str]:
        """Every feed that listed any of these articles."""
        marks = ",".join("?" * len(canonical_urls))
        rows = self.db.execute(
            f"SELECT DISTINCT feed_url FROM article_feeds WHERE canonical_url IN ({marks})", canonical_urls)
        return {str(r[0]) for r in rows}

    # -- push (m006) ----------------------------------------------------------
    def sent_parts(self, date: str, target: str) -> set[int]:
        """Parts of ``date``'s issue already delivered to ``target`` (1-based)."""
        rows = self.db.execute(
            "SELECT part FROM push_log WHERE date = ? AND target = ? AND status = 'sent'", (date, target))
        return {int(r[0]) for r in rows}

    def record_push(self, *, date: str, target: str, part: int, parts: int, sha: str,
                    error: str | None) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO push_log (date, target, part, parts, sha, status, error, at)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (date, target, part, parts, sha, "failed" if error else "sent", redact_optional(error),
                 now_iso()))
