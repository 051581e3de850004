"""The review page over real HTTP: uvicorn on 127.0.0.1 in a thread, called with urllib; token required."""

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from reviewing import (
    DATE,
    NEW_BULLETS,
    SCRIPT_TITLE,
    Browserless,
    Day,
    draft_items,
    make_draft,
    regenerated_summary,
    start_app,
)
from servers import FakeOpenAI, Reply, SiteServer

from summarizer.digest.parse import parse_digest
from summarizer.items import Problem
from summarizer.jinja import inline
from summarizer.review.state import Review
from summarizer.store import Store
from summarizer.store.lock import run_lock
from summarizer.web.app import ReviewApp, new_token

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


def _block(page: str, item_id: int) -> str:
    """The HTML of one item on the page (items are in queue order, not by number)."""
    start = page.index(f'id="item-{item_id}"')
    ends = [page.find(mark, start + 1) for mark in ('<div class="item ', '<h2 id="publish"', '<h2>最近修改')]
    return page[start:min(e for e in ends if e > 0)]


def _message(location: str) -> str:
    """The message a POST's redirect carries to the page."""
    return parse_qs(urlsplit(location).query).get("msg", [""])[0]


# Valid bullets (60+ 字, Chinese, no figures or names): they pass the checks a model's reply passes.
EDITED = [b.replace("重新生成的", "编辑改写的") for b in NEW_BULLETS]


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
    item1 = _block(page, 1)
    shown = html.unescape(re.search(r'<span class="source-title">(.*?)</span>', item1).group(1))
    assert shown == SCRIPT_TITLE  # escaped in the HTML, the exact title once a browser decodes it
    assert f"⚠️ 待核实：{FLAG}" in html.unescape(page)
    assert "澄光" in page or "小澄" in page  # the extracted source text sits beside the item
    # Nothing from elsewhere: one inline script of our own (keyboard shortcuts), no src, no CDN.
    assert "cdn" not in page.lower() and page.lower().count("<script") == 1 and "<script src" not in page
    # The flagged amount is marked where it occurs in the extracted source beside item 2, and nowhere else.
    item2 = _block(page, 2)
    assert "<mark>3 亿元</mark>" in item2 and page.count("<mark>") == item2.count("<mark>")
    assert "&gt; 原文共计" not in page and "> 原文共计" not in page  # the stats line has no literal "> "


def test_queue_puts_flagged_first_with_counts_and_filters(app: tuple[Day, Browserless]) -> None:
    _, client = app
    page = client.get()[1]
    order = [int(n) for n in re.findall(r'<div class="item [^"]*" id="item-(\d+)"', page)]
    assert order == [2, 1, 3, 4]  # the flagged item first, then the others in digest order
    assert "0/4 已批准，1 条待核，4 条待审，0 条已删除" in page
    client.post("/item/1/approve")
    client.post("/item/3/drop")
    page = client.get()[1]
    assert "1/3 已批准，1 条待核，2 条待审，1 条已删除" in page
    assert [int(n) for n in re.findall(r'<div class="item [^"]*" id="item-(\d+)"', page)] == [2, 4, 1, 3]
    flagged = client.get("/?show=flagged")[1]  # the filter keeps one group
    assert re.findall(r'<div class="item [^"]*" id="item-(\d+)"', flagged) == ["2"]
    # Un-approve: the item goes back to the unreviewed group.
    client.post("/item/1/unapprove")
    assert "0/3 已批准" in client.get()[1]


def test_approve_moves_on_to_the_next_item_that_needs_a_decision(app: tuple[Day, Browserless]) -> None:
    _, client = app
    _, location = client.post("/item/2/approve")
    assert location.endswith("#item-1")  # queue was 2, 1, 3, 4
    _, location = client.post("/item/4/drop")
    assert location.endswith("#item-1")  # the top of the queue among items not yet approved
    _, location = client.post("/item/1/approve")
    assert location.endswith("#item-3")
    _, location = client.post("/item/3/approve")
    # Nothing left unapproved: back to item 2, approved but its flag is not yet acknowledged.
    assert location.endswith("#item-2")
    client.post("/item/2/ack")
    _, location = client.post("/item/2/approve")
    assert location.endswith("#item-2")  # already approved, nothing else waits: the page stays


