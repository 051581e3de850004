"""The published folder as a site and its feeds, over the real CLI: relative links between pages, absolute
ones under publish.base_url in both feeds; a re-published issue says 更正, when and what changed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import feedparser
import pytest
from reviewing import DATE, invoke, make_draft
from servers import FakeOpenAI, SiteServer

from summarizer.digest.parse import parse_digest

BASE = "https://digest.example.com/jiandu/"


def test_pages_link_relatively_and_feeds_absolutely(tmp_path: Path, site: SiteServer,
                                                    fake_llm: FakeOpenAI) -> None:
    day = make_draft(tmp_path, site, fake_llm)
    day.config.write_text(day.config.read_text(encoding="utf-8") + f"publish:\n  base_url: {BASE}\n",
                          encoding="utf-8")
    assert invoke(day, "review", DATE, "--approve-all").exit_code == 0
    assert invoke(day, "publish", DATE).exit_code == 0
    index = (day.output / "index.html").read_text(encoding="utf-8")
    page = (day.output / f"{DATE}.html").read_text(encoding="utf-8")
    issue = parse_digest((day.output / f"{DATE}.md").read_text(encoding="utf-8"))
    assert f'<a href="{DATE}.html">' in index and f"{len(issue.items)}条" in index
    assert all(h.headline in index for h in issue.highlights)  # 看点
    for html in (index, page):
        assert '<html lang="zh-CN">' in html and '<link rel="stylesheet" href="style.css">' in html
        # Every link inside the site is relative; only feed discovery and links out are absolute.
        inside = [h for h in re.findall(r'<a [^>]*href="([^"]+)"', html) if not h.startswith("http://127.")]
        assert inside and not any(h.startswith(("http", "/")) for h in inside), inside
    assert (day.output / "style.css").read_text(encoding="utf-8").count("{") < 30  # one small stylesheet
    feed = feedparser.parse((day.output / "feed.xml").read_bytes())
    assert feed.entries[0].link == f"{BASE}{DATE}.html"
    data = json.loads((day.output / "feed.json").read_text(encoding="utf-8"))
    assert data["version"] == "https://jsonfeed.org/version/1.1" and data["feed_url"] == f"{BASE}feed.json"
    assert data["home_page_url"] == BASE
    [item] = data["items"]
    assert item["url"] == f"{BASE}{DATE}.html" and item["id"] == feed.entries[0].id


def test_a_republished_issue_says_what_was_corrected_and_when(tmp_path: Path, site: SiteServer,
                                                              fake_llm: FakeOpenAI,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    day = make_draft(tmp_path, site, fake_llm)
    assert invoke(day, "review", DATE, "--approve-all").exit_code == 0
    monkeypatch.setattr("summarizer.publish.reviewed.now_iso", lambda: "2026-11-21T08:00:00+00:00")
    assert invoke(day, "publish", DATE).exit_code == 0
    first = feedparser.parse((day.output / "feed.xml").read_bytes()).entries[0]
    first_json = json.loads((day.output / "feed.json").read_text(encoding="utf-8"))["items"][0]
    assert "更正" not in (day.output / f"{DATE}.html").read_text(encoding="utf-8")

    draft = day.draft_md.read_text(encoding="utf-8")
    item = parse_digest(draft).items[0]
    fixed = ("更正后的第二条要点：文章其实说明了方案的具体做法与取舍，"
             "并把它与同行的做法逐项对照，指出长处与不足。")
    day.draft_md.write_text(draft.replace(f"- {item.bullets[1]}", f"- {fixed}", 1), encoding="utf-8")
    monkeypatch.setattr("summarizer.publish.reviewed.now_iso", lambda: "2026-11-21T09:30:00+00:00")
    assert invoke(day, "publish", DATE).exit_code == 0

    line = f"更正（2026-11-21 09:30:00 UTC）：「{item.headline}」第2条要点改写"
    markdown = (day.output / f"{DATE}.md").read_text(encoding="utf-8")
    assert f"> {line}" in markdown and parse_digest(markdown).corrections == [line]
    page = (day.output / f"{DATE}.html").read_text(encoding="utf-8")
    assert "<strong>更正</strong>（2026-11-21 09:30:00 UTC）：" in page and fixed in page
    entry = feedparser.parse((day.output / "feed.xml").read_bytes()).entries[0]
    assert entry.id == first.id and entry.updated == "2026-11-21T09:30:00+00:00" != first.updated
    assert entry.published == "2026-11-21T08:00:00+00:00" and "更正" in entry.content[0].value
    again = json.loads((day.output / "feed.json").read_text(encoding="utf-8"))["items"][0]
    assert again["id"] == first_json["id"] and again["date_modified"] == "2026-11-21T09:30:00+00:00"
    assert again["date_published"] == first_json["date_published"] == "2026-11-21T08:00:00+00:00"

    # Publishing the same text again is no new correction.
    monkeypatch.setattr("summarizer.publish.reviewed.now_iso", lambda: "2026-11-21T10:00:00+00:00")
    assert invoke(day, "publish", DATE).exit_code == 0
    assert (day.output / f"{DATE}.md").read_text(encoding="utf-8") == markdown
