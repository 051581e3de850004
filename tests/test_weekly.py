"""`summarizer weekly` end to end: two real published days (pipeline + fake model), each format rendered
against a golden file, reviewed and published like a daily; a re-run answered from the cache."""

from __future__ import annotations

import html
import json
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import write_config
from servers import FakeOpenAI, Reply, SiteServer, default_responder, headline_lead

from summarizer.cli import cli
from summarizer.store import Store

GOLDEN = Path(__file__).parent / "golden"
DAY1, DAY2 = "2026-11-20", "2026-11-21"
KEY = "weekly-2026-W47"  # the numbered weekly of the week
ISSUE_KEY = "weekly-2026-W47-issue"  # its issue format, a draft of its own
RANGE = ["--from", "2026-11-16", "--to", "2026-11-22"]

# Generic prose (no figures, no names): grounded in any source, copies none of it.
PARAGRAPH = ("这篇文章介绍了本周一件值得关注的事情，交代了它的来龙去脉和各方的看法。"
             "作者还分析了它对行业可能带来的影响，以及接下来需要继续观察的地方。"
             "如果你关心这个领域，这篇文章值得花几分钟读一读。")


def weekly_responder(body: dict[str, Any]) -> Reply:
    """Daily summaries as usual; a weekly item or teaser derived from the article in the prompt."""
    name = body.get("response_format", {}).get("json_schema", {}).get("name", "")
    if not name.startswith("weekly_"):
        return default_responder(body)
    user = body["messages"][0]["content"]
    title = re.search(r"原文标题：(.*)", user).group(1).strip()  # type: ignore[union-attr]
    text = re.search(r"<article>\n(.*?)\n</article>", user, flags=re.S).group(1)  # type: ignore[union-attr]
    lead = headline_lead(title)
    if name == "weekly_teaser":
        return Reply(json.dumps({"teaser": f"{lead}这周有哪些新进展？"}, ensure_ascii=False))
    quote = re.sub(r"\s+", " ", text).strip()[:20]
    reply = {"quote": quote, "paragraph": PARAGRAPH, "title": f"{lead}周报"}
    return Reply(json.dumps(reply, ensure_ascii=False))


def run(config: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, [args[0], "--config", str(config), *args[1:]])


def publish_day(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI, day: str, feeds: list[str],
                since: str) -> Path:
    # No story memory: the 星图3 story runs on both days, as it does when the editor brings it back.
    config = write_config(tmp_path, site, fake_llm, feeds=feeds, digest={"timezone": "UTC", "since": since,
                                                                         "min_article_chars": 150,
                                                                         "memory_days": 0})
    for args in (("digest", "--date", day), ("review", day, "--approve-all"), ("publish", day)):
        result = run(config, *args)
        assert result.exit_code == 0, (args, result.output)
    return config


