"""Review state over a real SQLite file: transitions, history, persistence, regenerate with the fake model."""

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
from reviewing import DATE, draft_items, flag, invoke, make_draft, regenerated_summary
from servers import FakeOpenAI, Reply, SiteServer

from summarizer.digest.parse import parse_digest
from summarizer.errors import ReviewError
from summarizer.jinja import REVIEW_MARKER
from summarizer.review.state import Review
from summarizer.store import Store
from summarizer.web.regenerate import regenerate

FLAG = "数字“42%”在原文中找不到"


def test_import_transitions_and_history_survive_a_new_process(tmp_path: Path, site: SiteServer,
                                                               fake_llm: FakeOpenAI) -> None:
    day = make_draft(tmp_path, site, fake_llm, flags={1: [FLAG]})
    with Store(day.settings.database_path) as store:
        assert "m004_review" in store.migrations()
        review = Review.open(store, day.settings, DATE)
        assert review.state == "draft" and len(review.items) == 4
        assert review.item(2).flags == [flag(FLAG)] and review.item(2).unresolved == [flag(FLAG)]
        old = review.item(1).headline
        review.edit(1, headline="人工改写的标题")
        review.drop(4)
        for ref in (1, 2):
            review.approve(ref)
        assert review.state == "draft"  # item 3 still pending
        review.approve(3)
        assert review.state == "reviewed"
        review.restore(4)  # a restored item needs review again
        assert review.state == "draft"

    db = sqlite3.connect(day.settings.database_path)
    state, = db.execute("SELECT state FROM review_digests WHERE date = ?", (DATE,)).fetchone()
    assert state == "draft"
    history = db.execute("SELECT item_id, what, old, new FROM review_history WHERE date = ? ORDER BY id",
                         (DATE,)).fetchall()
    assert history[0][1] == "import"
    assert (1, "headline", old, "人工改写的标题") in history
    assert (4, "status", "pending", "dropped") in history
    assert (None, "state", "draft", "reviewed") in history and (None, "state", "reviewed", "draft") in history
    assert (4, "status", "dropped", "pending") in history

    with Store(day.settings.database_path) as store:  # a new process sees exactly the same state
        again = Review.open(store, day.settings, DATE)
        assert again.item(1).headline == "人工改写的标题"
        assert [i.status for i in sorted(again.items.values(), key=lambda i: i.id)] == \
            ["approved", "approved", "approved", "pending"]
    draft = day.draft_md.read_text(encoding="utf-8")
    assert "### 人工改写的标题 " in draft and f"{REVIEW_MARKER}: {FLAG}" in draft


