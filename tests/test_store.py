import sqlite3
from pathlib import Path

from summarizer.items import CheckedSummary, CheckResult, Problem, Summary
from summarizer.store import MIGRATIONS, Store


def test_migrations_are_applied_once_and_named(tmp_path: Path) -> None:
    path = tmp_path / "db" / "j.db"
    with Store(path) as store:
        assert store.migrations() == [name for name, _ in MIGRATIONS]
    with Store(path) as store:
        assert store.migrate() == []
    names = [name for name, _ in MIGRATIONS]
    assert names == sorted(names) and all(n.startswith("m0") for n in names)


def test_summary_cache_key_has_all_four_parts(tmp_path: Path) -> None:
    with Store(tmp_path / "j.db") as store:
        summary = Summary.model_construct(quotes=["q"], bullets=["a", "b", "c"], headline="标题", emoji="🚀",
                                          section="其他", importance=3)
        checked = CheckedSummary(summary, CheckResult([Problem("number", "数字“4”在原文中找不到", 1, "4")], 1, 3, [0]))
        store.save_summary(canonical_url="u", text_hash="t", prompt_hash="p", model="m", data=checked,
                           input_tokens=10, output_tokens=5, seconds=0.1, attempts=1)
        assert store.summary("u", "t", "p", "m") == checked
        assert store.summary("u", "t2", "p", "m") is None  # text changed
        assert store.summary("u", "t", "p2", "m") is None  # prompt changed
        assert store.summary("u", "t", "p", "m2") is None  # model changed


def test_article_digest_date_is_kept_from_first_sighting(tmp_path: Path) -> None:
    with Store(tmp_path / "j.db") as store:
        common = dict(canonical_url="u", url="u", source="s", feed_url=None, title="t", published=None)
        store.save_article(**common, status="extracted", digest_date="2026-11-20", text="x", text_hash="h", zi=1)
        store.save_article(**common, status="failed", digest_date="2026-11-21", error="boom")
        article = store.article("u")
        assert article is not None
        assert (article.digest_date, article.status, article.text, article.error) == ("2026-11-20", "failed", "x",
                                                                                         "boom")


def test_feed_failures_in_a_row(tmp_path: Path) -> None:
    with Store(tmp_path / "j.db") as store:
        for _ in range(3):
            store.record_feed("f", name="F", status="failed", error="HTTP 500")
        assert store.feed("f").failures_in_a_row == 3  # type: ignore[union-attr]
        store.record_feed("f", name="F", status="ok")
        assert store.feed("f").failures_in_a_row == 0  # type: ignore[union-attr]


def test_bad_database_path_is_a_store_error(tmp_path: Path) -> None:
    import pytest

    from summarizer.errors import StoreError

    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="cannot open"):
        Store(tmp_path / "file" / "j.db")
    sqlite3.connect(":memory:").close()


def test_duplicate_mark_is_set_listed_and_cleared(tmp_path: Path) -> None:
    with Store(tmp_path / "j.db") as store:
        for key in ("a", "b", "c"):
            store.save_article(canonical_url=key, url=f"https://x/{key}", source="s", feed_url=None, title=key,
                               published=None, status="extracted", digest_date="2026-11-20", text="x",
                               text_hash="h", zi=1)
        store.set_duplicate_of("c", "a")
        store.set_duplicate_of("b", "a")
        assert [d.url for d in store.duplicates_of("a")] == ["https://x/b", "https://x/c"]
        assert store.article("b").status == "duplicate" and store.article("b").duplicate_of == "a"  # type: ignore[union-attr]
        store.set_duplicate_of("b", None)  # b is its own story again: back in line to be summarized
        assert store.article("b").status == "extracted" and store.article("b").duplicate_of is None  # type: ignore[union-attr]
        assert [d.url for d in store.duplicates_of("a")] == ["https://x/c"]
