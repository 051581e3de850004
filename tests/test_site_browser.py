"""The published folder as a static site, in a real browser: Debian's chromium (Playwright) opens
output/index.html from disk (file://), follows a link to an issue and to its previous issue, and finds no
broken link on any page; each page reads at 390 px and at 1280 px with its headings in order.

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
