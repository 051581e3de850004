"""Feeds, articles, summaries, LLM calls and runs: the tables of a nightly run (m001, m003)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any, TypeVar

from ..items import ArticleStatus, CheckedSummary, Validators
from ..redact import redact, redact_optional
from .rows import Cacheable, StoredArticle, StoredFeed, now_iso

_Cached = TypeVar("_Cached", bound=Cacheable)


# An article's row, inserted or updated; an update without text keeps the text, hash, zi and first date.
_UPSERT_ARTICLE = """
    INSERT INTO articles (canonical_url, url, source, feed_url, title, published, text, text_hash, zi,
                          extract_method, status, error, digest_date, first_seen_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT(canonical_url) DO UPDATE SET
      url = excluded.url, source = excluded.source, feed_url = excluded.feed_url,
      title = excluded.title, published = excluded.published,
      text = COALESCE(excluded.text, articles.text),
      text_hash = COALESCE(excluded.text_hash, articles.text_hash),
      zi = CASE WHEN excluded.text IS NULL THEN articles.zi ELSE excluded.zi END,
      extract_method = COALESCE(excluded.extract_method, articles.extract_method),
      status = excluded.status, error = excluded.error,
      digest_date = COALESCE(articles.digest_date, excluded.digest_date),
      updated_at = excluded.updated_at"""


class ArticleTables:
    """Feeds, articles, the summary cache, LLM calls and runs. Part of ``Store``."""

    db: sqlite3.Connection

    # -- feeds --------------------------------------------------------------
    def feed(self, url: str) -> StoredFeed | None:
        row = self.db.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        if row is None:
            return None
        return StoredFeed(
            url=row["url"], name=row["name"], validators=Validators(row["etag"], row["last_modified"]),
            last_status=row["last_status"], last_error=row["last_error"],
            last_checked_at=row["last_checked_at"],
            last_ok_at=row["last_ok_at"], failures_in_a_row=row["failures_in_a_row"],
        )

    def record_feed(self, url: str, *, name: str | None, status: str, error: str | None = None,
                    validators: Validators | None = None, entries: int = 0) -> None:
        ok = status in {"ok", "not-modified"}
        stamp = now_iso()
        with self.db:
            self.db.execute(
                """INSERT INTO feeds (url, name, last_status, last_error, last_checked_at, last_ok_at,
                                      failures_in_a_row, entries_seen, etag, last_modified)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(url) DO UPDATE SET
                     name = excluded.name, last_status = excluded.last_status,
                         last_error = excluded.last_error,
                     last_checked_at = excluded.last_checked_at,
                     last_ok_at = COALESCE(excluded.last_ok_at, feeds.last_ok_at),
                     failures_in_a_row = CASE WHEN ? THEN 0 ELSE feeds.failures_in_a_row + 1 END,
                     entries_seen = feeds.entries_seen + excluded.entries_seen,
                     etag = COALESCE(excluded.etag, feeds.etag),
                     last_modified = COALESCE(excluded.last_modified, feeds.last_modified)""",
                (url, name, status, redact_optional(error), stamp, stamp if ok else None, int(not ok),
                 entries, validators.etag if validators else None,
                 validators.last_modified if validators else None, ok),
            )

    def feeds(self) -> list[StoredFeed]:
        urls = [row[0] for row in self.db.execute("SELECT url FROM feeds ORDER BY url")]
        return [f for f in (self.feed(u) for u in urls) if f is not None]

    # -- articles -----------------------------------------------------------
    def article(self, canonical_url: str) -> StoredArticle | None:
        row = self.db.execute("SELECT * FROM articles WHERE canonical_url = ?", (canonical_url,)).fetchone()
        return _article(row) if row else None

    def save_article(self, *, canonical_url: str, url: str, source: str, feed_url: str | None, title: str,
                     published: str | None, status: ArticleStatus, digest_date: str | None,
                     text: str | None = None, text_hash: str | None = None, zi: int = 0,
                     extract_method: str | None = None, error: str | None = None) -> None:
        stamp = now_iso()
        with self.db:
            self.db.execute(
                _UPSERT_ARTICLE,
                (canonical_url, url, source, feed_url, title, published, text, text_hash, zi, extract_method,
                 status, redact_optional(error), digest_date, stamp, stamp),
            )

    def add_new_articles(self, rows: list[dict[str, Any]]) -> None:
        """Record articles selected for a run before any is fetched (status "new"; existing rows untouched).

        The feed's ETag is stored at once, so a feed answers 304 on the next run: a run killed before it
        reached an article must have left that article here, or the next run would never see it.
        """
        stamp = now_iso()
        with self.db:
            self.db.executemany(
                """INSERT INTO articles (canonical_url, url, source, feed_url, title, published, status,
                                         digest_date, first_seen_at, updated_at)
                   VALUES (:canonical_url, :url, :source, :feed_url, :title, :published, 'new', :digest_date,
                           :stamp, :stamp)
                   ON CONFLICT(canonical_url) DO NOTHING""",
                [{**row, "stamp": stamp} for row in rows],
            )

    def set_status(self, canonical_url: str, status: ArticleStatus, error: str | None = None) -> None:
        with self.db:
            self.db.execute(
                "UPDATE articles SET status = ?, error = ?, updated_at = ? WHERE canonical_url = ?",
                (status, redact_optional(error), now_iso(), canonical_url),
            )

    def set_duplicate_of(self, canonical_url: str, kept: str | None) -> None:
        """Mark an article as a duplicate of ``kept`` (status "duplicate"), or clear the mark (None).

        A cleared article that was a duplicate goes back to "extracted", so it is summarized.
        """
        with self.db:
            if kept is None:
                self.db.execute(
                    """UPDATE articles SET duplicate_of = NULL, updated_at = ?,
                              status = CASE WHEN status = 'duplicate' THEN 'extracted' ELSE status END
                       WHERE canonical_url = ? AND (duplicate_of IS NOT NULL OR status = 'duplicate')""",
                    (now_iso(), canonical_url),
                )
            else:
                self.db.execute(
                    """UPDATE articles SET duplicate_of = ?, status = 'duplicate',
                        error = NULL, updated_at = ?
                       WHERE canonical_url = ?""",
                    (kept, now_iso(), canonical_url),
                )

    def duplicates_of(self, canonical_url: str) -> list[StoredArticle]:
        rows = self.db.execute(
            "SELECT * FROM articles WHERE duplicate_of = ? ORDER BY url", (canonical_url,)
        )
        return [_article(r) for r in rows]

    def articles_for_date(self, digest_date: str) -> list[StoredArticle]:
        rows = self.db.execute(
            "SELECT * FROM articles WHERE digest_date = ? ORDER BY published DESC, canonical_url",
            (digest_date,)
        )
        return [_article(r) for r in rows]

    # -- summaries ----------------------------------------------------------
    def summary(self, canonical_url: str, text_hash: str, prompt_hash: str,
                model: str) -> CheckedSummary | None:
        return self.cached(CheckedSummary, canonical_url, text_hash, prompt_hash, model)

    def cached(self, kind: type[_Cached], canonical_url: str, text_hash: str, prompt_hash: str,
               model: str) -> _Cached | None:
        """A row of the summaries table read as ``kind`` (a daily summary, or a weekly's prose)."""
        row = self.db.execute(
            "SELECT json FROM summaries"
            " WHERE canonical_url = ? AND text_hash = ? AND prompt_hash = ? AND model = ?",
            (canonical_url, text_hash, prompt_hash, model),
        ).fetchone()
        return kind.from_dict(json.loads(row[0])) if row else None

    def summaries_of(self, canonical_url: str) -> list[CheckedSummary]:
        """Every stored summary of one article, newest first (the review page reads their quotes)."""
        rows = self.db.execute(
            "SELECT json FROM summaries WHERE canonical_url = ? ORDER BY created_at DESC, id DESC",
            (canonical_url,))
        found = [json.loads(row[0]) for row in rows]
        # The table also caches a weekly's prose of the same article: a row without bullets is not a summary.
        return [CheckedSummary.from_dict(data) for data in found if "bullets" in data]

    def prose_quotes(self, canonical_url: str) -> list[tuple[str, str]]:
        """(paragraph, quote) of every weekly prose stored for one article, newest first."""
        rows = self.db.execute(
            "SELECT json FROM summaries WHERE canonical_url = ? ORDER BY created_at DESC, id DESC",
            (canonical_url,))
        found = [json.loads(row[0]) for row in rows]
        return [(str(d["paragraph"]), str(d.get("quote") or "")) for d in found if "paragraph" in d]

    def save_summary(self, *, canonical_url: str, text_hash: str, prompt_hash: str, model: str,
                     data: Cacheable, input_tokens: int, output_tokens: int, seconds: float,
                     attempts: int) -> None:
        with self.db:
            self.db.execute(
                """INSERT OR REPLACE INTO summaries (canonical_url, text_hash, prompt_hash,
                    model, json, input_tokens,
                                                     output_tokens, seconds, attempts, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (canonical_url, text_hash, prompt_hash, model, json.dumps(data.to_dict(), ensure_ascii=False),
                 input_tokens, output_tokens, seconds, attempts, now_iso()),
            )

    def log_call(self, *, run_id: int | None, canonical_url: str, model: str, input_tokens: int,
                 output_tokens: int, seconds: float, response: str, error: str | None) -> None:
        with self.db:
            self.db.execute(
                """INSERT INTO llm_calls (run_id, canonical_url, model, input_tokens,
                    output_tokens, seconds, response,
                                          error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (run_id, canonical_url, model, input_tokens, output_tokens, seconds, response, error,
                 now_iso()),
            )

    def count(self, table: str) -> int:
        if table not in {"feeds", "articles", "summaries", "llm_calls", "runs"}:
            raise ValueError(table)
        return int(self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    # -- runs ---------------------------------------------------------------
    def start_run(self, kind: str, digest_date: str | None) -> int:
        with self.db:
            cur = self.db.execute(
                "INSERT INTO runs (kind, digest_date, started_at, status) VALUES (?, ?, ?, 'running')",
                (kind, digest_date, now_iso()),
            )
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, *, status: str, report: dict[str, Any], input_tokens: int,
                   output_tokens: int) -> None:
        with self.db:
            self.db.execute(
                """UPDATE runs SET finished_at = ?, status = ?, report = ?, input_tokens = ?,
                    output_tokens = ?
                   WHERE id = ?""",
                (now_iso(), status, redact(json.dumps(report, ensure_ascii=False)), input_tokens,
                 output_tokens, run_id),
            )

    def integrity(self) -> str:
        """SQLite's own check: 'ok' or the first problem it found."""
        return str(self.db.execute("PRAGMA quick_check").fetchone()[0])

    def digest_dates(self) -> list[str]:
        """Dates that had a digest run (finished or not), oldest first."""
        rows = self.db.execute("SELECT DISTINCT digest_date FROM runs"
                               " WHERE kind = 'digest' AND digest_date IS NOT NULL "
                               "ORDER BY digest_date")
        return [row[0] for row in rows]

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> Iterator[sqlite3.Row]:
        """Read-only access for reports and tests."""
        yield from self.db.execute(sql, params)


def _article(row: sqlite3.Row) -> StoredArticle:
    return StoredArticle(
        canonical_url=row["canonical_url"], url=row["url"], source=row["source"], feed_url=row["feed_url"],
        title=row["title"],
        published=row["published"], text=row["text"], text_hash=row["text_hash"], zi=row["zi"],
        extract_method=row["extract_method"], status=ArticleStatus(row["status"]), error=row["error"],
        digest_date=row["digest_date"], duplicate_of=row["duplicate_of"],
    )
