"""Articles of the run: fetch the page, extract the text (or take the stored one), place it in the day's
stories.

Every outcome is written to the store at once. ``place`` returns the story an
article starts (or keeps), for the caller to summarize; a later copy of a story
becomes a duplicate linked from it and costs no tokens.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from datetime import UTC, datetime

from ..errors import ExtractError, FetchError
from ..items import Article, ArticleStatus
from ..sources import extract as extract_stage
from ..sources.feeds import Entry
from ..sources.fetch import Fetcher, FetchResult
from ..store import StoredArticle
from ..text import text_hash
from ..trust.dedup import Sketch, sketch
from ..trust.stories import Stories, Story
from .memory import Memory, Told
from .report import Run

PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
_WITH_TEXT = {
    ArticleStatus.EXTRACTED,
    ArticleStatus.SUMMARIZED,
    ArticleStatus.DUPLICATE,
    ArticleStatus.FAILED,
}


def has_text(stored: StoredArticle | None) -> bool:
    """Whether an earlier run stored this article's text: it is neither downloaded nor extracted again."""
    return bool(stored and stored.text and stored.text_hash and stored.status != ArticleStatus.SKIPPED)


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else None


def article_from_store(article: StoredArticle) -> Article:
    text = article.text or ""
    published = datetime.fromisoformat(article.published) if article.published else None
    return Article(url=article.url, canonical_url=article.canonical_url, title=article.title,
                   source=article.source, published=published, text=text, zi=article.zi,
                   text_hash=article.text_hash or text_hash(text))


async def fetch_page(fetcher: Fetcher, url: str, *, allow_file: bool) -> FetchResult:
    return await fetcher.get(url, accept=PAGE_ACCEPT, allow_file=allow_file)


