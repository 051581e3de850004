"""How long the review step takes on a full-size issue (40 items): import, one action, the page, publish.

    python bench/review.py [--items 40] [--actions 200]

Builds a synthetic draft (no network, no model), then prints milliseconds for:
importing it into the store, one review action (open + change + save + re-render
the draft, as one browser click does), rendering the review page, reading back a
hand-edited draft, publishing, and publishing again (which must write nothing).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from summarizer.config import Settings  # noqa: E402
from summarizer.items import DigestItem, Problem  # noqa: E402
from summarizer.publish.reviewed import publish  # noqa: E402
from summarizer.review.state import Review  # noqa: E402
from summarizer.store import Store  # noqa: E402
from summarizer.web.app import ReviewApp  # noqa: E402

DATE = "2026-11-20"
BULLET = ("这一进展涉及产品、市场与技术三个层面，文章给出了具体的数据和时间节点，"
          "并分析了对行业参与者的影响与后续的观察重点")


def synthetic_draft(store: Store, items: int, sections: list[str]) -> None:
    """A recorded digest of ``items`` items, as a digest run leaves it in the store."""
    made = []
    for n in range(items):
        url = f"https://example.com/news/{n}"
        made.append(
            DigestItem(
                canonical_url=url,
                headline=f"第{n}条新闻的中文标题",
                emoji="🚀",
                section=sections[n % len(sections)],
                bullets=[f"第{k}点：{BULLET}{n}。" for k in (1, 2, 3)],
                importance=1 + n % 10,
                links=[url],
                source="bench",
                source_title=f"Story {n}",
                source_zi=1500,
                published=None,
                flags=[Problem("number", "数字“42%”在原文中找不到", None, "42%")] if n % 10 == 0 else [],
                highlight=n + 1 if n < 10 else 0,
            )
        )
    order = {name: i for i, name in enumerate(sections)}
    made.sort(key=lambda i: order[i.section])
    store.save_digest(DATE, title="简读·AI日报", purpose="bench", items=made, run_id=None)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--actions", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(base_dir=Path(tmp))
        with Store(settings.database_path) as store:
            synthetic_draft(store, args.items, settings.digest.section_names)
            start = time.perf_counter()
            Review.open(store, settings, DATE)
            print(f"import {args.items} items        {ms(time.perf_counter() - start)}")
            actions(store, settings, args.items, args.actions)
            page(settings)
            hand_edit(store, settings)
            publishing(store, settings)
            print(f"history lines                {len(store.review_history(DATE)):8d}")


def actions(store: Store, settings: Settings, items: int, count: int) -> None:
    times = []
    for n in range(count):
        start = time.perf_counter()
        review = Review.open(store, settings, DATE)
        review.edit(1 + n % items, headline=f"改过的标题{n}")
        times.append(time.perf_counter() - start)
    print(f"one action (open+edit+save)  {ms(statistics.median(times))} median, "
          f"{ms(max(times)).strip()} max over {count}")


def page(settings: Settings) -> None:
    import asyncio

    from starlette.requests import Request

    app = ReviewApp(settings, DATE, token="t")
    scope = {"type": "http", "method": "GET", "path": "/", "query_string": b"token=t", "headers": []}
    start = time.perf_counter()
    response = asyncio.run(app.page(Request(scope)))
    print(f"review page                  {ms(time.perf_counter() - start)}  ({len(response.body)} bytes)")


def hand_edit(store: Store, settings: Settings) -> None:
    draft = Review.open(store, settings, DATE).draft_path
    draft.write_text(draft.read_text(encoding="utf-8").replace("第1点：", "第一点：", 1), encoding="utf-8")
    start = time.perf_counter()
    edited = Review.open(store, settings, DATE)
    assert edited.items[1].bullets[0].startswith("第一点："), "the hand edit was not read back"
    print(f"read back a hand-edited draft{ms(time.perf_counter() - start)}")


def publishing(store: Store, settings: Settings) -> None:
    review = Review.open(store, settings, DATE)
    review.approve_all()
    acks = [str(i.id) for i in review.live() if i.flags]
    start = time.perf_counter()
    result = publish(store, settings, DATE, ack=acks)
    print(f"publish                      {ms(time.perf_counter() - start)}  ({len(result.changed)} files)")
    start = time.perf_counter()
    again = publish(store, settings, DATE)
    print(f"publish again                {ms(time.perf_counter() - start)}  ({len(again.changed)} files)")


if __name__ == "__main__":
    main()
