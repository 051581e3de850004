"""The published folder as a static site, in a real browser: Debian's chromium (Playwright) opens
output/index.html from disk (file://), follows a link to an issue and to its previous issue, and finds no
broken link on any page; each page reads at 390 px and at 1280 px with its headings in order. And each
evidence link, followed to the source page served on 127.0.0.1, lands on its passage.

Skipped (with the reason in the summary line) when playwright or chromium is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
from servers import FakeOpenAI, SiteServer
from test_weekly import DAY1, DAY2, ISSUE_KEY, KEY, RANGE, run, week  # noqa: F401  (week: the fixture)

from summarizer.testing import launch, playwright_missing

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(playwright_missing() is not None, reason=str(playwright_missing()))]

HEADINGS = "() => [...document.querySelectorAll('h1,h2,h3,h4')].map(h => Number(h.tagName[1]))"
LINKS = "() => [...document.querySelectorAll('a[href]')].map(a => a.href)"


def _published_site(week: Path) -> Path:  # noqa: F811
    for args in (("weekly", *RANGE, "--format", "numbered"), ("weekly", *RANGE, "--format", "issue"),
                 ("review", KEY, "--approve-all"), ("publish", KEY),
                 ("review", ISSUE_KEY, "--approve-all"), ("publish", ISSUE_KEY)):
        result = run(week, *args)
        assert result.exit_code == 0, (args, result.output)
    return week.parent / "output"


def _check_page(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    levels = page.evaluate(HEADINGS)
    assert levels and levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels  # no level skipped
    # Nothing wider than the window: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    sheet = page.evaluate("getComputedStyle(document.body).maxWidth")
    assert sheet != "none"  # style.css was found and applied


def _local_links(page: Any) -> list[Path]:
    """Every link of the page into the folder, as files; a link out must be a web link."""
    found = []
    for href in page.evaluate(LINKS):
        url = urlparse(href)
        if url.scheme == "file":
            found.append(Path(unquote(url.path)))
        else:
            assert url.scheme in ("http", "https"), href
    return found


@pytest.mark.parametrize("width", [390, 1280])
def test_the_site_opens_from_disk_and_no_link_is_broken(week: Path, site: SiteServer,  # noqa: F811
                                                        fake_llm: FakeOpenAI, width: int) -> None:
    from playwright.sync_api import sync_playwright

    output = _published_site(week)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": width, "height": 800})
        try:
            page.goto((output / "index.html").as_uri())
            _check_page(page, width)
            listed = page.locator("ol.issues a")
            # Newest first: the week in both formats (it ends on 2026-11-22), then the two days.
            assert [listed.nth(n).get_attribute("href") for n in range(listed.count())] == [
                f"{KEY}.html", f"{ISSUE_KEY}.html", f"{DAY2}.html", f"{DAY1}.html"]
            page.click(f"a[href='{DAY2}.html']")
            assert page.url.endswith(f"/{DAY2}.html")
            _check_page(page, width)
            page.click("a[rel=prev]")
            assert page.url.endswith(f"/{DAY1}.html") and page.locator("a[rel=next]").count() == 1
            _check_page(page, width)
            seen: set[Path] = set()
            todo = [output / "index.html"]
            while todo:
                path = todo.pop()
                if path in seen:
                    continue
                seen.add(path)
                assert path.is_file(), f"broken link to {path.name}"
                if path.suffix != ".html":
                    continue
                page.goto(path.as_uri())
                if not path.name.endswith(".wechat.html"):
                    _check_page(page, width)
                todo += [p for p in _local_links(page) if p not in seen]
            names = {p.name for p in seen}
            assert {f"{DAY1}.html", f"{DAY2}.html", f"{KEY}.html", f"{ISSUE_KEY}.html", "feed.xml",
                    "feed.json"} <= names
        finally:
            browser.close()


# Where the first words of a fragment's textStart are on screen after the jump: top of their box, or None.
_PLACE = """start => {
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const at = node.data.indexOf(start);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + start.length);
    return range.getBoundingClientRect().top;
  }
  return null;
}"""


def test_each_evidence_link_scrolls_to_its_passage_on_the_source_page(tmp_path: Path, site: SiteServer,
                                                                     fake_llm: FakeOpenAI) -> None:
    """Chromium follows the text fragments as a reader's browser does: each lands on its passage."""
    import html
    import re

    from playwright.sync_api import sync_playwright
    from reviewing import DATE, invoke, make_draft

    day = make_draft(tmp_path, site, fake_llm)
    assert invoke(day, "review", DATE, "--approve-all").exit_code == 0
    assert invoke(day, "publish", DATE).exit_code == 0
    page_html = (day.output / f"{DATE}.html").read_text(encoding="utf-8")
    links = [html.unescape(h) for h in re.findall(r'<a class="evidence" href="([^"]+)"', page_html)]
    assert len(links) >= 6
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 390, "height": 240})  # a short window: most need a jump
        try:
            jumped = 0
            for link in links:
                start = unquote(link.split("#:~:text=")[1].split(",")[0])
                page.goto("about:blank")
                page.goto(link)
                page.wait_for_timeout(200)
                top = page.evaluate(_PLACE, start)
                assert top is not None and 0 <= top < 240, (link, top)  # on screen
                jumped += page.evaluate("window.scrollY") > 0
            assert jumped  # not all at the top of their page: the fragment did move the view
            # A passage that is not on the page moves nothing (the check above can fail).
            absent = "%E6%B2%A1%E6%9C%89%E8%BF%99%E5%8F%A5%E8%AF%9D"  # 没有这句话
            wrong = links[-1].split("#:~:text=")[0] + "#:~:text=" + absent
            page.goto("about:blank")
            page.goto(wrong)
            page.wait_for_timeout(200)
            assert page.evaluate("window.scrollY") == 0
        finally:
            browser.close()