class Articles:
    def __init__(self, run: Run) -> None:
        self.run = run
        fetch = run.settings.fetch
        self.extractor = extract_stage.Extractor(fetch.extract_processes, page_seconds=fetch.extract_seconds,
                                                 page_memory_mb=fetch.extract_memory_mb)
        self.stories = Stories()
        self.memory = Memory(run)
        self._sketch_lock = threading.Lock()
        self._in_run: dict[str, Article] = {}  # canonical URL -> article extracted or read from the store
        self._urls: dict[str, str] = {}

    def close(self) -> None:
        self.extractor.close()

    def prepare(self, entries: list[Entry]) -> None:
        """Start as many extraction workers as the pages to extract need."""
        store = self.run.store
        self.extractor.prepare(sum(1 for e in entries if not has_text(store.article(e.canonical_url))))

    async def text_of(self, fetcher: Fetcher, entry: Entry, digest_date: str) -> Article | None:
        """Fetch and extract one entry (or take its stored text); every failure is recorded with the article.

        Returns the article to place, or None when it failed or was skipped.
        """
        try:
            return await self._text_of(fetcher, entry, digest_date)
        except ExtractError as exc:
            self._save_failed(
                entry, digest_date, exc, ArticleStatus.SKIPPED if exc.skipped else ArticleStatus.FAILED
            )
            if exc.skipped:
                self.run.report.articles_skipped += 1
                self.run.report.skipped.append(str(exc))
            else:
                self.run.fail(str(exc))
        except FetchError as exc:
            self._save_failed(entry, digest_date, exc, ArticleStatus.FAILED)
            self.run.fail(str(exc))
        finally:
            self.run.reporter.advance("articles", entry.title[:40])
        return None

    async def _text_of(self, fetcher: Fetcher, entry: Entry, digest_date: str) -> Article:
        key, report, store = entry.canonical_url, self.run.report, self.run.store
        stored = store.article(key)
        if stored and stored.text and has_text(stored):
            text, zi = stored.text, stored.zi
            report.articles_cached += 1
        else:
            report.articles_new += 1
            result = await fetch_page(fetcher, entry.url, allow_file=entry.feed_url.startswith("file://"))
            extracted = await self.extractor.choose(
                url=entry.url, html=result.content, feed_html=entry.content_html,
                min_zi=self.run.settings.digest.min_article_chars, content_type=result.content_type,
            )
            text, zi = extracted.text, extracted.zi
            store.save_article(
                canonical_url=key, url=entry.url, source=entry.feed_name, feed_url=entry.feed_url,
                title=entry.title or extracted.title, published=iso(entry.published),
                status=ArticleStatus.EXTRACTED, digest_date=digest_date, text=text, text_hash=text_hash(text),
                zi=zi, extract_method=extracted.method,
            )
            report.articles_extracted += 1
        return Article(url=entry.url, canonical_url=key, title=entry.title, source=entry.feed_name,
                       published=entry.published, text=text, zi=zi, text_hash=text_hash(text))

    def _save_failed(self, entry: Entry, digest_date: str, exc: Exception, status: ArticleStatus) -> None:
        self.run.store.save_article(
            canonical_url=entry.canonical_url,
            url=entry.url,
            source=entry.feed_name,
            feed_url=entry.feed_url,
            title=entry.title,
            published=iso(entry.published),
            status=status,
            error=str(exc),
            digest_date=digest_date,
        )

    def load_stories(self, digest_date: str) -> None:
        """The day's stories as earlier runs left them: a new copy of a story summarized this morning
        becomes a duplicate and costs no tokens."""
        stored = [a for a in self.run.store.articles_for_date(digest_date)
                  if a.text and a.text_hash and a.status in _WITH_TEXT]
        stored.sort(key=lambda a: (a.duplicate_of is not None, a.status != ArticleStatus.SUMMARIZED, -a.zi,
                                   a.canonical_url))
        self.memory.load(digest_date)
        for article in stored:
            self._urls[article.canonical_url] = article.url
            self.stories.add_stored(article.canonical_url, title=article.title, text=article.text or "",
                                    zi=article.zi, summarized=article.status == ArticleStatus.SUMMARIZED,
                                    duplicate_of=article.duplicate_of)
            story = self.stories.known(article.canonical_url)
            if story is not None and story.kept == article.canonical_url:
                self._mark(story, self.memory.stored(article.canonical_url, digest_date))

    async def place(self, article: Article) -> Story | None:
        """Put one extracted article into the day's stories; returns the story to summarize, if any."""
        key, store, report = article.canonical_url, self.run.store, self.run.report
        self._in_run[key] = article
        self._urls[key] = article.url
        story = self.stories.known(key)
        if story is not None:  # grouped by an earlier run
            if story.kept == key:
                return self._unless_repeat(story, article.url)
            self._duplicate(key, story.kept)
            return None
        sk = await asyncio.to_thread(self._sketch, article)
        arrival = self.stories.arrive(key, sk, article.zi)
        if arrival.duplicate:
            self._duplicate(key, arrival.story.kept)
            return None
        if arrival.new:
            # A story new to the night may be one an earlier issue told. On the loop, as the night's own
            # grouping: no other copy of the story may be placed before the story knows its earlier item.
            match = self.memory.match(key, sk)
            told = self.memory.judge(key, article.url, article.title, article.text, match)
            self._mark(arrival.story, told)
            return None if arrival.story.repeat else arrival.story
        if arrival.replaced is not None:
            store.set_duplicate_of(key, None)
            for other in arrival.story.duplicates:
                store.set_duplicate_of(other, key)
            if arrival.replaced in self._in_run:
                report.articles_duplicate += 1
                report.duplicates.append(self._same_story(arrival.replaced, key))
            story = arrival.story
            if story.earlier is not None:  # the better copy carries the story's link to its earlier item
                self.memory.relink(key, story.earlier, repeat=story.repeat)
            return None if story.repeat else story
        return arrival.story

    def _mark(self, story: Story, told: Told | None) -> None:
        if told is not None:
            story.earlier, story.repeat = told.earlier, told.repeat

    def _unless_repeat(self, story: Story, url: str) -> Story | None:
        """A story an earlier run of the night found already published is listed again, not summarized."""
        if story.earlier is not None:
            self.memory.report(url, Told(story.earlier, story.repeat))
        return None if story.repeat else story

    def kept_article(self, story: Story) -> Article:
        """The article a story is summarized from, as extracted in this run or stored by an earlier one."""
        article = self._in_run.get(story.kept)
        if article is None:
            stored = self.run.store.article(story.kept)
            assert stored is not None
            article = article_from_store(stored)
        if story.earlier is not None and not story.repeat:
            article = replace(article, earlier=story.earlier)
        return article

    def _sketch(self, article: Article) -> Sketch:
        if self.stories.index.pending:
            with self._sketch_lock:  # the first new article sketches the stored ones, once
                self.stories.index.sketch_pending()
        return sketch(article.title, article.text)

    def _same_story(self, key: str, kept: str) -> str:
        return f"{self._urls.get(key, key)}: same story as {self._urls.get(kept, kept)}"

    def _duplicate(self, key: str, kept: str) -> None:
        self.run.store.set_duplicate_of(key, kept)
        self.run.report.articles_duplicate += 1
        self.run.report.duplicates.append(self._same_story(key, kept))
