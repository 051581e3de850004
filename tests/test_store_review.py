"""The m004_review tables in a real SQLite file: upgrade of an older database, all-or-nothing writes."""

import sqlite3
from pathlib import Path

import pytest

from summarizer.items import ReviewItem
from summarizer.store import ReviewWrite, Store

ITEM = dict(canonical_url="u", headline="标题", emoji="🚀", section="其他", bullets=["a", "b", "c"], importance=1,
            links=["u"], source="s", source_title="t", source_zi=1, id=1)


def _write(**changes: object) -> ReviewWrite:
    base: dict[str, object] = dict(date="2026-11-20", state="draft", meta={"title": "简读"}, draft_sha=None,
                                   published_sha=None, published_at=None, items={1: ReviewItem(**ITEM)},
                                   history=[(1, "headline", "旧", "新")])
    return ReviewWrite(**{**base, **changes})  # type: ignore[arg-type]


def test_an_older_database_gains_the_review_tables(tmp_path: Path) -> None:
    path = tmp_path / "jiandu.db"
    with Store(path):
        pass
    db = sqlite3.connect(path)
    with db:  # as a database made before m004 looks
        db.executescript("DROP TABLE review_history; DROP TABLE review_items; DROP TABLE review_digests;"
                         "DELETE FROM migrations WHERE name = 'm004_review';")
    db.close()
    with Store(path) as store:
        assert "m004_review" in store.migrations()
        store.save_review(_write())
        assert store.review("2026-11-20").meta == {"title": "简读"}  # type: ignore[union-attr]
        assert store.review_items("2026-11-20") == {1: ReviewItem(**ITEM)}
        assert [(h.item_id, h.what, h.old, h.new) for h in store.review_history("2026-11-20")] == \
            [(1, "headline", "旧", "新")]


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    with Store(tmp_path / "jiandu.db") as store:
        store.save_review(_write())
        with pytest.raises(TypeError):
            store.save_review(_write(state="reviewed", items={1: ReviewItem(**{**ITEM, "headline": object()})}))
        assert store.review("2026-11-20").state == "draft"  # type: ignore[union-attr]
        assert len(store.review_history("2026-11-20")) == 1
        assert store.reviews("draft")[0].date == "2026-11-20" and store.reviews("published") == []