def test_each_bullet_shows_its_quote_and_where_it_is_in_the_source(app: tuple[Day, Browserless]) -> None:
    _, client = app
    item1 = _block(client.get()[1], 1)
    for n in (1, 2, 3):
        link = re.search(rf'<a class="quote-line" href="#q-1-{n}"[^>]*>引文：“(.*?)” ↗', item1)
        assert link, f"bullet {n} has no quote link"
        target = re.search(rf'<span class="quote" id="q-1-{n}"[^>]*>(.*?)</span>', item1, flags=re.S)
        assert target, f"quote {n} is not placed in the source"
        # The quote is found where the trust check finds it: same text, spaces and punctuation aside.
        placed, given = (re.sub(r"\W", "", html.unescape(m.group(1))) for m in (target, link))
        assert placed == given


def test_an_edit_is_validated_and_rechecked_like_model_output(app: tuple[Day, Browserless]) -> None:
    day, client = app
    before = _review(day).item(1)
    fields = {"headline": before.headline, "emoji": "🚀", "bullet1": "太短", "bullet2": EDITED[1],
              "bullet3": EDITED[2]}
    status, page = client.post("/item/1/edit", fields)
    # Answered with the page itself: the refusal in Chinese, the form still open with what was typed.
    assert status == 200
    assert "第1条没有保存" in page and "第1条要点为2字，应在60到220字之间" in page
    assert _review(day).item(1).bullets == before.bullets  # nothing saved
    item1 = _block(page, 1)
    assert '<details class="edit" open>' in item1
    assert '<textarea name="bullet1" aria-label="第1条要点">太短<' in item1
    assert 'data-focus="1"' in page
    # Markup typed into a headline is ordinary text, as in a model's reply (issue 13: "C#", "A|B", "<10ms"):
    # saved, neutralised by jinja.inline in the Markdown draft the review reads back, no tag on the page.
    marked = "# <b>粗</b> [链接](http://x.example)"
    status, location = client.post("/item/1/edit", {**fields, "headline": marked, "bullet1": EDITED[0]})
    assert status == 303 and "error" not in location
    assert _review(day).item(1).headline == inline(marked) == "＜b＞粗＜/b＞ 链接"
    page = client.get()[1]
    assert "<b>粗</b>" not in page and "＜b＞粗＜/b＞ 链接" in page
    draft = day.draft_md.read_text(encoding="utf-8")
    assert "<b>" not in draft and "](http://x.example)" not in draft

    # Item 2's planted flags are re-checked against its source: a clean edit clears them.
    _, location = client.post("/item/2/edit", {"headline": _review(day).item(2).headline, "emoji": "📈",
                                               "bullet1": EDITED[0], "bullet2": EDITED[1],
                                               "bullet3": EDITED[2]})
    assert "error" not in location and "重新检查无问题" in _message(location)
    assert _review(day).item(2).flags == [] and _review(day).item(2).bullets == EDITED

    # An edit that states a figure the source does not have is saved, flagged, and must be acknowledged.
    _, location = client.post("/item/1/edit", {"headline": before.headline, "emoji": "🚀",
                                               "bullet1": EDITED[0] + "据称用户达到987654人。",
                                               "bullet2": EDITED[1], "bullet3": EDITED[2]})
    assert "1 个待核问题" in _message(location)
    assert _review(day).item(1).unresolved == [
        Problem("number", "第1条要点：数字“987654”在原文中找不到", 1, "987654")]
    item1 = _block(client.get()[1], 1)
    assert "<mark>987654</mark>" in item1


