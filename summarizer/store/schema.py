"""Every table of the database, as numbered, append-only migrations (a released one is never edited;
a change is a new one), and ``migrate``, which applies the ones a file has not seen."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from .rows import now_iso

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


def _m007_call_journal(db: sqlite3.Connection) -> None:
    # Each finished call of an article not yet summarized (journal.py): a killed run repeats none.
    db.executescript(
        """
        CREATE TABLE call_journal (
            canonical_url TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            prompt_hash TEXT NOT NULL,
            model TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            response TEXT NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            seconds REAL NOT NULL,
            finish_reason TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (canonical_url, text_hash, prompt_hash, model, attempt)
        );
        """
    )


def _m008_story_memory(db: sqlite3.Connection) -> None:
    # published_stories: every article of every published item (the kept one and its merged copies), with
    # its story's fingerprint (trust.dedup.Sketch as JSON), the issue date and the item's anchor, so the
    # pages of a later night are matched against the stories already told (trust/memory.py).
    # story_links: what a night decided about a page whose story was published before: "repeat" (left out
    # of the draft, listed as 已报道) or "follow" (a 续报 item); ``restored``: the editor brought it back.
    db.executescript(
        """
        CREATE TABLE published_stories (
            date TEXT NOT NULL,
            canonical_url TEXT NOT NULL,
            item_url TEXT NOT NULL,
            anchor TEXT NOT NULL,
            headline TEXT NOT NULL,
            bullets TEXT NOT NULL,
            sketch TEXT NOT NULL,
            PRIMARY KEY (date, canonical_url)
        );
        CREATE INDEX published_stories_date ON published_stories(date);
        CREATE TABLE story_links (
            canonical_url TEXT PRIMARY KEY,
            date TEXT NOT NULL,
            kind TEXT NOT NULL,
            earlier_date TEXT NOT NULL,
            earlier_url TEXT NOT NULL,
            restored INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE INDEX story_links_date ON story_links(date);
        """
    )


MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("m001_initial", _m001_initial),
    ("m003_story_groups", _m003_story_groups),
    ("m004_review", _m004_review),
    ("m005_digests", _m005_digests),
    ("m006_push_and_feed_sightings", _m006_push_and_feed_sightings),
    ("m007_call_journal", _m007_call_journal),
    ("m008_story_memory", _m008_story_memory),
]


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply every migration not applied yet, in order; returns the names applied."""
    db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in db.execute("SELECT name FROM migrations")}
    applied = []
    for name, apply in MIGRATIONS:
        if name in done:
            continue
        with db:
            apply(db)
            db.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, now_iso()))
        applied.append(name)
    return applied
