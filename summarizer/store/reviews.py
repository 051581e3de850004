"""The digest a run recorded (m005) and its review state (m004)."""

from __future__ import annotations

import hashlib
import json
import sqlite3

from ..items import DigestItem, ReviewItem
from .rows import HistoryEntry, ReviewWrite, StoredDigest, StoredReview, now_iso


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