def test_every_action_over_http(app: tuple[Day, Browserless], fake_llm: FakeOpenAI) -> None:
    day, client = app
    _, page = client.get()
    source_zi, digest_zi = _stats(page)

    status, location = client.post("/item/1/edit", {
        "headline": "网页上改的标题", "emoji": "🚀", "bullet1": EDITED[0], "bullet2": EDITED[1],
        "bullet3": EDITED[2]})
    assert status == 303 and location.startswith("/?token=") and location.endswith("#item-1")
    _, page = client.get()
    assert "网页上改的标题 🚀" in page
    assert _stats(page)[1] != digest_zi  # other bullets: the stats line follows
    assert _review(day).item(1).bullets[0] == EDITED[0]

    client.post("/item/3/drop")
    _, page = client.get()
    assert _stats(page)[0] == source_zi - _review(day).item(3).source_zi
    assert "已删除" in _block(page, 3) and _review(day).item(3).status == "dropped"

    client.post("/item/4/move", {"section": "其他"})
    assert _review(day).item(4).section == "其他"
    assert "· 其他 ·" in _block(client.get()[1], 4)

    client.post("/item/2/highlight")
    assert _review(day).item(2).highlight == 0
    client.post("/item/2/up")
    assert [i.id for i in _review(day).live() if i.section == "产品介绍"] == [2, 1]

    client.post("/item/2/approve")
    assert _review(day).item(2).status == "approved"

    # An edit that breaks the format is refused with a message; nothing is saved.
    status, page = client.post("/item/1/edit", {"headline": "标题", "emoji": "不是emoji", "bullet1": "a",
                                                "bullet2": "b", "bullet3": "c"})
    assert status == 200 and "emoji字段必须有1到3个emoji" in page
    assert _review(day).item(1).emoji == "🚀"

    item1 = _review(day).item(1)
    calls = len(fake_llm.requests)
    with Store(day.settings.database_path) as store:  # the title the model saw (the draft's was replaced)
        title = store.article(item1.canonical_url).title
    new = regenerated_summary(fake_llm, title, "产品介绍")
    fake_llm.push(Reply(json.dumps(new, ensure_ascii=False)))
    _, location = client.post("/item/1/regenerate")
    assert "已重新生成" in _message(location)
    assert len(fake_llm.requests) == calls + 1
    assert _review(day).item(1).headline == new["headline"] and _review(day).item(1).bullets == new["bullets"]
    page = client.get()[1]
    assert f"{new['headline']} {_review(day).item(1).emoji}" in page
    assert f"#1 改了标题：网页上改的标题 → {new['headline']}" in page  # the old text stays in the history
    assert "#1 重新生成" in page and "#2 批准" in page and "#3 删除" in page
    assert '"status"' not in page.split('id="history"')[1]  # readable lines, not raw JSON


def test_history_shows_local_times(app: tuple[Day, Browserless]) -> None:
    day, client = app
    client.post("/item/1/approve")
    with Store(day.settings.database_path) as store:
        at = store.review_history(DATE)[-1].at  # stored in UTC
    from datetime import datetime

    local = datetime.fromisoformat(at).astimezone(day.settings.digest.tz).strftime("%Y-%m-%d %H:%M")
    assert f"<li>{local} · #1 批准</li>" in client.get()[1]


def test_approve_ack_and_publish_from_the_page(app: tuple[Day, Browserless]) -> None:
    day, client = app
    client.post("/item/4/drop")
    client.post("/item/1/approve")
    _, location = client.post("/publish")
    # Refused in Chinese, items by number, and pointing at what the page offers (not a CLI flag).
    assert _message(location) == ("不能发布：#2、#3 未批准；#2 有待核实的问题未确认"
                                  "（在发布表单里勾选“已核实”，或在条目上按“已核实”）")
    client.post("/approve-all")
    _, location = client.post("/publish")
    assert "#2 有待核实的问题未确认" in _message(location)
    assert not (day.output / f"{DATE}.md").exists()
    page = client.get()[1]
    assert '<input type="checkbox" name="ack" value="2">' in page
    _, location = client.post("/publish", {"ack": "2"})  # ticked in the publish form
    assert _message(location).startswith(f"已发布到 {day.output / DATE}.md")
    issue = (day.output / f"{DATE}.md").read_text(encoding="utf-8")
    assert "待核实" not in issue and len(parse_digest(issue).items) == 3

    page = client.get()[1]
    assert 'id="published"' in page and str(day.output / f"{DATE}.md") in page and "已发布" in page
    assert "feed.xml" in page and "发布的内容" in page
    # After publishing: no approve-all, no publish button, no item buttons.
    assert "全部批准" not in page and 'id="publish-button"' not in page and "act-approve" not in page
    assert 'action="/reopen"' in page


def test_publishing_from_the_page_waits_for_no_push_but_refuses_beside_one(
    app: tuple[Day, Browserless],
) -> None:
    # A `push DATE --missing` in another process and the page's publish would both find a message unsent
    # and both deliver it: the page takes the push lock as the CLI's publish does.
    day, client = app
    client.post("/approve-all")
    with run_lock(day.settings.database_path, DATE, "push"):
        _, location = client.post("/publish", {"ack": "2"})
    assert _message(location).startswith("出错：") and "another push is in progress" in _message(location)
    assert not (day.output / f"{DATE}.md").exists()
    _, location = client.post("/publish", {"ack": "2"})  # the lock released: it goes
    assert _message(location).startswith(f"已发布到 {day.output / DATE}.md")


