"""Intake: the feeds of a run and the entries it takes from them (window, once per URL, caps, late feeds).

Feeds that answer within ``FEED_GRACE`` are selected together, so duplicates
across feeds resolve in config order; a slower feed streams its articles in
when it arrives instead of holding every article back until its deadline.
Selected entries are stored as "new" before any page is fetched: a run killed
before it reached an article leaves it for the next run, even if its feed then
answers 304.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import date as Date
from datetime import time as Time

from ..config import FeedSettings, Settings, parse_since
from ..errors import FeedError, FetchError
from ..items import ArticleStatus
from ..sources.feeds import Entry, in_window, parse_feed
from ..sources.fetch import Fetcher
from ..store import StoredArticle
from .articles import iso
from .report import Run
from .summaries import SummaryService

FEED_GRACE = 2.0  # seconds to wait for every feed before articles start; later feeds stream in
FEED_ACCEPT = "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.5"
_UNFINISHED = {ArticleStatus.NEW, ArticleStatus.EXTRACTED, ArticleStatus.FAILED}


@dataclass(frozen=True)
class Window:
    digest_date: str
    start: datetime | None
    end: datetime


def window_for(
    settings: Settings, day: Date | None, since: str | None
) -> tuple[str, datetime | None, datetime]:
    """(digest date, window start or None, window end) in the configured time zone."""
    tz = settings.digest.tz
    now = datetime.now(tz)
    day = day or now.date()
    end_of_day = datetime.combine(day, Time(23, 59, 59), tzinfo=tz)
    end = min(now, end_of_day)
    span = parse_since(since) if since is not None else settings.digest.window
    start = end - span if span is not None else None
    return day.isoformat(), start, end


def entry_from_store(article: StoredArticle) -> Entry:
    published = datetime.fromisoformat(article.published) if article.published else None
    return Entry(
        feed_name=article.source,
        feed_url=article.feed_url or "",
        title=article.title,
        url=article.url,
        canonical_url=article.canonical_url,
        published=published,
        summary_html="",
        content_html="",
    )


class Intake:
    def __init__(self, run: Run, service: SummaryService, window: Window) -> None:
        self.run, self.service, self.window = run, service, window
        self.chosen: set[str] = set()

    async def batches(self, fetcher: Fetcher) -> AsyncIterator[list[Entry]]:
        """The run's entries: the feeds that answered in time (plus unfinished ones), then each late feed."""
        feeds = [f for f in self.run.settings.feeds if f.enabled]
        self.run.reporter.stage("feeds", len(feeds))
        tasks = [asyncio.create_task(self._one_feed(fetcher, f)) for f in feeds]
        if tasks:
            await asyncio.wait(tasks, timeout=FEED_GRACE)
        early = self.select([e for t in tasks if t.done() for e in t.result()])
        early += self.unfinished({e.canonical_url for e in early})
        yield self._admit(self.cap(early))
        for late in asyncio.as_completed([t for t in tasks if not t.done()]):
            yield self._admit(
                self._room_for([e for e in self.select(await late) if e.canonical_url not in self.chosen])
            )

    def _admit(self, entries: list[Entry]) -> list[Entry]:
        self.chosen.update(e.canonical_url for e in entries)
        self.run.store.add_new_articles([
            {"canonical_url": e.canonical_url, "url": e.url, "source": e.feed_name, "feed_url": e.feed_url,
             "title": e.title, "published": iso(e.published), "digest_date": self.window.digest_date}
            for e in entries
        ])
        return entries

    async def _one_feed(self, fetcher: Fetcher, feed: FeedSettings) -> list[Entry]:
        try:
            return await self.fetch_feed(fetcher, feed)
        finally:
            self.run.reporter.advance("feeds", feed.label[:40])

    async def fetch_feed(self, fetcher: Fetcher, feed: FeedSettings) -> list[Entry]:
        run, report = self.run, self.run.report
        location = run.settings.feed_location(feed)
        stored = run.store.feed(location)
        try:
            result = await fetcher.get(location, validators=stored.validators if stored else None,
                                       accept=FEED_ACCEPT, allow_file=True)
            if result.not_modified:
                run.store.record_feed(location, name=feed.name, status="not-modified")
                report.feeds_not_modified += 1
                return []
            parsed = parse_feed(result.content, feed_url=location, feed_name=feed.name,
                                content_type=result.content_type, final_url=result.final_url,
                                max_items=feed.max_items)
        except (FetchError, FeedError) as exc:
            message = str(exc) if feed.label in str(exc) else f"feed {feed.label}: {exc}"
            run.store.record_feed(location, name=feed.name, status="failed", error=message)
            report.feeds_failed += 1
            run.error(message)
            return []
        run.store.record_feed(location, name=feed.name, status="ok", validators=result.validators,
                              entries=len(parsed.entries))
        report.feeds_ok += 1
        if parsed.without_link:
            run.warn(f"feed {feed.label}: {parsed.without_link} items without a link were ignored")
        elif not parsed.entries:
            run.warn(f"feed {feed.label}: the feed has no items")
        return parsed.entries

    def select(self, entries: list[Entry]) -> list[Entry]:
        """Entries in the window, once per canonical URL, not already in an earlier day's digest."""
        chosen: dict[str, Entry] = {}
        window = self.window
        # Every feed that listed an in-window article counts for its 热度, the first one and the rest.
        self.run.store.add_sightings([(e.canonical_url, e.feed_url) for e in entries
                                      if e.feed_url and in_window(e, window.start, window.end)])
        for entry in entries:
            if not in_window(entry, window.start, window.end) or entry.canonical_url in chosen:
                continue
            stored = self.run.store.article(entry.canonical_url)
            if stored and stored.digest_date and stored.digest_date != window.digest_date:
                self.run.report.articles_seen_before += 1
                continue
            chosen[entry.canonical_url] = entry
        return list(chosen.values())

    def unfinished(self, chosen: set[str]) -> list[Entry]:
        """Articles of this date that a crash or a failure left unsummarized, even if their feed is now 304,
        and those summarized under other prompts or check settings (their summary is not in the cache)."""
        return [
            entry_from_store(a) for a in self.run.store.articles_for_date(self.window.digest_date)
            if (a.status in _UNFINISHED or self._stale(a)) and a.canonical_url not in chosen
        ]

    def _stale(self, article: StoredArticle) -> bool:
        if article.status != ArticleStatus.SUMMARIZED or not article.text_hash:
            return False
        return self.service.cached(article.canonical_url, article.text_hash) is None

    def cap(self, entries: list[Entry]) -> list[Entry]:
        """At most fetch.max_articles a run, newest first; a malicious or broken feed cannot flood a run."""
        cap = self.run.settings.fetch.max_articles
        if len(entries) <= cap:
            return entries
        oldest = datetime.min.replace(tzinfo=UTC)
        ranked = sorted(entries, key=lambda e: e.published or oldest, reverse=True)
        self.run.report.articles_left_out = len(entries) - cap
        self.run.warn(
            f"{len(entries) - cap} articles over fetch.max_articles={cap} were left out of this run"
        )
        return ranked[:cap]

    def _room_for(self, batch: list[Entry]) -> list[Entry]:
        """A late feed's entries that still fit under fetch.max_articles."""
        cap = self.run.settings.fetch.max_articles
        room = max(0, cap - len(self.chosen))
        if len(batch) > room:
            self.run.report.articles_left_out += len(batch) - room
            self.run.warn(f"{len(batch) - room} articles of a late feed over fetch.max_articles="
                          f"{cap} were left out of this run")
            batch = batch[:room]
        return batch
