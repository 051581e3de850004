"""The review page in a real browser: Debian's chromium driven by Playwright, keys and clicks as an editor's.

Skipped (with the reason) when playwright or chromium is missing; .ci/run installs chromium with apt-get.
On failure a full-page screenshot and the page's HTML are saved and their paths added to the error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reviewing import DATE, NEW_BULLETS, Day, make_draft, regenerated_summary, start_app
from servers import FakeOpenAI, Reply, SiteServer

from summarizer.review.state import Review
from summarizer.store import Store
from summarizer.testing import launch, playwright_missing
from summarizer.web.app import ReviewApp, new_token

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(playwright_missing() is not None, reason=str(playwright_missing()))]

FLAG = "数字“42%”在原文中找不到"
EDITED = [b.replace("重新生成的", "编辑改写的") for b in NEW_BULLETS]


@pytest.fixture
def browser_page(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> Iterator[tuple[Day, Any, str]]:
    from playwright.sync_api import sync_playwright

    day = make_draft(tmp_path, site, fake_llm, flags={1: [FLAG]})
    token = new_token()
    base, server, thread = start_app(ReviewApp(day.settings, DATE, token=token))
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
        page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
        page.goto(f"{base}/?token={token}")
        try:
            yield day, page, token
            assert errors == [], errors
        except BaseException as exc:
            shot, source = tmp_path / "review-failure.png", tmp_path / "review-failure.html"
            page.screenshot(path=str(shot), full_page=True)
            source.write_text(page.content(), encoding="utf-8")
            exc.add_note(f"screenshot of the failing page: {shot}\nits HTML: {source}")
            raise
        finally:
            browser.close()
            server.should_exit = True
            thread.join()


def _review(day: Day) -> Review:
    return Review.open(Store(day.settings.database_path), day.settings, DATE)


def _key(page: Any, key: str) -> None:
    """Press a key that submits a form, and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)


def _current(page: Any) -> str:
    return str(page.locator("#queue .item.current").get_attribute("id"))


def _message(page: Any) -> str:
    return str(page.locator("#message").inner_text())


def test_an_editor_reviews_and_publishes_in_chromium(browser_page: tuple[Day, Any, str], fake_llm: FakeOpenAI
                                                     ) -> None:
    day, page, _ = browser_page
    assert page.locator("#counts").inner_text().startswith("0/4 已批准，1 条待核")
    assert _current(page) == "item-2"  # the flagged item comes first and is selected

    # A click on a bullet's quote shows it in place, lit up and scrolled into the source box.
    page.locator("#item-2 a.quote-line").nth(2).click()
    quote, box = page.locator("#q-2-3"), page.locator("#source-2")
    assert "shown" in str(quote.get_attribute("class"))
    q, b = quote.bounding_box(), box.bounding_box()
    assert b["y"] <= q["y"] and q["y"] + q["height"] <= b["y"] + b["height"]
    assert page.locator("#item-2 h3 mark, #item-2 .source mark").count() == 0  # 42% is not in the text

    _key(page, "a")  # approve the flagged item (its flag still needs acknowledging) -> on to item 1
    assert _current(page) == "item-1" and _review(day).item(2).status == "approved"

    # A refused edit says why on the page and changes nothing.
    page.keyboard.press("e")
    page.locator("#item-1 textarea[name=bullet1]").fill("太短")
    _key(page, "Control+Enter")
    assert "第1条要点为2字，应在60到220字之间" in _message(page)
    assert "error" in str(page.locator("#message").get_attribute("class"))
    assert _review(day).item(1).bullets[0] != "太短"
    assert page.locator("#item-1 textarea[name=bullet1]").input_value() == "太短"  # nothing typed is lost
    assert _current(page) == "item-1"

    # An accepted edit is re-checked and saved.
    page.keyboard.press("e")
    for n, text in enumerate(EDITED, 1):
        page.locator(f"#item-1 textarea[name=bullet{n}]").fill(text)
    _key(page, "Control+Enter")
    assert "#1 已保存" in _message(page) and _review(day).item(1).bullets == EDITED

    page.keyboard.press("j")  # queue: 2, 1, 3, 4
    assert _current(page) == "item-3"
    _key(page, "d")
    assert _review(day).item(3).status == "dropped" and _current(page) == "item-1"  # top of the queue again

    item1 = _review(day).item(1)
    with Store(day.settings.database_path) as store:
        title = store.article(item1.canonical_url).title
    new = regenerated_summary(fake_llm, title, item1.section)
    fake_llm.push(Reply(json.dumps(new, ensure_ascii=False)))
    _key(page, "r")
    assert "#1 已重新生成" in _message(page) and _review(day).item(1).headline == new["headline"]
    assert page.locator("#item-1 h3").inner_text().startswith(f"#1 {new['headline']}")

    _key(page, "a")
    _key(page, "a")  # item 4, then the selection comes back to the flagged item 2
    assert _current(page) == "item-2"

    page.keyboard.press("p")  # to the publish button; Enter presses it
    _key(page, "Enter")
    assert _message(page).startswith("不能发布：#2 有待核实的问题未确认")
    assert not (day.output / f"{DATE}.md").exists()
    page.locator("input[name=ack][value='2']").check()
    with page.expect_navigation():
        page.locator("#publish-button").click()
    issue = day.output / f"{DATE}.md"
    assert _message(page).startswith(f"已发布到 {issue}") and issue.exists()
    panel = page.locator("#published").inner_text()
    assert str(issue) in panel and "feed.xml" in panel and "index.md" in panel
    assert page.locator("text=全部批准").count() == 0 and page.locator("#publish-button").count() == 0
    assert page.locator("#counts").inner_text().startswith("3/3 已批准，0 条待核")
    assert "#2 确认已核实待核问题" in page.locator("#history").inner_text()
