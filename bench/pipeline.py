"""How close the streaming pipeline comes to the LLM-bound ideal, against a one-at-a-time run.

    python bench/pipeline.py [--feeds 20] [--articles 10] [--concurrency 16] [--latency 1.0]
                             [--net-latency 0.05] [--sequential all|N|0]

Serves N feeds x M articles on 127.0.0.1 (one server per feed, so one "host"
per feed, each response delayed by --net-latency), and a fake OpenAI-compatible
model that answers every request after --latency seconds. Then prints, from
one process:

- the streaming digest (llm.concurrency = C): ideal ceil(articles / C) x L,
  measured wall time, ratio;
- a strictly sequential run (fetch, extract, summarize one article at a time,
  as simple tools do): its ideal articles x L, wall time, ratio, and the
  speed-up of the streaming run (``--sequential N`` times only the first N
  articles and extrapolates; 0 skips it);
- a warm re-run of the digest: wall time, LLM calls, full page downloads;
- extraction pages per second against bare trafilatura on the same pages;
- peak RSS of this process (servers and all) after the digest runs.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import math
import random
import resource
import socket
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402  (bare trafilatura is the comparison)

from summarizer.config import Settings, settings_from_dict  # noqa: E402
from summarizer.model.providers import Provider  # noqa: E402
from summarizer.model.summarize import Article, Rules, Summarizer  # noqa: E402
from summarizer.pipeline import run_digest  # noqa: E402
from summarizer.sources.extract import choose_text  # noqa: E402
from summarizer.sources.feeds import parse_feed  # noqa: E402
from summarizer.sources.fetch import Fetcher  # noqa: E402
from summarizer.testing import FakeOpenAI  # noqa: E402
from summarizer.text import text_hash  # noqa: E402

# Common characters to write the synthetic articles with: every article has its own text, so the
# story grouping sees 200 stories, as on a real day, and no two pages cost the same to extract.
HAN = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
PUNCT = "，，，、。"


def title(index: int, number: int) -> str:
    """A headline with a Latin name, as tech news has: the fake model's headline repeats the name."""
    return f"Bench{index}n{number}：基准源{index}第{number}篇"


