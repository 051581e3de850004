"""The only module with SQL: one SQLite file holding feeds, articles, summaries, LLM calls and runs.

Migrations are numbered and append-only (see ``MIGRATIONS``): a released one
is never edited; a change is a new one.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, Self, TypeVar

from .errors import StoreError
from .items import ArticleStatus, CheckedSummary, DigestItem, ReviewItem
from .validators import Validators

_M001_TABLES = """
        CREATE TABLE feeds (
            url TEXT PRIMARY KEY,
            name TEXT,
            etag TEXT,
            last_modified TEXT,
            last_status TEXT,
            last_error TEXT,
            last_checked_at TEXT,
            last_ok_at TEXT,
            failures_in_a_row INTEGER NOT NULL DEFAULT 0,
            entries_seen INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE articles (
            canonical_url TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            source TEXT NOT NULL,
            feed_url TEXT,
            title TEXT NOT NULL DEFAULT '',
            published TEXT,
            text TEXT,
            text_hash TEXT,
            zi INTEGER NOT NULL DEFAULT 0,
            extract_method TEXT,
            status TEXT NOT NULL,
            error TEXT,
            digest_date TEXT,
            first_seen_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX articles_digest_date ON articles(digest_date);
        CREATE TABLE summaries (
            id INTEGER PRIMARY KEY,
            canonical_url TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            prompt_hash TEXT NOT NULL,
            model TEXT NOT NULL,
            json TEXT NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            seconds REAL NOT NULL,
            attempts INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (canonical_url, text_hash, prompt_hash, model)
        );
        CREATE TABLE llm_calls (
            id INTEGER PRIMARY KEY,
            run_id INTEGER,
            canonical_url TEXT NOT NULL,
            model TEXT NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            seconds REAL NOT NULL,
            response TEXT NOT NULL,
            error TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            digest_date TEXT,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            report TEXT,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0
        );
        """


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


def _m001_initial(db: sqlite3.Connection) -> None:
    db.executescript(_M001_TABLES)


def _m003_story_groups(db: sqlite3.Connection) -> None:
    # An article that tells the same story as another of its day points at the one that is summarized.
    db.executescript(
        """
        ALTER TABLE articles ADD COLUMN duplicate_of TEXT;
        CREATE INDEX articles_duplicate_of ON articles(duplicate_of);
        """
    )


def _m004_review(db: sqlite3.Connection) -> None:
    # One row per digest date (draft -> reviewed -> published), its items' current values as JSON,
    # and an append-only history of every change, so a dead browser or process loses nothing.
    db.executescript(
        """
        CREATE TABLE review_digests (
            date TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            meta TEXT NOT NULL,
            draft_sha TEXT,
            published_sha TEXT,
            published_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE review_items (
            date TEXT NOT NULL REFERENCES review_digests(date),
            item_id INTEGER NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (date, item_id)
        );
        CREATE TABLE review_history (
            id INTEGER PRIMARY KEY,
            date TEXT NOT NULL,
            item_id INTEGER,
            what TEXT NOT NULL,
            old TEXT,
            new TEXT,
            at TEXT NOT NULL
        );
        CREATE INDEX review_history_date ON review_history(date, id);
        """
    )


def _m005_digests(db: sqlite3.Connection) -> None:
    # The digest each run built, as typed items: how a run hands its day to review (DATE.json is for users).
    db.executescript(
        """
        CREATE TABLE digests (
            date TEXT PRIMARY KEY,
            run_id INTEGER,
            title TEXT NOT NULL,
            purpose TEXT NOT NULL,
            items TEXT NOT NULL,
            sha TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        """
    )


def _m006_push_and_feed_sightings(db: sqlite3.Connection) -> None:
    # push_log: one row per message sent to (or failed at) a push target, so a re-run sends only the parts
    # not yet sent; never a URL or a secret: the target is its configured name.
    # article_feeds: every feed that listed an article, so an item can say how many feeds carried it.
    db.executescript(
        """
        CREATE TABLE article_feeds (
            canonical_url TEXT NOT NULL,
            feed_url TEXT NOT NULL,
            PRIMARY KEY (canonical_url, feed_url)
        );
        CREATE TABLE push_log (
            id INTEGER PRIMARY KEY,
            date TEXT NOT NULL,
            target TEXT NOT NULL,
            part INTEGER NOT NULL,
            parts INTEGER NOT NULL,
            sha TEXT NOT NULL,
            status TEXT NOT NULL,
            error TEXT,
            at TEXT NOT NULL
        );
        CREATE INDEX push_log_date_target ON push_log(date, target);
        """
    )


MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("m001_initial", _m001_initial),
    ("m003_story_groups", _m003_story_groups),
    ("m004_review", _m004_review),
    ("m005_digests", _m005_digests),
    ("m006_push_and_feed_sightings", _m006_push_and_feed_sightings),
]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Cacheable(Protocol):
    """What the summaries table holds: a daily ``CheckedSummary``, or a weekly's checked prose."""

    def to_dict(self) -> dict[str, Any]: ...

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self: ...


_Cached = TypeVar("_Cached", bound=Cacheable)


@dataclass(frozen=True)
class StoredArticle:
    canonical_url: str
    url: str
    source: str
    feed_url: str | None
    title: str
    published: str | None
    text: str | None
    text_hash: str | None
    zi: int
    extract_method: str | None
    status: ArticleStatus
    error: str | None
    digest_date: str | None
    duplicate_of: str | None = None  # canonical URL of the article summarized for the same story


@dataclass(frozen=True)
class StoredFeed:
    url: str
    name: str | None
    validators: Validators
    last_status: str | None
    last_error: str | None
    last_checked_at: str | None
    last_ok_at: str | None
    failures_in_a_row: int


@dataclass(frozen=True)
class StoredDigest:
    """The digest a run recorded for its date: items in digest order, highlights flagged on them."""

    date: str
    title: str
    purpose: str
    items: list[DigestItem]
    sha: str  # changes whenever a run records a different digest
    run_id: int | None


@dataclass(frozen=True)
class StoredReview:
    date: str
    state: str
    meta: dict[str, Any]
    draft_sha: str | None
    published_sha: str | None
    published_at: str | None


@dataclass(frozen=True)
class HistoryEntry:
    item_id: int | None
    what: str
    old: str | None
    new: str | None
    at: str


@dataclass(frozen=True)
class ReviewWrite:
    """One review change, written in a single transaction: digest row, changed items, history lines."""

    date: str
    state: str
    meta: dict[str, Any]
    draft_sha: str | None
    published_sha: str | None
    published_at: str | None
    items: dict[int, ReviewItem]
    history: list[tuple[int | None, str, str | None, str | None]]


class ReviewTables:
    """The tables between a digest run and its review: the digest a run recorded (m005) and the review
    state (m004). Part of ``Store``; kept apart so each half reads on its own."""

    db: sqlite3.Connection

    # -- the day's digest (m005) -----------------------------------------------
    def save_digest(self, date: str, *, title: str, purpose: str, items: list[DigestItem],
                    run_id: int | None) -> None:
        """Record the digest a run built for ``date`` (replacing an earlier run's)."""
        text = json.dumps([i.to_dict() for i in items], ensure_ascii=False)
        digest_sha = hashlib.sha256(f"{title}\n{purpose}\n{text}".encode()).hexdigest()
        with self.db:
            self.db.execute(
                """INSERT OR REPLACE INTO digests (date, run_id, title, purpose, items, sha, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (date, run_id, title, purpose, text, digest_sha, now_iso()),
            )

    def digest(self, date: str) -> StoredDigest | None:
        row = self.db.execute("SELECT * FROM digests WHERE date = ?", (date,)).fetchone()
        if row is None:
            return None
        items = [DigestItem.from_dict(d) for d in json.loads(row["items"])]
        return StoredDigest(date=row["date"], title=row["title"], purpose=row["purpose"], items=items,
                            sha=row["sha"], run_id=row["run_id"])

    def latest_digest_date(self) -> str | None:
        row = self.db.execute("SELECT MAX(date) FROM digests").fetchone()
        return str(row[0]) if row and row[0] else None

    # -- review (m004) --------------------------------------------------------
    def review(self, date: str) -> StoredReview | None:
        row = self.db.execute("SELECT * FROM review_digests WHERE date = ?", (date,)).fetchone()
        if row is None:
            return None
        return StoredReview(date=row["date"], state=row["state"], meta=json.loads(row["meta"]),
                            draft_sha=row["draft_sha"], published_sha=row["published_sha"],
                            published_at=row["published_at"])

    def review_items(self, date: str) -> dict[int, ReviewItem]:
        rows = self.db.execute("SELECT item_id, data FROM review_items WHERE date = ? ORDER BY item_id",
                               (date,))
        return {int(r[0]): ReviewItem.from_dict(json.loads(r[1])) for r in rows}

    def review_history(self, date: str) -> list[HistoryEntry]:
        rows = self.db.execute("SELECT * FROM review_history WHERE date = ? ORDER BY id", (date,))
        return [HistoryEntry(r["item_id"], r["what"], r["old"], r["new"], r["at"]) for r in rows]

    def published_items(self, start: str, end: str) -> list[tuple[str, ReviewItem]]:
        """(date, item) of every item of the issues published from ``start`` to ``end`` (inclusive)."""
        rows = self.db.execute(
            """SELECT i.date, i.data FROM review_items i JOIN review_digests d ON d.date = i.date
               WHERE d.state = 'published' AND i.date BETWEEN ? AND ? ORDER BY i.date, i.item_id""",
            (start, end),
        )
        return [(r[0], ReviewItem.from_dict(json.loads(r[1]))) for r in rows]

    def reviews(self, state: str) -> list[StoredReview]:
        dates = [r[0] for r in self.db.execute("SELECT date FROM review_digests WHERE state = ?"
                                               " ORDER BY date DESC",
                                               (state,))]
        return [r for r in (self.review(d) for d in dates) if r is not None]

    def save_review(self, write: ReviewWrite) -> None:
        """Upsert the digest row and the given items, append the history lines: all or nothing."""
        stamp = now_iso()
        with self.db:
            self.db.execute(
                """INSERT INTO review_digests (date, state, meta, draft_sha, published_sha,
                    published_at, created_at,
                                               updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(date) DO UPDATE SET state = excluded.state, meta = excluded.meta,
                     draft_sha = excluded.draft_sha, published_sha = excluded.published_sha,
                     published_at = excluded.published_at, updated_at = excluded.updated_at""",
                (write.date, write.state, json.dumps(write.meta, ensure_ascii=False), write.draft_sha,
                 write.published_sha, write.published_at, stamp, stamp),
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO review_items (date, item_id, data) VALUES (?, ?, ?)",
                [(write.date, item_id, json.dumps(item.to_dict(), ensure_ascii=False))
                 for item_id, item in write.items.items()],
            )
            self.db.executemany(
                "INSERT INTO review_history (date, item_id, what, old, new, at) VALUES (?, ?, ?, ?, ?, ?)",
                [(write.date, item_id, what, old, new, stamp) for item_id, what, old, new in write.history],
            )


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
                (date, target, part, parts, sha, "failed" if error else "sent", error, now_iso()))


class Store(ReviewTables, PushTables):
    def __init__(self, path: Path | str) -> None:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, timeout=30)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"{path}: cannot open the database ({exc})") from exc
        self.path = path

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- migrations ---------------------------------------------------------
    def migrate(self) -> list[str]:
        self.db.execute("CREATE TABLE IF NOT EXISTS migrations"
                        " (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        done = {row[0] for row in self.db.execute("SELECT name FROM migrations")}
        applied = []
        for name, apply in MIGRATIONS:
            if name in done:
                continue
            with self.db:
                apply(self.db)
                self.db.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, now_iso()))
            applied.append(name)
        return applied

    def migrations(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT name FROM migrations ORDER BY name")]

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
                (url, name, status, error, stamp, stamp if ok else None, 0 if ok else 1, entries,
                 validators.etag if validators else None, validators.last_modified if validators else None,
                 ok),
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
                 status, error, digest_date, stamp, stamp),
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
                (status, error, now_iso(), canonical_url),
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
                (now_iso(), status, json.dumps(report, ensure_ascii=False), input_tokens, output_tokens,
                 run_id),
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
