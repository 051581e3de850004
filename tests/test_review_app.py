"""The review page over real HTTP: uvicorn on 127.0.0.1 in a thread, called with urllib; the token is required."""

import html
import json
import re
from pathlib import Path
from typing import Iterator

import pytest

from reviewing import (DATE, SCRIPT_TITLE, Browserless, Day, draft_items, make_draft, regenerated_summary,
                       start_app)
from servers import FakeOpenAI, Reply, SiteServer
from summarizer.review.app import ReviewApp, new_token
from summarizer.review.markdown import parse_digest
from summarizer.review.state import Review
from summarizer.store import Store

FLAG = "数字“42%”在原文中找不到"
AMOUNT = "金额“3 亿元”与原文表述不一致"


@pytest.fixture
def app(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> Iterator[tuple[Day, Browserless]]:
    day = make_draft(tmp_path, site, fake_llm, flags={1: [FLAG, AMOUNT]}, script_title=True)
    token = new_token()
    base, server, thread = start_app(ReviewApp(day.settings, DATE, token=token))
    yield day, Browserless(base, token)
    server.should_exit = True
    thread.join()


def _review(day: Day) -> Review:
    store = Store(day.settings.database_path)
    return Review.open(store, day.settings, DATE)


def _stats(page: str) -> tuple[int, int]:
    match = re.search(r"原文共计<b>(\d+)</b>字,简读后为<b>(\d+)</b>字", page)
    assert match, "no stats line on the page"
    return int(match.group(1)), int(match.group(2))


def test_token_is_required(app: tuple[Day, Browserless]) -> None:
    day, client = app
    assert client.get(token=None)[0] == 403
    assert client.get(token="wrong")[0] == 403
    assert client.post("/item/1/drop", token=None)[0] == 403
    assert client.post("/item/1/drop", token="wrong")[0] == 403
    assert client.post("/publish", token=None)[0] == 403
    assert _review(day).item(1).status == "pending"  # nothing changed without the token
    status, page = client.get()
    assert status == 200 and all(item["headline"] in page for item in draft_items(day))


def test_page_shows_digest_source_and_flags_as_plain_text(app: tuple[Day, Browserless]) -> None:
    _, client = app
    _, page = client.get()
    assert "<script>alert" not in page
    shown = html.unescape(re.search(r'<span class="source-title">(.*?)</span>', page).group(1))
    assert shown == SCRIPT_TITLE  # escaped in the HTML, the exact title once a browser decodes it
    assert f"⚠️ 待核实: {FLAG}" in page.replace("&#34;", '"')
    assert "澄光" in page or "小澄" in page  # the extracted source text sits beside the item
    assert "cdn" not in page.lower() and "<script" not in page.lower()
    # The flagged amount is marked where it occurs in the extracted source beside item 2.
    item2 = page[page.index('id="item-2"'):page.index('id="item-3"')]
    assert "<mark>3 亿元</mark>" in item2 and "<mark>" not in page[:page.index('id="item-2"')]


def test_every_action_over_http(app: tuple[Day, Browserless], fake_llm: FakeOpenAI) -> None:
    day, client = app
    _, page = client.get()
    source_zi, digest_zi = _stats(page)

    status, location = client.post("/item/1/edit", {
        "headline": "网页上改的标题", "emoji": "🚀",
        "bullet1": "第一条改过的要点", "bullet2": "第二条改过的要点", "bullet3": "第三条改过的要点"})
    assert status == 303 and location.startswith("/?token=") and location.endswith("#item-1")
    _, page = client.get()
    assert "网页上改的标题 🚀" in page
    assert _stats(page)[1] < digest_zi  # shorter bullets: the stats line follows
    assert _review(day).item(1).bullets[0] == "第一条改过的要点"

    client.post("/item/3/drop")
    _, page = client.get()
    assert _stats(page)[0] == source_zi - _review(day).item(3).source_zi
    assert "已删除 dropped" in page and _review(day).item(3).status == "dropped"

    client.post("/item/4/move", {"section": "其他"})
    assert _review(day).item(4).section == "其他"
    assert "<h2 class=\"section\">其他</h2>" in client.get()[1]

    client.post("/item/2/highlight")
    assert _review(day).item(2).highlight == 0
    client.post("/item/2/up")
    assert [i.id for i in _review(day).live() if i.section == "产品介绍"] == [2, 1]

    client.post("/item/2/approve")
    assert _review(day).item(2).status == "approved"

    # An edit that breaks the format is refused with a message; nothing is saved.
    _, location = client.post("/item/1/edit", {"headline": "标题", "emoji": "不是emoji", "bullet1": "a",
                                               "bullet2": "b", "bullet3": "c"})
    assert "msg=error" in location
    assert _review(day).item(1).emoji == "🚀"

    item1 = _review(day).item(1)
    calls = len(fake_llm.requests)
    with Store(day.settings.database_path) as store:  # the title the model saw (the draft's was replaced)
        title = store.article(item1.canonical_url).title
    new = regenerated_summary(fake_llm, title, "产品介绍")
    fake_llm.push(Reply(json.dumps(new, ensure_ascii=False)))
    client.post("/item/1/regenerate")
    assert len(fake_llm.requests) == calls + 1
    assert _review(day).item(1).headline == new["headline"] and _review(day).item(1).bullets == new["bullets"]
    page = client.get()[1]
    assert f"{new['headline']} {_review(day).item(1).emoji}" in page
    assert f"网页上改的标题 → {new['headline']}" in page  # the old text stays in the history


def test_approve_ack_and_publish_from_the_page(app: tuple[Day, Browserless]) -> None:
    day, client = app
    client.post("/item/4/drop")
    client.post("/item/1/edit", {"headline": "# <b>粗</b> [链接](http://x.example) | 标题", "emoji": "🚀",
                                 "bullet1": "- > 引用<script>", "bullet2": "### 二", "bullet3": "三 [a](b)"})
    client.post("/approve-all")
    _, location = client.post("/publish")
    assert "unacknowledged" in location  # item 2's flag is not yet acknowledged
    assert not (day.output / f"{DATE}.md").exists()
    client.post("/item/2/ack")
    _, location = client.post("/publish")
    assert "msg=published" in location
    issue = (day.output / f"{DATE}.md").read_text(encoding="utf-8")
    assert "待核实" not in issue and len(parse_digest(issue).items) == 3
    # Control characters typed on the page come out as plain text; the issue still parses.
    assert "<b>" not in issue and "<script>" not in issue and "](http://x.example)" not in issue
    first = parse_digest(issue).items[0]
    assert first.headline == "＜b＞粗＜/b＞ 链接 | 标题" and first.bullets == ["＞ 引用＜script＞", "二", "三 a"]
    assert "published" in client.get()[1]
