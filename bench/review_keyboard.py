"""How long an editor takes to review and publish a 30-item draft with the keyboard only, in a real browser.

    python bench/review_keyboard.py [--items 30] [--flagged 3] [--shots DIR]

Builds a synthetic day (articles with source text, summaries with quotes, every
tenth item flagged) in a temporary folder, serves the review page on 127.0.0.1,
and drives Debian's chromium (Playwright, no browser download) with key presses
only: ``c`` then ``a`` on a flagged item, ``a`` on the others (the page moves on
to the next item needing a decision by itself), then ``p`` and ``Enter``.
Prints the key presses, the total time and the time per key press (the page's
round trip: POST, redirect, render), i.e. the machine's share of an editor's
time; reading is the editor's. With ``--shots`` it saves two screenshots: the
queue with a quote shown in place, and the page after publishing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from summarizer.config import Settings  # noqa: E402
from summarizer.items import ArticleStatus, CheckedSummary, CheckResult, DigestItem, Problem, Summary  # noqa: E402
from summarizer.store import Store  # noqa: E402
from summarizer.testing import launch, playwright_missing  # noqa: E402
from summarizer.text import count_zi, text_hash  # noqa: E402
from summarizer.web.app import ReviewApp, bind, server_for  # noqa: E402

DATE = "2026-11-20"
FLAG = Problem("number", "第2条要点：数字“42%”在原文中找不到", 2, "42%")
PARAGRAPH = ("这家公司在发布会上介绍了新产品的定位和目标用户，负责人表示团队花了两年时间打磨核心功能，"
             "并与多家合作伙伴完成了联合测试。业内人士认为，这一做法能否在价格和体验之间取得平衡，"
             "仍要看后续的市场反馈与交付节奏。")


def _quote(n: int, k: int) -> str:
    return f"第{n}号新闻的第{k}处要点原文"


def _source(n: int) -> str:
    """About 600 字 of source text holding the three quotes, at its beginning, middle and end."""
    return "\n".join([_quote(n, 1) + "。" + PARAGRAPH, PARAGRAPH * 2, _quote(n, 2) + "。" + PARAGRAPH,
                      PARAGRAPH, _quote(n, 3) + "。" + PARAGRAPH])


def _bullets(n: int, flagged: bool) -> list[str]:
    lead = ("文章说明了这项发布的背景、参与各方和产品定位，"
            "负责人强调团队打磨核心功能用了很长时间，也与合作伙伴完成了联合测试")
    middle = ("文章随后比较了它与同类产品在价格和体验上的差别，"
              "指出它的长处与不足，并提醒读者关注交付节奏和后续的市场反馈")
    if flagged:
        middle += "，据称转化率提升了42%"
    tail = ("最后文章谈到接下来的安排与不确定性，"
            "包括仍待验证的假设、竞争方面的风险，以及业内人士对其前景所持的不同看法")
    return [f"{lead}（第{n}条）。", f"{middle}。", f"{tail}。"]


def build_day(settings: Settings, items: int, every: int) -> None:
    """The digest a run records for review, plus the stored articles and summaries the page reads."""
    sections = settings.digest.section_names
    made: list[DigestItem] = []
    with Store(settings.database_path) as store:
        for n in range(1, items + 1):
            url, text, flagged = f"https://example.com/news/{n}", _source(n), n % every == 1
            store.save_article(canonical_url=url, url=url, source="bench", feed_url=None,
                               title=f"第{n}号新闻", published=None, status=ArticleStatus.SUMMARIZED,
                               digest_date=DATE, text=text, text_hash=text_hash(text), zi=count_zi(text))
            # Built as a stored row is read back (not validated): the bench times the page, not the rules.
            summary = Summary.model_construct(
                headline=f"第{n}号新闻的中文标题", emoji="🚀", section=sections[n % len(sections)],
                bullets=_bullets(n, flagged), importance=1 + n % 10, quotes=[_quote(n, k) for k in (1, 2, 3)])
            store.save_summary(canonical_url=url, text_hash=text_hash(text), prompt_hash="bench",
                               model="bench", data=CheckedSummary(summary, CheckResult()), input_tokens=0,
                               output_tokens=0, seconds=0.0, attempts=1)
            made.append(DigestItem(
                canonical_url=url, headline=summary.headline, emoji=summary.emoji, section=summary.section,
                bullets=list(summary.bullets), importance=summary.importance, links=[url], source="bench",
                source_title=f"第{n}号新闻", source_zi=count_zi(text), flags=[FLAG] if flagged else [],
                highlight=n if n <= 10 else 0))
        order = {name: i for i, name in enumerate(sections)}
        made.sort(key=lambda i: order[i.section])  # digest order: by section, as a run records it
        store.save_digest(DATE, title="简读·AI日报", purpose="bench", items=made, run_id=None)


def serve(settings: Settings) -> tuple[str, Any, threading.Thread]:
    sock = bind("127.0.0.1", 0)
    server = server_for(ReviewApp(settings, DATE, token="bench").app, sock)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.01)
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}/?token=bench", server, thread


# The page takes keys once its script has run (DOMContentLoaded); the load event comes later and adds nothing.
NAVIGATION = """() => { const n = performance.getEntriesByType("navigation")[0];
                         return [n.responseEnd - n.startTime,
                                 n.domContentLoadedEventEnd - n.responseEnd]; }"""


def keyboard_run(page: Any, items: int) -> tuple[list[str], list[float], list[list[float]]]:
    """Approve every item (acknowledging flags first) and publish, with key presses only.

    Returns the keys, the seconds each form key took, and the browser's own split of each
    (ms: POST + redirect + GET until the last byte, then parsing until the page takes keys).
    """
    keys: list[str] = []
    times: list[float] = []
    splits: list[list[float]] = []

    def press(key: str) -> None:
        start = time.perf_counter()
        with page.expect_navigation(wait_until="domcontentloaded"):
            page.keyboard.press(key)
        times.append(time.perf_counter() - start)
        splits.append(page.evaluate(NAVIGATION))
        keys.append(key)

    for _ in range(4 * items):  # a bound, so a page that stops moving on cannot loop for ever
        if page.locator("#counts").inner_text().startswith(f"{items}/{items} 已批准，0 条待核"):
            break
        current = page.locator("#queue .item.current")
        press("c" if current.locator("form.act-ack").count() else "a")
    page.keyboard.press("p")
    keys.append("p")
    press("Enter")
    return keys, times, splits


def screenshot_queue(page: Any, url: str, path: Path) -> None:
    """The queue as an editor first sees it, the first flagged item's quote clicked and shown in place."""
    page.goto(url)
    page.locator("#queue .item.current a.quote-line").nth(1).click()
    page.screenshot(path=str(path))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--every", type=int, default=10, help="every N-th item is flagged")
    parser.add_argument("--shots", type=Path, help="folder for the two screenshots")
    args = parser.parse_args()
    missing = playwright_missing()
    if missing:
        sys.exit(f"cannot run: {missing}")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(base_dir=Path(tmp))
        build_day(settings, args.items, args.every)
        url, server, thread = serve(settings)
        with sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            if args.shots:
                args.shots.mkdir(parents=True, exist_ok=True)
                screenshot_queue(page, url, args.shots / "review-queue.png")
            start = time.perf_counter()
            page.goto(url)
            keys, times, splits = keyboard_run(page, args.items)
            total = time.perf_counter() - start
            published = page.locator("#published").inner_text()
            assert "已发布" in published and f"{DATE}.md" in published, "the page shows no published issue"
            if args.shots:
                page.screenshot(path=str(args.shots / "review-published.png"))
            browser.close()
        server.should_exit = True
        thread.join()
    print(f"machine               {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    flagged = sum(1 for n in range(1, args.items + 1) if n % args.every == 1)
    print(f"items                 {args.items} ({flagged} flagged)")
    print(f"key presses           {len(keys)} ({''.join(keys)})")
    print(f"review + publish      {total:6.2f} s (first page to the published page, keys only)")
    print(f"per key press         {statistics.median(times) * 1000:6.0f} ms median, "
          f"{max(times) * 1000:.0f} ms max")
    print(f"in key presses        {sum(times):6.2f} s (the rest: the script reading the page, "
          "as an editor's eyes would)")
    print(f"  of which            {statistics.median(s[0] for s in splits):6.0f} ms to the page's last byte "
          f"(server), {statistics.median(s[1] for s in splits):.0f} ms until it takes keys (median)")
    if args.shots:
        print(f"screenshots           {args.shots / 'review-queue.png'}, "
              f"{args.shots / 'review-published.png'}")


if __name__ == "__main__":
    main()