@pytest.fixture
def week(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> Path:
    """Friday: rss2 + dup-a (the 星图3 launch); Saturday: dup-b (the same story on another site) + atom."""
    fake_llm.responder = weekly_responder
    publish_day(tmp_path, site, fake_llm, DAY1, ["feeds/rss2.xml", "feeds/dup-a.xml"], "24h")
    return publish_day(tmp_path, site, fake_llm, DAY2, ["feeds/dup-b.xml", "feeds/atom.xml"], "48h")


def weekly_requests(fake_llm: FakeOpenAI) -> list[dict[str, Any]]:
    return [b for b in fake_llm.requests if b["response_format"]["json_schema"]["name"].startswith("weekly_")]


def check_golden(path: Path, site: SiteServer, name: str) -> str:
    text = path.read_text(encoding="utf-8").replace(site.host, "FIXTURE_HOST")
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
    return text


def test_numbered_weekly_golden_one_item_per_story_and_cached_rerun(week: Path, site: SiteServer,
                                                                    fake_llm: FakeOpenAI) -> None:
    result = run(week, "weekly", *RANGE, "--format", "numbered", "--image", "https://img.example/lead.png")
    assert result.exit_code == 0, result.output
    draft = week.parent / "output" / "drafts" / f"{KEY}.md"
    text = check_golden(draft, site, "weekly-numbered.md")
    # 星图3 was published on both days: one item, the newest (Saturday's dup-b), both sites linked.
    assert text.count("dup-xinghe-b.html") == 1 and text.count("dup-xinghe-a.html") == 1
    assert "网址：http://FIXTURE_HOST/pages/dup-xinghe-b.html" in text
    assert "相关报道：http://FIXTURE_HOST/pages/dup-xinghe-a.html" in text
    items = len(re.findall(r"^### \d+、", text, flags=re.M))
    asked = weekly_requests(fake_llm)
    assert len(asked) == items + 1  # one paragraph per item and the teaser

    again = run(week, "weekly", *RANGE, "--format", "numbered", "--image", "https://img.example/lead.png")
    assert again.exit_code == 0, again.output
    assert "llm: 0 calls" in again.stderr and f"{items} cached" in again.stderr
    assert len(weekly_requests(fake_llm)) == len(asked)
    assert draft.read_text(encoding="utf-8").replace(site.host, "FIXTURE_HOST") == text


def test_issue_weekly_golden_review_picks_and_publish(week: Path, site: SiteServer,
                                                      fake_llm: FakeOpenAI) -> None:
    result = run(week, "weekly", *RANGE, "--format", "issue", "--top", "4")
    assert result.exit_code == 0, result.output
    output = week.parent / "output"
    draft = output / "drafts" / f"{ISSUE_KEY}.md"
    text = check_golden(draft, site, "weekly-issue.md")
    assert text.startswith("---\ntitle: 简读 Weekly 第 1 期\ncategory: 技术\ndate: 2026-11-22\n---\n")

    refused = run(week, "publish", ISSUE_KEY)
    assert refused.exit_code == 1 and "not reviewed" in refused.stderr

    # The editor moves the last item under ## 我在看 in their own editor: it becomes a pick.
    heads = re.findall(r"^### .+$", text, flags=re.M)
    real = draft.read_text(encoding="utf-8")
    last = real.index(heads[-1])
    draft.write_text(real[:last] + "## 我在看\n\n" + real[last:], encoding="utf-8")
    listed = run(week, "review", ISSUE_KEY, "--approve-all")
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.strip().endswith(f"{ISSUE_KEY}: reviewed")

    published = run(week, "publish", ISSUE_KEY)
    assert published.exit_code == 0, published.output
    issue = (output / f"{ISSUE_KEY}.md").read_text(encoding="utf-8")
    assert issue.endswith("\n## 我在看\n\n" + real[last:])
    assert issue.count("\n## 技术教程\n") == 0  # its only item is now a pick: the section is left out
    # The daily feed and index list the daily issues only.
    assert ISSUE_KEY not in (output / "index.md").read_text(encoding="utf-8")
    with sqlite3.connect(week.parent / "state" / "jiandu.db") as db:
        state = db.execute("SELECT state FROM review_digests WHERE date = ?", (ISSUE_KEY,)).fetchone()[0]
    assert state == "published"

    # The next weekly counts this one (第 2 期); its items are the same stories, so the cache answers.
    asked = len(weekly_requests(fake_llm))
    result = run(week, "weekly", "--from", "2026-11-20", "--to", "2026-11-23", "--format", "issue",
                 "--top", "4")
    assert result.exit_code == 0, result.output
    second = (output / "drafts" / "weekly-2026-W48-issue.md").read_text(encoding="utf-8")
    assert second.startswith("---\ntitle: 简读 Weekly 第 2 期\n")
    assert len(weekly_requests(fake_llm)) == asked

    result = run(week, "weekly", "--from", "2026-11-30", "--to", "2026-12-06", "--format", "issue")
    assert result.exit_code == 1
    assert "weekly-2026-W49-issue: no published daily item from 2026-11-30 to 2026-12-06" in result.stderr


def test_an_ungrounded_figure_is_flagged_and_publish_waits_for_its_acknowledgement(
        week: Path, fake_llm: FakeOpenAI) -> None:
    # Every weekly paragraph claims a figure no source has, on the first ask and on the re-ask naming it.
    def inventing(body: dict[str, Any]) -> Reply:
        reply = weekly_responder(body)
        return Reply((reply.content or "").replace("这篇文章介绍了", "据称已有九千万用户，这篇文章介绍了"))

    fake_llm.responder = inventing
    result = run(week, "weekly", *RANGE, "--format", "issue", "--top", "2")
    assert result.exit_code == 0, result.output
    assert "2 flagged items" in result.stderr
    asked = weekly_requests(fake_llm)
    assert len(asked) == 4  # each item: the first ask and one re-ask naming the figure
    assert "数字“九千万”在原文中找不到" in asked[-1]["messages"][-1]["content"]
    draft = (week.parent / "output" / "drafts" / f"{ISSUE_KEY}.md").read_text(encoding="utf-8")
    assert "> ⚠️ 待核实: 段落：数字“九千万”在原文中找不到" in draft
    # Structured like a daily's flags (the review page marks the term), and so from the cache on a re-run.
    assert run(week, "weekly", *RANGE, "--format", "issue", "--top", "2").exit_code == 0
    assert len(weekly_requests(fake_llm)) == 4
    with Store(week.parent / "state" / "jiandu.db") as store:
        flags = [f for item in store.review_items(ISSUE_KEY).values() for f in item.flags]
    assert {(f.kind, f.bullet, f.term) for f in flags} == {("number", 1, "九千万")} and len(flags) == 2

    assert run(week, "review", ISSUE_KEY, "--approve-all").exit_code == 0
    refused = run(week, "publish", ISSUE_KEY)
    assert refused.exit_code == 1
    assert "unacknowledged trust flags (" in refused.stderr
    assert "item 1: 段落：数字“九千万”" in refused.stderr and "item 2: 段落：数字“九千万”" in refused.stderr
    published = run(week, "publish", ISSUE_KEY, "--ack", "1", "--ack", "2")
    assert published.exit_code == 0, published.output
    issue = (week.parent / "output" / f"{ISSUE_KEY}.md").read_text(encoding="utf-8")
    assert "待核实" not in issue and "九千万" in issue


def test_an_item_the_model_cannot_write_is_left_out_and_the_rest_goes_on(week: Path,
                                                                        fake_llm: FakeOpenAI) -> None:
    fake_llm.aim("澄光智能", *[Reply("这不是JSON")] * 3)
    result = run(week, "weekly", *RANGE, "--format", "issue")
    assert result.exit_code == 0, result.output
    failed = [line for line in result.stderr.splitlines() if "failed:" in line]
    assert len(failed) == 1 and "zh-1.html: invalid model output after 3 attempts" in failed[0]
    assert "5 items from 6 stories" in result.stderr
    with sqlite3.connect(week.parent / "state" / "jiandu.db") as db:
        sql = "SELECT COUNT(*) FROM llm_calls WHERE error LIKE '%invalid model output%'"
        errors = db.execute(sql).fetchone()
    assert errors[0] == 1

    # The next run writes the missing item and keeps everything else (no other call).
    before = len(weekly_requests(fake_llm))
    again = run(week, "weekly", *RANGE, "--format", "issue")
    assert again.exit_code == 0, again.output
    assert "1 new in the draft" in again.stderr and len(weekly_requests(fake_llm)) == before + 1


def test_hand_edits_survive_a_rerun_and_the_other_format_is_its_own_draft(week: Path,
                                                                          site: SiteServer) -> None:
    assert run(week, "weekly", *RANGE, "--format", "numbered", "--top", "3").exit_code == 0
    draft = week.parent / "output" / "drafts" / f"{KEY}.md"
    text = draft.read_text(encoding="utf-8")
    heads = re.findall(r"^### 1、(.+)$", text, flags=re.M)
    edited = text.replace(f"### 1、{heads[0]}", "### 1、编辑改过的标题").replace(
        re.search(r"<small>.*</small>\n", text).group(0), "")  # type: ignore[union-attr]
    draft.write_text(edited, encoding="utf-8")

    again = run(week, "weekly", *RANGE, "--format", "numbered", "--top", "5")
    assert again.exit_code == 0, again.output
    assert "2 new in the draft" in again.stderr
    now = draft.read_text(encoding="utf-8")
    assert "### 1、编辑改过的标题" in now and "1、编辑改过的标题  \n" in now and "<small>" not in now
    assert len(re.findall(r"^### \d+、", now, flags=re.M)) == 5

    # The issue format of the same week is a draft of its own, beside the numbered one under review.
    other = run(week, "weekly", *RANGE, "--format", "issue")
    assert other.exit_code == 0, other.output
    assert f"weekly {ISSUE_KEY} (issue)" in other.output
    assert draft.read_text(encoding="utf-8") == now  # the numbered draft is untouched
    assert (week.parent / "output" / "drafts" / f"{ISSUE_KEY}.md").read_text(encoding="utf-8").startswith(
        "---\ntitle: ")


def test_the_review_page_serves_a_weekly(week: Path, fake_llm: FakeOpenAI) -> None:
    from reviewing import Browserless, start_app

    from summarizer.config import load_settings
    from summarizer.web.app import ReviewApp, new_token

    assert run(week, "weekly", *RANGE, "--format", "issue", "--top", "3").exit_code == 0
    token = new_token()
    base, server, thread = start_app(ReviewApp(load_settings(week), ISSUE_KEY, token=token))
    try:
        client = Browserless(base, token)
        status, page = client.get()
        assert status == 200 and "澄光智能周报" in page
        fields = {"headline": "新标题", "emoji": "", "bullet1": PARAGRAPH + "补充。"}
        status, _ = client.post("/item/1/edit", fields)
        assert status == 303
        status, _ = client.post("/item/2/highlight")
        assert status == 303
        asked = len(fake_llm.requests)
        status, location = client.post("/item/3/regenerate")
        assert status == 303 and "not+regenerated" in location
        assert len(fake_llm.requests) == asked  # refused before any call
    finally:
        server.should_exit = True
        thread.join()
    draft = (week.parent / "output" / "drafts" / f"{ISSUE_KEY}.md").read_text(encoding="utf-8")
    assert "### 新标题\n" in draft and "补充。" in draft
    assert re.search(r"## 我在看\n\n### \S+\n", draft)


def test_bad_arguments_are_one_line_errors(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    config = write_config(tmp_path, site, fake_llm)
    backwards = run(config, "weekly", "--from", "2026-11-22", "--to", "2026-11-16", "--format", "issue")
    assert backwards.exit_code == 2
    assert backwards.stderr == "error: --to 2026-11-16 is before --from 2026-11-22\n"
    image = run(config, "weekly", *RANGE, "--format", "numbered", "--image", 'x" onerror="alert(1)')
    assert image.exit_code == 2 and "--image: 'x\" onerror=\"alert(1)' is not an http(s) URL" in image.stderr
    empty = run(config, "weekly", *RANGE, "--format", "numbered")
    assert empty.exit_code == 1
    assert empty.stderr.startswith(f"error: {KEY}: no published daily item from 2026-11-16 to 2026-11-22")
    assert fake_llm.requests == []


def test_a_weekly_draft_saved_in_another_encoding_is_one_line(week: Path) -> None:
    from test_review_cli import regbk

    assert run(week, "weekly", *RANGE, "--format", "numbered", "--top", "3").exit_code == 0
    line = regbk(week.parent / "output" / "drafts" / f"{KEY}.md")
    for args in (["weekly", *RANGE, "--format", "numbered"], ["review", KEY, "--list"], ["publish", KEY]):
        result = run(week, *args)
        assert result.exit_code == 2, (args, result.output)
        assert result.output.strip().splitlines()[-1] == line
        assert "Traceback" not in result.output


def test_both_formats_of_a_week_are_reviewed_and_published_side_by_side(week: Path) -> None:
    assert run(week, "weekly", *RANGE, "--format", "numbered").exit_code == 0
    assert run(week, "weekly", *RANGE, "--format", "issue").exit_code == 0
    output = week.parent / "output"
    # Each format is its own review: approving and publishing one leaves the other a draft.
    assert run(week, "review", KEY, "--approve-all").exit_code == 0
    published = run(week, "publish", KEY)
    assert published.exit_code == 0, published.output
    with sqlite3.connect(week.parent / "state" / "jiandu.db") as db:
        states = dict(db.execute("SELECT date, state FROM review_digests WHERE date LIKE 'weekly-%'"))
    assert states == {KEY: "published", ISSUE_KEY: "draft"}
    assert not (output / f"{ISSUE_KEY}.md").exists()
    assert run(week, "review", ISSUE_KEY, "--approve-all").exit_code == 0
    assert run(week, "publish", ISSUE_KEY).exit_code == 0
    numbered, issue = ((output / f"{k}.md").read_text(encoding="utf-8") for k in (KEY, ISSUE_KEY))
    assert numbered.startswith("---\ndate: 2026/11/22\n---\n") and "目录：" in numbered
    assert issue.startswith("---\ntitle: 简读 Weekly 第 1 期\n")
    index = (output / "index.html").read_text(encoding="utf-8")
    assert f'<a href="{KEY}.html">简读 Weekly · 编号版 2026-11-16–2026-11-22</a>' in index
    assert f'<a href="{ISSUE_KEY}.html">简读 Weekly 第 1 期 2026-11-16–2026-11-22</a>' in index
    for key in (KEY, ISSUE_KEY):
        assert '<html lang="zh-CN">' in (output / f"{key}.html").read_text(encoding="utf-8")


def test_the_weekly_page_links_each_paragraph_to_its_quote_and_carries_a_trust_line(week: Path) -> None:
    assert run(week, "weekly", *RANGE, "--format", "issue", "--top", "4").exit_code == 0
    assert run(week, "review", ISSUE_KEY, "--approve-all").exit_code == 0
    assert run(week, "publish", ISSUE_KEY).exit_code == 0
    page = (week.parent / "output" / f"{ISSUE_KEY}.html").read_text(encoding="utf-8")
    linked = re.findall(r'<a class="evidence" href="([^"]+)"', page)
    assert len(linked) == 4 and len(set(linked)) == 4  # one per item, each its own source's sentence
    with Store(week.parent / "state" / "jiandu.db") as store:
        articles = [store.article(i.canonical_url) for i in store.review_items(ISSUE_KEY).values()]
    urls = {a.url for a in articles if a}
    assert {html.unescape(h).split("#:~:text=")[0] for h in linked} == urls
    assert "本期 4 段短评，4 段与原文逐条核对；" in page and "检查标记 0 处，编辑核实后放行 0 处" in page
