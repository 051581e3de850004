"""A published issue read back and rendered: the HTML page, the 公众号 HTML, the JSON and the Atom feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser

from summarizer.config import settings_from_dict
from summarizer.publish.atom import atom_feed
from summarizer.publish.issue import PublishedIssue, issue_json, page_html, read_issue, wechat_html
from summarizer.publish.push.targets import messages

DATE = "2026-11-20"
BULLET = ("这家公司发布了新的模型与工具，说明了面向的用户、解决的问题和定价方式，"
          "并与同类方案逐项比较，指出改进之处。")
ISSUE = f"""## 目的

跟踪 AI & 芯片。

## 看点

> 原文共计**900**字,简读后为**300**字,阅读时间为1分钟,为您提高阅读效率为**300%**

- A&B 发布"新"模型 🚀

## 产品介绍

### A&B 发布"新"模型 🚀

> 要点解析:

- {BULLET}

- {BULLET}

- {BULLET}

热度:3个来源

原文链接:[javascript:alert(1)](javascript:alert(1))
原文链接:[https://news.example.com/a?x=1&y=2](https://news.example.com/a?x=1&y=2)
"""


def issue_in(tmp_path: Path, base_url: str | None = None) -> PublishedIssue:
    (tmp_path / f"{DATE}.md").write_text(ISSUE, encoding="utf-8")
    return read_issue(tmp_path, DATE, title="简读", base_url=base_url,
                      published_at="2026-11-20T23:00:00+00:00")


def test_pages_escape_text_and_refuse_script_links(tmp_path: Path) -> None:
    issue = issue_in(tmp_path)
    assert issue.items[0][1].sources == 3 and issue.stats.startswith("原文共计**900**字")
    page = page_html(issue)
    assert "A&amp;B 发布&#34;新&#34;模型 🚀" in page and 'href="#"' in page and 'href="javascript' not in page
    assert 'href="https://news.example.com/a?x=1&amp;y=2"' in page
    assert "<strong>900</strong>" in page and "热度:3个来源" in page
    wechat = wechat_html(issue)
    # The 公众号 editor keeps inline styles and makes external links plain text.
    assert "<style" not in wechat and "<a " not in wechat
    assert "https://news.example.com/a?x=1&amp;y=2" in wechat


def test_the_webhook_json_and_chat_messages_carry_no_script_link(tmp_path: Path) -> None:
    issue = issue_in(tmp_path, base_url="https://d.example/")
    data = issue_json(issue)
    assert data["url"] == "https://d.example/2026-11-20.html"
    assert data["items"][0]["sources"] == 3 and data["items"][0]["section"] == "产品介绍"
    settings = settings_from_dict({"push": [{"name": "t", "type": "telegram", "token_env": "T", "chat_id": 1},
                                            {"name": "d", "type": "discord", "url": "https://x/y"},
                                            {"name": "l", "type": "lark", "url": "https://open.larksuite.com/h"}]},
                                  base_dir=tmp_path)
    for target in settings.push:
        [message] = messages(target, issue)
        assert "javascript:" not in message.text, target.type
    telegram = messages(settings.push[0], issue)[0].text
    assert "<b>A&amp;B 发布\"新\"模型 🚀</b>" in telegram
    assert 'href="https://news.example.com/a?x=1&amp;y=2"' in telegram


def test_the_feed_without_a_base_url_is_still_valid_and_says_where_it_would_link(tmp_path: Path) -> None:
    issue = issue_in(tmp_path)
    text = atom_feed([issue], title="简读", base_url=None)
    ET.fromstring(text.encode("utf-8"))
    feed = feedparser.parse(text)
    assert feed.bozo == 0 and feed.entries[0].updated == "2026-11-20T23:00:00+00:00"
    absolute = atom_feed([issue_in(tmp_path, "https://d.example/")], title="简读", base_url="https://d.example/")
    entry = feedparser.parse(absolute).entries[0]
    assert entry.link == "https://d.example/2026-11-20.html"
    assert "A&amp;B" in entry.content[0].value or "A&B" in entry.content[0].value