def test_editing_a_published_issue_is_an_explicit_step(app: tuple[Day, Browserless]) -> None:
    day, client = app
    client.post("/approve-all")
    client.post("/publish", {"ack": "2"})
    published = (day.output / f"{DATE}.md").read_text(encoding="utf-8")
    _, location = client.post("/item/1/drop")
    assert "error=1" in location and "已经发布" in _message(location)
    assert _review(day).item(1).status == "approved" and _review(day).state == "published"

    _, location = client.post("/reopen")
    assert "再发布一次才会更新" in _message(location)
    assert _review(day).state == "reviewed"
    page = client.get()[1]
    assert "这一期已发布过" in page and "重新打开已发布的一期以便修改" in page
    client.post("/item/1/drop")
    assert (day.output / f"{DATE}.md").read_text(encoding="utf-8") == published  # unchanged until republished
    _, location = client.post("/publish")
    assert _message(location).startswith("已发布到")
    assert (day.output / f"{DATE}.md").read_text(encoding="utf-8") != published


TOLD = "https://told.example/xinghe-again"
TOLD_TEXT = ("星河智能在杭州举行发布会，正式推出千亿参数大模型“星图3”。公司称，新模型在中文阅读理解和代码生成"
             "两项评测中均超过上一代，推理成本下降60%。首席技术官林若溪介绍，“星图3”采用混合专家架构。")


def _told_page(day: Day) -> None:
    """A page of the day the night left out: its story ran on the 19th and it brought nothing new."""
    from summarizer.items import ArticleStatus
    from summarizer.store import PublishedStory, StoryLink
    from summarizer.text import text_hash

    with Store(day.settings.database_path) as store:
        store.save_article(canonical_url=TOLD, url=TOLD, source="told", feed_url=None, title="星图3再报道",
                           published=None, status=ArticleStatus.EXTRACTED, digest_date=DATE, text=TOLD_TEXT,
                           text_hash=text_hash(TOLD_TEXT), zi=len(TOLD_TEXT))
        earlier = "https://a.example/1"
        store.record_published("2026-11-19", [PublishedStory("2026-11-19", earlier, earlier, "item-3",
                                                             "星图3发布", (), {})])
        store.save_story_link(StoryLink(TOLD, DATE, "repeat", "2026-11-19", "https://a.example/1"))


def test_a_page_already_published_is_listed_and_can_be_brought_back(app: tuple[Day, Browserless],
                                                                    fake_llm: FakeOpenAI) -> None:
    day, client = app
    _told_page(day)
    before = {i.canonical_url for i in _review(day).items.values()}
    page = client.get()[1]
    told = page.split('<details id="told">')[1].split("</details>")[0]
    assert "已报道（1 篇）" in told and "星图3再报道" in told and "2026-11-19 已报道：星图3发布" in told
    assert TOLD not in before

    # The guard holds as for every action: no token, no change.
    assert client.post("/told/restore", {"url": TOLD}, token=None)[0] == 403
    status, location = client.post("/told/restore", {"url": "https://not.told/x"})
    assert status == 303 and "出错" in _message(location)

    calls = len(fake_llm.requests)
    status, location = client.post("/told/restore", {"url": TOLD})
    assert status == 303 and "已放回草稿" in _message(location), _message(location)
    asked = {r["messages"][1]["content"] for r in fake_llm.requests[calls:]}
    assert len(asked) == 1 and "星图3再报道" in asked.pop()  # summarized like any page of the night
    added = [i for i in _review(day).items.values() if i.canonical_url == TOLD]
    assert len(added) == 1 and added[0].status == "pending" and added[0].links == [TOLD]
    assert location.endswith(f"#item-{added[0].id}")
    page = client.get()[1]
    assert 'id="told"' not in page and f'id="item-{added[0].id}"' in page
    with Store(day.settings.database_path) as store:
        link = store.story_link(TOLD)
        assert link is not None and link.restored
    assert f"({TOLD})" in day.draft_md.read_text(encoding="utf-8")  # the draft holds it too


def test_a_follow_up_is_marked_and_the_editor_can_unmark_it(app: tuple[Day, Browserless]) -> None:
    day, client = app
    review = _review(day)
    item = review.item(2)
    review.change(item, "follows", "2026-11-19.html#item-3")
    review.change(item, "follows_title", "2026-11-19 星图3发布")
    review.commit()
    assert "续报:[2026-11-19 星图3发布](2026-11-19.html#item-3)" in day.draft_md.read_text(encoding="utf-8")
    block = _block(client.get()[1], 2)
    assert "续报：接 2026-11-19 星图3发布" in block and "不是续报" in block
    assert client.post("/item/2/unfollow", token=None)[0] == 403
    status, _ = client.post("/item/2/unfollow")
    assert status == 303 and _review(day).item(2).follows == ""
    assert "续报" not in _block(client.get()[1], 2)
    assert "续报:" not in day.draft_md.read_text(encoding="utf-8")