def test_move_highlight_reorder_and_stats(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    day = make_draft(tmp_path, site, fake_llm)
    with Store(day.settings.database_path) as store:
        review = Review.open(store, day.settings, DATE)
        first = review.digest()
        assert [i.headline for i in first.highlights][:2] == [review.item(1).headline, review.item(2).headline]
        review.reorder(2, -1)
        assert [i.id for i in review.live() if i.section == "产品介绍"] == [2, 1]
        review.reorder(2, -1)  # already first: nothing changes
        assert [i.id for i in review.live() if i.section == "产品介绍"] == [2, 1]
        review.move(1, "其他")
        assert dict(review.digest().sections)["其他"][0].headline == review.item(1).headline
        review.toggle_highlight(1)
        assert review.item(1).highlight == 0 and len(review.digest().highlights) == 3
        review.toggle_highlight(1)
        assert review.digest().highlights[-1].headline == review.item(1).headline
        review.drop(3)
        after = review.digest()
        assert after.stats.source_zi == first.stats.source_zi - review.item(3).source_zi
        assert after.stats.digest_zi < first.stats.digest_zi
        with pytest.raises(ReviewError, match="unknown section"):
            review.move(2, "不存在")
        with pytest.raises(ReviewError, match="3 non-empty bullets"):
            review.edit(2, bullets=["只有一条"])
        with pytest.raises(ReviewError, match="emoji"):
            review.edit(2, emoji="文字")
        with pytest.raises(ReviewError, match="no item '99'"):
            review.item(99)
    assert f"原文共计**{after.stats.source_zi}**字" in day.draft_md.read_text(encoding="utf-8")


def test_regenerate_makes_one_new_validated_call_and_keeps_the_old_text(tmp_path: Path, site: SiteServer,
                                                                         fake_llm: FakeOpenAI) -> None:
    day = make_draft(tmp_path, site, fake_llm, flags={0: [FLAG]})
    calls = len(fake_llm.requests)
    first = draft_items(day)[0]
    new = regenerated_summary(fake_llm, first["source_title"], first["section"])
    assert new["headline"] != first["headline"] and new["bullets"] != first["bullets"]
    # First answer breaks validation (2 bullets): the same re-ask as the pipeline, then a valid answer.
    fake_llm.push(Reply(json.dumps({**new, "bullets": new["bullets"][:2]}, ensure_ascii=False)),
                  Reply(json.dumps(new, ensure_ascii=False)))
    with Store(day.settings.database_path) as store:
        review = Review.open(store, day.settings, DATE)
        review.approve(1)
        old = review.item(1).headline
        assert review.item(1).flags == [flag(FLAG)]
        item = asyncio.run(regenerate(review, 1, day.settings))
        assert item.headline == new["headline"] and item.bullets == new["bullets"]
        # The planted flag was about the old text; the new text passed every trust check.
        assert item.status == "pending" and item.flags == [] and item.unresolved == []
        assert len(fake_llm.requests) == calls + 2
        assert "恰好3条" in fake_llm.requests[-1]["messages"][-1]["content"]
        history = store.review_history(DATE)
        assert any(h.item_id == 1 and h.what == "headline" and h.old == old for h in history)
        assert any(h.what == "regenerate" for h in history)
        # The store's summary cache now holds the new text, so a digest re-run keeps it.
        assert store.count("llm_calls") == calls + 2

        fake_llm.push(*[Reply("{not json")] * 3)
        with pytest.raises(ReviewError, match="regenerate failed"):
            asyncio.run(regenerate(review, 2, day.settings))
        assert Review(store, day.output, DATE).item(2).headline == review.item(2).headline


def test_regenerate_keeps_the_trust_flags_of_the_new_text(tmp_path: Path, site: SiteServer,
                                                          fake_llm: FakeOpenAI) -> None:
    day = make_draft(tmp_path, site, fake_llm)
    second = draft_items(day)[1]
    new = regenerated_summary(fake_llm, second["source_title"], second["section"])
    # A figure the article never gives, in the first bullet: still there after the one trust re-ask.
    wrong = {**new, "bullets": ["据称有42%的用户已经开始使用，" + new["bullets"][0], *new["bullets"][1:]]}
    calls = len(fake_llm.requests)
    fake_llm.push(*[Reply(json.dumps(wrong, ensure_ascii=False))] * 2)
    with Store(day.settings.database_path) as store:
        review = Review.open(store, day.settings, DATE)
        assert review.item(2).flags == []
        item = asyncio.run(regenerate(review, 2, day.settings))
        assert item.bullets == wrong["bullets"]
        assert len(fake_llm.requests) == calls + 2
        assert "与原文核对" in fake_llm.requests[-1]["messages"][-1]["content"]  # the one trust re-ask
        assert item.flags and any("42%" in f.message for f in item.flags) and item.unresolved == item.flags
    # The reviewer sees the new flag as a marker line in the draft, and publishing waits for it.
    draft = day.draft_md.read_text(encoding="utf-8")
    assert any(line.startswith(REVIEW_MARKER) and "42%" in line for line in draft.split("\n"))
    assert parse_digest(draft).items[1].flags == [f.message for f in item.flags]
    refused = invoke(day, "publish", DATE, "--force")
    assert refused.exit_code == 1 and "unacknowledged trust flags (item 2: " in refused.stderr


def test_a_new_digest_run_keeps_review_changes_and_adds_new_items(tmp_path: Path, site: SiteServer,
                                                                  fake_llm: FakeOpenAI) -> None:
    from click.testing import CliRunner
    from conftest import write_config

    from summarizer.cli import cli

    day = make_draft(tmp_path, site, fake_llm)
    with Store(day.settings.database_path) as store:
        review = Review.open(store, day.settings, DATE)
        review.edit(1, headline="审阅时改的标题")
        review.approve_all()
        assert review.state == "reviewed"
    # The nightly job runs again with one more feed: it rewrites drafts/DATE.md and DATE.json.
    write_config(tmp_path, site, fake_llm, feeds=["feeds/rss2.xml", "feeds/big5.xml", "feeds/gbk.xml"])
    rerun = CliRunner().invoke(cli, ["digest", "--config", str(day.config), "--date", DATE])
    assert rerun.exit_code == 0, rerun.output
    assert "审阅时改的标题" not in day.draft_md.read_text(encoding="utf-8")
    with Store(day.settings.database_path) as store:
        review = Review.open(store, day.settings, DATE)
        assert review.item(1).headline == "审阅时改的标题"  # not undone by the rewritten draft
        assert len(review.items) == 5 and review.item(5).status == "pending"
        assert review.state == "draft"
        assert any(h.what == "added by a new digest run" for h in store.review_history(DATE))
    assert "审阅时改的标题" in day.draft_md.read_text(encoding="utf-8")