def article_page(index: int, number: int, zi: int = 1500) -> bytes:
    """One article page: nav, a headline, ~``zi`` 字 in eight paragraphs with figures, links, footer."""
    rng = random.Random(index * 1000 + number)
    paragraphs = []
    for _ in range(8):
        words = []
        for _ in range(zi // 8 // 12):
            words.append("".join(rng.choices(HAN, k=rng.randint(6, 14))))
            words.append(
                f"{rng.randint(2, 999)}{rng.choice(['亿元', '%', '万台', '倍'])}"
                if rng.random() < 0.15
                else rng.choice(PUNCT)
            )
        paragraphs.append("<p>" + "".join(words).rstrip("，、") + "。</p>")
    # Real articles name their subject in the text; the fake model's headline does too.
    paragraphs[0] = f"<p>{title(index, number)}报道：" + paragraphs[0][3:]
    nav = "".join(f'<li><a href="/c/{k}">栏目{k}</a></li>' for k in range(12))
    return (
        f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{title(index, number)}</title>'
        f"</head><body><header><nav><ul>{nav}</ul></nav></header><main><article>"
        f'<h1>{title(index, number)}</h1><p class="byline">记者 测试 2026-11-25</p>{"".join(paragraphs)}'
        f"</article></main><footer><p>版权所有 基准测试站</p></footer></body></html>"
    ).encode()


class Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pages = 0
        self.feeds = 0


def padding(size: int) -> bytes:
    """Boilerplate real article pages carry (related links, comments, inline script) up to ``size`` bytes."""
    if size <= 0:
        return b""
    related = "".join(
        f'<li><a href="/r/{i}">相关阅读：行业观察第{i}期，模型与芯片的最新动态</a></li>' for i in range(40)
    )
    comments = "".join(
        f'<div class="comment"><span>读者{i}</span><p>写得很好，期待后续报道。</p></div>' for i in range(40)
    )
    block = (f'<aside class="related"><ul>{related}</ul></aside>'
             f'<section class="comments">{comments}</section>').encode()
    script = b"<script>window.__STATE__=" + b'{"k":"' + b"x" * 2000 + b'"};</script>'
    unit = block + script
    return unit * max(1, size // len(unit))


class _FeedHandler(BaseHTTPRequestHandler):
    """One FeedSite's HTTP side; ``site``, ``latency`` and ``counter`` are set on a subclass per site."""

    site: FeedSite
    latency: float
    counter: Counter

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle/delayed-ACK stall

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        time.sleep(self.latency)
        body = self.site.feed() if self.path == "/feed.xml" else self.site.pages.get(self.path)
        if body is None:
            self.send_error(404)
            return
        etag = '"' + hashlib.sha1(body).hexdigest()[:12] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        with self.counter.lock:
            if self.path == "/feed.xml":
                self.counter.feeds += 1
            else:
                self.counter.pages += 1
        self.send_response(200)
        self.send_header(
            "Content-Type", "application/rss+xml" if self.path == "/feed.xml" else "text/html"
        )
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class FeedSite:
    """One feed and its M article pages on its own port; ETag on everything, so a warm run gets 304s."""

    def __init__(self, index: int, articles: int, latency: float, counter: Counter, page_kb: int = 0) -> None:
        self.index = index
        self.pages: dict[str, bytes] = {}
        for j in range(articles):
            page = article_page(index, j)
            page = page.replace(b"</body>", padding(page_kb * 1024 - len(page)) + b"</body>", 1)
            self.pages[f"/a/{j}.html"] = page

        handler = type("Handler", (_FeedHandler,), {"site": self, "latency": latency, "counter": counter})

        class Server(ThreadingHTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self._feed: bytes | None = None
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def feed(self) -> bytes:
        if self._feed is None:
            when = format_datetime(datetime.now(UTC))
            items = "".join(
                f"<item><title>{title(self.index, j)}</title><link>{self.base}/a/{j}.html</link>"
                f"<pubDate>{when}</pubDate></item>" for j in range(len(self.pages))
            )
            self._feed = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                          f"<title>基准源{self.index}</title><link>{self.base}/</link><description>d</description>"
                          f"{items}</channel></rss>").encode()
        return self._feed

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def settings_for(folder: Path, sites: list[FeedSite], fake: FakeOpenAI, concurrency: int,
                 fetch_concurrency: int = 16, extract_processes: int | None = None) -> Settings:
    fetch: dict[str, Any] = {
        "allow_hosts": ["127.0.0.1"],
        "concurrency": fetch_concurrency,
        "max_articles": 10_000,
    }
    if extract_processes is not None:
        fetch["extract_processes"] = extract_processes
    return settings_from_dict(
        {
            "digest": {"timezone": "UTC", "since": "all", "min_article_chars": 150},
            "feeds": [
                {"url": f"{s.base}/feed.xml", "name": f"bench{s.index}", "max_items": 100} for s in sites
            ],
            "llm": {
                "provider": "openai",
                "model": "fake-model",
                "base_url": fake.base_url,
                "concurrency": concurrency,
                "max_retries": 0,
                "timeout": 60,
            },
            "fetch": fetch,
            "database": "jiandu.db",
            "output_dir": "output",
        },
        base_dir=folder,
    )


async def sequential(settings: Settings, sites: list[FeedSite], limit: int | None) -> int:
    """The simple tool: each feed, each article, fetch -> extract -> summarize, one at a time."""
    provider = Provider(settings)
    client = await provider.client()
    rules = Rules.from_settings(settings.llm, settings.digest.sections)
    summarizer = Summarizer(client, rules=rules, sections=settings.digest.sections,
                            token_budget=settings.llm.input_token_budget, max_reasks=0)
    done = 0
    async with Fetcher(settings.fetch) as fetcher:
        for site in sites:
            feed = await fetcher.get(f"{site.base}/feed.xml")
            for entry in parse_feed(feed.content, feed_url=f"{site.base}/feed.xml").entries:
                if limit is not None and done >= limit:
                    await provider.aclose()
                    return done
                page = await fetcher.get(entry.url)
                text = choose_text(url=entry.url, html=page.content, min_zi=150)
                await summarizer.summarize(
                    Article(
                        url=entry.url,
                        canonical_url=entry.canonical_url,
                        title=entry.title,
                        source=site.base,
                        published=None,
                        text=text.text,
                        zi=text.zi,
                        text_hash=text_hash(text.text),
                    )
                )
                done += 1
    await provider.aclose()
    return done


def extraction_rate(pages: list[tuple[str, bytes]]) -> tuple[float, float]:
    started = time.perf_counter()
    for url, html in pages:
        choose_text(url=url, html=html, min_zi=150)
    ours = len(pages) / (time.perf_counter() - started)
    started = time.perf_counter()
    for url, html in pages:
        trafilatura.extract(html, url=url)
    bare = len(pages) / (time.perf_counter() - started)
    return ours, bare


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--articles", type=int, default=10, help="articles per feed")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=1.0, help="fake model seconds per reply")
    parser.add_argument("--net-latency", type=float, default=0.05,
                        help="seconds added to every HTTP response")
    parser.add_argument("--sequential", default="all", help="articles for the sequential run: all, N, or 0")
    parser.add_argument("--extract-processes", type=int, default=None,
                        help="fetch.extract_processes for the streaming run (default: the config default)")
    parser.add_argument("--page-kb", type=int, default=100,
                        help="pad each page with boilerplate to this size")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    counter = Counter()
    sites = [FeedSite(i, args.articles, args.net_latency, counter, args.page_kb) for i in range(args.feeds)]
    fake = FakeOpenAI()
    fake.delay = args.latency
    total = args.feeds * args.articles
    print(f"{args.feeds} feeds x {args.articles} articles = {total}; model latency L = {args.latency:g}s, "
          f"concurrency C = {args.concurrency}, network latency {args.net_latency * 1000:.0f} ms a response, "
          f"pages of ~{args.page_kb} KB")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = settings_for(folder, sites, fake, args.concurrency,
                                extract_processes=args.extract_processes)
        wall = streaming_run(args, settings, fake, total)
        warm_run(args, settings, fake, counter)
        page_list = [(f"{s.base}{path}", body) for s in sites for path, body in s.pages.items()]
        ours, bare = extraction_rate(page_list)
        print(f"extraction: {ours:.1f} pages/s through extract.choose_text, {bare:.1f} pages/s bare "
              f"trafilatura.extract ({ours / bare:.2f}x), one thread, {len(page_list)} pages")
        if args.sequential != "0":
            sequential_run(args, folder, sites, fake, total, wall)
    fake.close()
    for site in sites:
        site.close()


def streaming_run(args: argparse.Namespace, settings: Settings, fake: FakeOpenAI, total: int) -> float:
    """The digest run as shipped; returns its wall time."""
    arrivals: list[float] = []
    answer = fake.responder

    def timed(body: dict[str, Any]) -> Any:
        arrivals.append(time.perf_counter())
        return answer(body)

    fake.responder = timed
    started = time.perf_counter()
    report = run_digest(settings, day=datetime.now(UTC).date())
    wall = time.perf_counter() - started
    ideal = math.ceil(total / args.concurrency) * args.latency
    print(f"streaming:  ideal ceil({total}/{args.concurrency}) x {args.latency:g}s = {ideal:.2f}s, "
          f"measured {wall:.2f}s, ratio {wall / ideal:.3f}  "
          f"({report.articles_summarized} summarized, {report.articles_failed} failed, "
          f"{len(fake.requests)} LLM calls)")
    if arrivals:
        print(f"            first LLM request after {arrivals[0] - started:.2f}s, last one sent at "
              f"{arrivals[-1] - started:.2f}s, run finished "
              f"{wall - (arrivals[-1] - started) - args.latency:.2f}s after the last reply")
    return wall


def warm_run(args: argparse.Namespace, settings: Settings, fake: FakeOpenAI, counter: Counter) -> None:
    """The same run again: every feed 304, every summary cached."""
    calls, pages = len(fake.requests), counter.pages
    started = time.perf_counter()
    warm = run_digest(settings, day=datetime.now(UTC).date())
    warm_wall = time.perf_counter() - started
    print(f"warm rerun: {warm_wall:.2f}s, {len(fake.requests) - calls} LLM calls, "
          f"{counter.pages - pages} full page downloads, {warm.feeds_not_modified} feeds not modified, "
          f"draft {'written' if warm.draft else 'missing'}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS:   {rss:.0f} MB (this process: the digest runs plus {args.feeds + 1} test servers)")


def sequential_run(args: argparse.Namespace, folder: Path, sites: list[FeedSite], fake: FakeOpenAI,
                   total: int, wall: float) -> None:
    """One article at a time, for the ratio to the streaming run."""
    limit = None if args.sequential == "all" else int(args.sequential)
    seq_settings = settings_for(folder / "seq", sites, fake, 1, fetch_concurrency=1)
    started = time.perf_counter()
    done = asyncio.run(sequential(seq_settings, sites, limit))
    seq_wall = time.perf_counter() - started
    scale = total / done
    seq_ideal = total * args.latency
    extrapolated = f" (extrapolated from {done})" if done < total else ""
    print(f"sequential: ideal {total} x {args.latency:g}s = {seq_ideal:.0f}s, measured "
          f"{seq_wall * scale:.1f}s{extrapolated}, ratio {seq_wall * scale / seq_ideal:.3f}; "
          f"streaming is {seq_wall * scale / wall:.1f}x faster")


if __name__ == "__main__":
    main()
