"""Wires the stages: feeds -> pages -> text -> summaries -> draft. No CLI code here.

Every article flows through its own task: fetch the page, extract the text,
place it in the day's stories (``stories``), and, when it starts a story,
summarize it while other pages are still downloading. A story told by several
sites is summarized once. Each finished step is written to the store at once:
a crash loses at most the calls in flight, and a re-run repeats none that
finished.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import date as Date
from datetime import datetime, time as Time, timedelta, timezone
from pathlib import Path
from typing import Any

from . import extract as extract_stage
from .checks import CheckRules, Tally
from .config import FeedSettings, Settings, parse_since
from .dedup import Sketch, sketch
from .digest import Digest, DigestItem, build_digest
from .errors import ExtractError, FeedError, FetchError, LLMError, SummarizerError, SummaryInvalid
from .feeds import Entry, canonical_url, in_window, parse_feed
from .fetch import Fetcher, FetchResult
from .progress import Reporter, Silent
from .providers import Provider
from .render import write_draft
from .store import Store, StoredArticle
from .stories import Stories, Story
from .summarize import Article, Prompts, Rules, Summarizer, Summary, prompt_fingerprint
from .text import count_zi, text_hash
from .tokens import count_tokens

FEED_GRACE = 2.0  # seconds to wait for every feed before articles start; later feeds stream in
PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
FEED_ACCEPT = "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.5"


@dataclass
class RunReport:
    digest_date: str = ""
    feeds_ok: int = 0
    feeds_not_modified: int = 0
    feeds_failed: int = 0
    articles_new: int = 0
    articles_seen_before: int = 0
    articles_cached: int = 0
    articles_extracted: int = 0
    articles_summarized: int = 0
    articles_skipped: int = 0
    articles_failed: int = 0
    items_in_digest: int = 0
    articles_duplicate: int = 0  # same story as another article of the day: not summarized, linked from it
    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    estimated_input_tokens: int = 0
    cost: float | None = None
    seconds: float = 0.0
    draft: str | None = None
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # "<url>: same story as <url>"
    dry_run_items: list[dict[str, Any]] = field(default_factory=list)
    # Trust checks (checks.py) over the items of this digest, and the re-asks they cost this run.
    flagged_items: int = 0
    unsupported_claims: int = 0
    check_reasks: int = 0
    quotes_found: int = 0
    quotes_total: int = 0
    full_coverage_items: int = 0

    def add_checks(self, tally: Tally) -> None:
        self.flagged_items = tally.flagged_items
        self.unsupported_claims = tally.unsupported_claims
        self.quotes_found = tally.quotes_found
        self.quotes_total = tally.quotes_total
        self.full_coverage_items = tally.full_coverage_items
    warnings: list[str] = field(default_factory=list)  # feed problems that are not failures (empty, no links)
    articles_left_out: int = 0  # over fetch.max_articles; they wait for the next run
    articles_over_budget: int = 0  # not summarized because the run's token budget was spent
    budget: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def window_for(settings: Settings, day: Date | None, since: str | None) -> tuple[str, datetime | None, datetime]:
    """(digest date, window start or None, window end) in the configured time zone."""
    tz = settings.digest.tz
    now = datetime.now(tz)
    day = day or now.date()
    end_of_day = datetime.combine(day, Time(23, 59, 59), tzinfo=tz)
    end = min(now, end_of_day)
    span = parse_since(since) if since is not None else settings.digest.window
    start = end - span if span is not None else None
    return day.isoformat(), start, end


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat(timespec="seconds") if value else None


class Pipeline:
    def __init__(self, settings: Settings, *, reporter: Reporter | None = None, provider: Provider | None = None,
                 store: Store | None = None) -> None:
        self.settings = settings
        self.reporter = reporter or Silent()
        self.store = store or Store(settings.database_path)
        self._own_store = store is None
        self.provider = provider
        self.report = RunReport()
        self.run_id: int | None = None
        self.rules = Rules.from_settings(settings.llm, settings.digest.sections)
        self._summarizer: Summarizer | None = None
        self._llm_slots: asyncio.Semaphore | None = None
        self._story_slots: asyncio.Semaphore | None = None  # a story's kept article is fixed when it gets one
        self.stories = Stories()
        self._sketch_lock = threading.Lock()
        self._in_run: dict[str, Article] = {}  # canonical URL -> article extracted or read from the store
        self._urls: dict[str, str] = {}
        self._story_tasks: list[asyncio.Task[None]] = []
        self._dry_run = False
        self._warm: asyncio.Task[None] | None = None
        self._extractor = extract_stage.Extractor(settings.fetch.extract_processes)
        self._summarizer_lock = asyncio.Lock()
        self.prompts = Prompts()
        self.check_rules = CheckRules.from_settings(settings.checks)
        self._checks: dict[str, dict[str, Any]] = {}  # canonical URL -> stored check record
        self.budget: int | None = settings.llm.run_token_budget
        self._reserved_tokens = 0  # estimated input tokens of the calls in flight, counted against the budget

    def close(self) -> None:
        if self._own_store:
            self.store.close()

    # -- provider -----------------------------------------------------------
    def _provider(self) -> Provider:
        if self.provider is None:
            self.provider = Provider(self.settings, reporter=self.reporter)
        return self.provider

    def _cache_key(self) -> tuple[str, str]:
        """(prompt fingerprint, model id): with URL and text hash, the summary cache key."""
        fingerprint = prompt_fingerprint(self.prompts, self.rules, self.settings.digest.sections, self.check_rules)
        return fingerprint, self._provider().model_id

    async def _get_summarizer(self) -> Summarizer:
        async with self._summarizer_lock:  # the warm-up and the first article may ask at once
            return await self._make_summarizer()

    async def _make_summarizer(self) -> Summarizer:
        if self._summarizer is None:
            provider = self._provider()
            client = await provider.client()
            self._summarizer = Summarizer(
                client, rules=self.rules, sections=self.settings.digest.sections,
                token_budget=self.settings.llm.input_token_budget, max_reasks=self.settings.llm.max_reasks,
                prompts=self.prompts, length_constraints=provider.kind == "local", checks=self.check_rules,
            )
            self._llm_slots = asyncio.Semaphore(provider.concurrency)
            self._story_slots = asyncio.Semaphore(provider.concurrency)
        return self._summarizer

    # -- stages -------------------------------------------------------------
    async def fetch_feed(self, fetcher: Fetcher, feed: FeedSettings) -> list[Entry]:
        location = self.settings.feed_location(feed)
        stored = self.store.feed(location)
        try:
            result = await fetcher.get(location, validators=stored.validators if stored else None,
                                       accept=FEED_ACCEPT, allow_file=True)
            if result.not_modified:
                self.store.record_feed(location, name=feed.name, status="not-modified")
                self.report.feeds_not_modified += 1
                return []
            parsed = parse_feed(result.content, feed_url=location, feed_name=feed.name,
                                content_type=result.content_type, final_url=result.final_url,
                                max_items=feed.max_items)
        except (FetchError, FeedError) as exc:
            message = str(exc) if feed.label in str(exc) else f"feed {feed.label}: {exc}"
            self.store.record_feed(location, name=feed.name, status="failed", error=message)
            self.report.feeds_failed += 1
            self.report.errors.append(message)
            self.reporter.log(f"✗ {message}")
            return []
        self.store.record_feed(location, name=feed.name, status="ok", validators=result.validators,
                               entries=len(parsed.entries))
        self.report.feeds_ok += 1
        if parsed.without_link:
            self._warn(f"feed {feed.label}: {parsed.without_link} items without a link were ignored")
        elif not parsed.entries:
            self._warn(f"feed {feed.label}: the feed has no items")
        return parsed.entries

    def _warn(self, message: str) -> None:
        self.report.warnings.append(message)
        self.reporter.log(f"! {message}")

    async def _page(self, fetcher: Fetcher, entry: Entry) -> FetchResult:
        local_feed = entry.feed_url.startswith("file://")
        return await fetcher.get(entry.url, accept=PAGE_ACCEPT, allow_file=local_feed)

    async def process_entry(self, fetcher: Fetcher, entry: Entry, digest_date: str) -> Article | None:
        """Fetch and extract one entry (or take its stored text); every failure is recorded with the article.

        Returns the article to summarize, or None when it failed or was skipped.
        """
        key = entry.canonical_url
        stored = self.store.article(key)
        published = _iso(entry.published)
        note = entry.title[:40]
        try:
            if stored and stored.text and self._has_text(stored):
                text, zi = stored.text, stored.zi
                self.report.articles_cached += 1
            else:
                self.report.articles_new += 1
                result = await self._page(fetcher, entry)
                extracted = await self._extractor.choose(
                    url=entry.url, html=result.content, feed_html=entry.content_html,
                    min_zi=self.settings.digest.min_article_chars, content_type=result.content_type,
                )
                text, zi = extracted.text, extracted.zi
                self.store.save_article(
                    canonical_url=key, url=entry.url, source=entry.feed_name, feed_url=entry.feed_url,
                    title=entry.title or extracted.title, published=published, status="extracted",
                    digest_date=digest_date, text=text, text_hash=text_hash(text), zi=zi,
                    extract_method=extracted.method,
                )
                self.report.articles_extracted += 1
            return Article(url=entry.url, canonical_url=key, title=entry.title, source=entry.feed_name,
                           published=entry.published, text=text, zi=zi, text_hash=text_hash(text))
        except ExtractError as exc:
            status = "skipped" if exc.skipped else "failed"
            self.store.save_article(canonical_url=key, url=entry.url, source=entry.feed_name, feed_url=entry.feed_url,
                                    title=entry.title, published=published, status=status, error=str(exc),
                                    digest_date=digest_date)
            if exc.skipped:
                self.report.articles_skipped += 1
                self.report.skipped.append(str(exc))
            else:
                self._fail(str(exc))
        except FetchError as exc:
            self.store.save_article(canonical_url=key, url=entry.url, source=entry.feed_name, feed_url=entry.feed_url,
                                    title=entry.title, published=published, status="failed", error=str(exc),
                                    digest_date=digest_date)
            self._fail(str(exc))
        finally:
            self.reporter.advance("articles", note)
        return None

    def load_stories(self, digest_date: str) -> None:
        """The day's stories as earlier runs left them: a new copy of a story summarized this morning
        becomes a duplicate and costs no tokens."""
        with_text = {"extracted", "summarized", "duplicate", "failed"}
        stored = [a for a in self.store.articles_for_date(digest_date)
                  if a.text and a.text_hash and a.status in with_text]
        stored.sort(key=lambda a: (a.duplicate_of is not None, a.status != "summarized", -a.zi, a.canonical_url))
        for article in stored:
            self._urls[article.canonical_url] = article.url
            self.stories.add_stored(article.canonical_url, title=article.title, text=article.text or "", zi=article.zi,
                                    summarized=article.status == "summarized", duplicate_of=article.duplicate_of)

    async def place(self, article: Article) -> None:
        """Put one extracted article into the day's stories; start a summary for a story it starts."""
        key = article.canonical_url
        self._in_run[key] = article
        self._urls[key] = article.url
        story = self.stories.known(key)
        if story is not None:  # grouped by an earlier run
            if story.kept == key:
                self._schedule(story)
            else:
                self._duplicate(key, story.kept)
            return
        sk = await asyncio.to_thread(self._sketch, article)
        arrival = self.stories.arrive(key, sk, article.zi)
        if arrival.duplicate:
            self._duplicate(key, arrival.story.kept)
        elif arrival.replaced is not None:
            self.store.set_duplicate_of(key, None)
            for other in arrival.story.duplicates:
                self.store.set_duplicate_of(other, key)
            if arrival.replaced in self._in_run:
                self.report.articles_duplicate += 1
                self.report.duplicates.append(self._same_story(arrival.replaced, key))
            self._schedule(arrival.story)
        else:
            self._schedule(arrival.story)

    def _sketch(self, article: Article) -> Sketch:
        if self.stories.index.pending:
            with self._sketch_lock:  # the first new article sketches the stored ones, once
                self.stories.index.sketch_pending()
        return sketch(article.title, article.text)

    def _same_story(self, key: str, kept: str) -> str:
        return f"{self._urls.get(key, key)}: same story as {self._urls.get(kept, kept)}"

    def _duplicate(self, key: str, kept: str) -> None:
        self.store.set_duplicate_of(key, kept)
        self.report.articles_duplicate += 1
        self.report.duplicates.append(self._same_story(key, kept))

    def _schedule(self, story: Story) -> None:
        if story.scheduled:
            return
        story.scheduled = True
        if self._dry_run:
            return
        self.reporter.grow("summaries", 1)
        self._story_tasks.append(asyncio.create_task(self._summarize_story(story)))

    async def _model_ready(self) -> bool:
        try:
            await self._get_summarizer()
        except SummarizerError:
            return False  # summarize_article reports the error with the article
        return True

    def _kept_article(self, story: Story) -> Article:
        article = self._in_run.get(story.kept)
        if article is None:
            stored = self.store.article(story.kept)
            assert stored is not None
            article = _article_from_store(stored)
        return article

    async def _summarize_story(self, story: Story) -> None:
        """Summarize a story's kept article; which article that is is settled when a model slot frees up."""
        note = ""
        try:
            if self._warm is not None:
                await self._warm
            article = self._kept_article(story)
            cached = self.store.summary(article.canonical_url, article.text_hash, *self._cache_key()) is not None
            if not cached and await self._model_ready():
                assert self._story_slots is not None
                async with self._story_slots:
                    story.started = True
                    article = self._kept_article(story)
                    note = article.title
                    await self.summarize_article(article)
                return
            story.started = True  # from the cache, or failed with the model's error
            note = article.title
            await self.summarize_article(article)
        finally:
            self.reporter.advance("summaries", note[:40])

    def _record_new(self, entries: list[Entry], digest_date: str) -> None:
        self.store.add_new_articles([
            {"canonical_url": e.canonical_url, "url": e.url, "source": e.feed_name, "feed_url": e.feed_url,
             "title": e.title, "published": _iso(e.published), "digest_date": digest_date} for e in entries
        ])

    @staticmethod
    def _has_text(stored: StoredArticle | None) -> bool:
        """Whether an earlier run stored this article's text: it is neither downloaded nor extracted again."""
        return bool(stored and stored.text and stored.text_hash and stored.status != "skipped")

    async def _article(self, fetcher: Fetcher, entry: Entry, digest_date: str) -> None:
        article = await self.process_entry(fetcher, entry, digest_date)
        if article is not None:
            await self.place(article)

    def _fail(self, message: str) -> None:
        self.report.articles_failed += 1
        self.report.errors.append(message)
        self.reporter.log(f"✗ {message}")

    def _dry_run_item(self, article: Article) -> None:
        from .tokens import fit_to_budget

        body, _ = fit_to_budget(article.text, self.settings.llm.input_token_budget)
        estimate = count_tokens(body) + 700  # the system prompt and framing are about 700 tokens
        self.report.estimated_input_tokens += estimate
        self.report.dry_run_items.append({"title": article.title, "url": article.url, "zi": article.zi,
                                          "estimated_input_tokens": estimate})

    async def summarize_article(self, article: Article, *, fresh: bool = False) -> Summary | None:
        """Summarize (or take from the cache, unless ``fresh``) one stored article; record the outcome."""
        prompt_hash, model = self._cache_key()
        cached = self.store.summary(article.canonical_url, article.text_hash, prompt_hash, model)
        if cached is not None and not fresh:
            self.store.set_status(article.canonical_url, "summarized")
            self.report.articles_summarized += 1
            self._checks[article.canonical_url] = dict(cached.get("checks") or {})
            return Summary.model_validate(cached, context={"rules": self.rules})
        try:
            summarizer = await self._get_summarizer()
        except SummarizerError as exc:
            self.store.set_status(article.canonical_url, "failed", str(exc))
            self._fail(f"{article.url}: {exc}")
            return None
        assert self._llm_slots is not None
        async with self._llm_slots:
            # Input as counted here plus the most one answer may take: a call that starts fits the budget.
            estimate = (summarizer.estimate_input_tokens(article) + self.settings.llm.max_output_tokens
                        if self.budget is not None else 0)
            if not self._budget_allows(estimate):
                # Left "extracted": the next run picks it up, its text already stored.
                self.report.articles_over_budget += 1
                return None
            self._reserved_tokens += estimate
            try:
                result = await summarizer.summarize(article)
            except SummaryInvalid as exc:
                self._count_tokens(exc.attempts, exc.input_tokens, exc.output_tokens)
                self.store.log_call(run_id=self.run_id, canonical_url=article.canonical_url, model=model,
                                    input_tokens=exc.input_tokens, output_tokens=exc.output_tokens, seconds=0.0,
                                    response=exc.raw, error=str(exc))
                self.store.set_status(article.canonical_url, "failed", str(exc))
                self._fail(str(exc))
                return None
            except LLMError as exc:
                self.report.llm_calls += 1
                self.store.set_status(article.canonical_url, "failed", str(exc))
                self._fail(str(exc))
                return None
            finally:
                self._reserved_tokens -= estimate
        self._count_tokens(len(result.attempts), result.input_tokens, result.output_tokens)
        for attempt in result.attempts:
            self.store.log_call(run_id=self.run_id, canonical_url=article.canonical_url, model=model,
                                input_tokens=attempt.input_tokens, output_tokens=attempt.output_tokens,
                                seconds=attempt.seconds, response=attempt.raw, error=attempt.error)
        self.store.save_summary(canonical_url=article.canonical_url, text_hash=article.text_hash,
                                prompt_hash=prompt_hash, model=model, data=result.stored(),
                                input_tokens=result.input_tokens, output_tokens=result.output_tokens,
                                seconds=result.seconds, attempts=len(result.attempts))
        self.store.set_status(article.canonical_url, "summarized")
        self.report.articles_summarized += 1
        self.report.check_reasks += result.check_reasks
        self._checks[article.canonical_url] = result.check.as_dict()
        return result.summary

    def _budget_allows(self, estimate: int) -> bool:
        """Whether one more call fits the run's token budget (spent + in flight + this call's input)."""
        if self.budget is None:
            return True
        spent = self.report.input_tokens + self.report.output_tokens
        if self.report.articles_over_budget == 0 and spent + self._reserved_tokens + estimate <= self.budget:
            return True
        if self.report.articles_over_budget == 0:
            self._warn(f"token budget of {self.budget} reached ({spent} used, {self._reserved_tokens} in flight, "
                       f"next call ~{estimate}): summarizing stopped, the remaining articles wait for the next run")
        return False

    def _count_tokens(self, calls: int, tokens_in: int, tokens_out: int) -> None:
        self.report.llm_calls += calls
        self.report.input_tokens += tokens_in
        self.report.output_tokens += tokens_out

    # -- the digest ---------------------------------------------------------
    def digest_items(self, digest_date: str) -> list[DigestItem]:
        prompt_hash, model = self._cache_key()
        items = []
        for art in self.store.articles_for_date(digest_date):
            if art.status != "summarized" or not art.text_hash:
                continue
            data = self.store.summary(art.canonical_url, art.text_hash, prompt_hash, model)
            if data is None:
                continue
            self._checks[art.canonical_url] = dict(data.get("checks") or {})
            items.append(DigestItem(
                canonical_url=art.canonical_url, headline=data["headline"], emoji=data["emoji"],
                section=data["section"], bullets=list(data["bullets"]), importance=int(data["importance"]),
                links=[art.url, *(d.url for d in self.store.duplicates_of(art.canonical_url))],
                source=art.source, source_title=art.title, source_zi=art.zi, published=art.published,
                flags=self.flags_for(art.canonical_url),
            ))
        return items

    async def run(self, *, day: Date | None = None, since: str | None = None, dry_run: bool = False) -> RunReport:
        started = time.monotonic()
        digest_date, start, end = window_for(self.settings, day, since)
        self.report.digest_date = digest_date
        self.run_id = self.store.start_run("dry-run" if dry_run else "digest", digest_date)
        feeds = [f for f in self.settings.feeds if f.enabled]
        status = "failed"
        self._dry_run = dry_run
        self._warm = warm = None if dry_run else asyncio.create_task(self._warm_up())
        try:
            self.load_stories(digest_date)
            async with Fetcher(self.settings.fetch) as fetcher:
                self.reporter.stage("feeds", len(feeds))

                async def one_feed(feed: FeedSettings) -> list[Entry]:
                    try:
                        return await self.fetch_feed(fetcher, feed)
                    finally:
                        self.reporter.advance("feeds", feed.label[:40])

                # Feeds that answer within the grace period are selected together, so duplicates across
                # feeds resolve in config order; a slower feed streams its articles in when it arrives
                # instead of holding every article back until its deadline.
                tasks = [asyncio.create_task(one_feed(f)) for f in feeds]
                if tasks:
                    await asyncio.wait(tasks, timeout=FEED_GRACE)
                early = [t.result() for t in tasks if t.done()]
                entries = self._select_entries([e for batch in early for e in batch], start, end, digest_date)
                entries += self._unfinished(digest_date, {e.canonical_url for e in entries})
                entries = self._cap_articles(entries)
                chosen = {e.canonical_url for e in entries}
                self._extractor.prepare(sum(1 for e in entries if not self._has_text(self.store.article(e.canonical_url))))
                self._record_new(entries, digest_date)
                self.reporter.stage("articles", len(entries))
                work = [asyncio.create_task(self._article(fetcher, e, digest_date)) for e in entries]
                for late in asyncio.as_completed([t for t in tasks if not t.done()]):
                    batch = [e for e in self._select_entries(await late, start, end, digest_date)
                             if e.canonical_url not in chosen]
                    room = max(0, self.settings.fetch.max_articles - len(chosen))
                    if len(batch) > room:
                        self.report.articles_left_out += len(batch) - room
                        self._warn(f"{len(batch) - room} articles of a late feed over fetch.max_articles="
                                   f"{self.settings.fetch.max_articles} were left out of this run")
                        batch = batch[:room]
                    chosen.update(e.canonical_url for e in batch)
                    self._record_new(batch, digest_date)
                    self.reporter.grow("articles", len(batch))
                    work += [asyncio.create_task(self._article(fetcher, e, digest_date)) for e in batch]
                await asyncio.gather(*work)
            if dry_run:
                for story in self.stories.by_id.values():
                    if story.scheduled:
                        self._dry_run_item(self._kept_article(story))
                status = "ok"
                return self.report
            await asyncio.gather(*self._story_tasks)
            digest = build_digest(self.digest_items(digest_date), self.settings.digest, date=digest_date)
            self.report.items_in_digest = len(digest.items)
            self.report.add_checks(self.tally(digest.items))
            if digest.items:
                md_path, _ = write_draft(digest, self.settings.output_path)
                self.report.draft = str(md_path)
                status = "ok"
            return self.report
        finally:
            if warm is not None and not warm.done():
                warm.cancel()
            for task in self._story_tasks:
                task.cancel()  # only those left by an error; finished tasks ignore it
            self._extractor.close()
            if self.provider is not None:
                await self.provider.aclose()
            self.report.seconds = round(time.monotonic() - started, 2)
            self.report.cost = _cost(self.settings, self.report)
            self.store.finish_run(self.run_id, status=status, report=self.report.as_dict(),
                                  input_tokens=self.report.input_tokens, output_tokens=self.report.output_tokens)

    def flags_for(self, canonical_url: str) -> list[str]:
        """The stored trust-check flags of one summarized article."""
        return [str(f) for f in self._checks.get(canonical_url, {}).get("flags") or []]

    def tally(self, items: list[DigestItem]) -> Tally:
        """Totals of the stored trust checks over these items."""
        tally = Tally()
        for item in items:
            tally.add(self._checks.get(item.canonical_url, {}))
        return tally

    def _cap_articles(self, entries: list[Entry]) -> list[Entry]:
        """At most fetch.max_articles a run, newest first; a malicious or broken feed cannot flood a run."""
        cap = self.settings.fetch.max_articles
        if len(entries) <= cap:
            return entries
        oldest = datetime.min.replace(tzinfo=timezone.utc)
        ranked = sorted(entries, key=lambda e: e.published or oldest, reverse=True)
        self.report.articles_left_out = len(entries) - cap
        self._warn(f"{len(entries) - cap} articles over fetch.max_articles={cap} were left out of this run")
        return ranked[:cap]

    async def _warm_up(self) -> None:
        """Load the tokenizer and open a hosted client while feeds download, so the first call starts sooner.

        The local model is not started here: a run whose summaries are all cached must never start it."""
        try:
            await asyncio.to_thread(count_tokens, "预热")
            if self._provider().kind == "openai":
                await self._get_summarizer()
        except SummarizerError:
            pass  # the same error is reported with each article that needs the model

    def _unfinished(self, digest_date: str, chosen: set[str]) -> list[Entry]:
        """Articles of this date that a crash or a failure left unsummarized, even if their feed is now 304,
        and those summarized under other prompts or check settings (their summary is not in the cache)."""
        return [
            _entry_from_store(a) for a in self.store.articles_for_date(digest_date)
            if (a.status in {"new", "extracted", "failed"} or self._stale(a)) and a.canonical_url not in chosen
        ]

    def _stale(self, article: StoredArticle) -> bool:
        if article.status != "summarized" or not article.text_hash:
            return False
        return self.store.summary(article.canonical_url, article.text_hash, *self._cache_key()) is None

    def _select_entries(self, entries: list[Entry], start: datetime | None, end: datetime,
                        digest_date: str) -> list[Entry]:
        """Entries in the window, once per canonical URL, not already in an earlier day's digest."""
        chosen: dict[str, Entry] = {}
        for entry in entries:
            if not in_window(entry, start, end) or entry.canonical_url in chosen:
                continue
            stored = self.store.article(entry.canonical_url)
            if stored and stored.digest_date and stored.digest_date != digest_date:
                self.report.articles_seen_before += 1
                continue
            chosen[entry.canonical_url] = entry
        return list(chosen.values())


def _entry_from_store(article: StoredArticle) -> Entry:
    published = datetime.fromisoformat(article.published) if article.published else None
    return Entry(feed_name=article.source, feed_url=article.feed_url or "", title=article.title, url=article.url,
                 canonical_url=article.canonical_url, published=published, summary_html="", content_html="")


def _url(key: str, in_run: dict[str, Article], stored: dict[str, StoredArticle]) -> str:
    return in_run[key].url if key in in_run else stored[key].url


def _article_from_store(article: StoredArticle) -> Article:
    text = article.text or ""
    published = datetime.fromisoformat(article.published) if article.published else None
    return Article(url=article.url, canonical_url=article.canonical_url, title=article.title,
                   source=article.source, published=published, text=text, zi=article.zi,
                   text_hash=article.text_hash or text_hash(text))


def _cost(settings: Settings, report: RunReport) -> float | None:
    llm = settings.llm
    if llm.price_input_per_mtok is None and llm.price_output_per_mtok is None:
        return None
    return round(report.input_tokens / 1e6 * (llm.price_input_per_mtok or 0)
                 + report.output_tokens / 1e6 * (llm.price_output_per_mtok or 0), 6)


def run_digest(settings: Settings, *, day: Date | None = None, since: str | None = None, dry_run: bool = False,
               reporter: Reporter | None = None, provider: Provider | None = None,
               budget: int | None = None) -> RunReport:
    """Run one night's digest. Raises ConfigError/StoreError/RunLocked before any work;
    per-article errors are in the report. ``budget`` caps the run's tokens (overrides llm.run_token_budget)."""
    from .runlock import run_lock

    with run_lock(settings.database_path, day.isoformat() if day else "today"):
        pipeline = Pipeline(settings, reporter=reporter, provider=provider)
        if budget is not None:
            pipeline.budget = budget
        pipeline.report.budget = pipeline.budget
        try:
            return asyncio.run(pipeline.run(day=day, since=since, dry_run=dry_run))
        finally:
            pipeline.close()


@dataclass
class SingleResult:
    item: DigestItem
    summary: Summary
    report: RunReport


def summarize_url(settings: Settings, url: str, *, reporter: Reporter | None = None,
                  provider: Provider | None = None) -> SingleResult:
    """Fetch, extract and summarize one URL (cached like the digest). Raises SummarizerError on any failure."""

    async def go() -> SingleResult:
        started = time.monotonic()
        pipeline = Pipeline(settings, reporter=reporter, provider=provider)
        try:
            pipeline.run_id = pipeline.store.start_run("summarize", None)
            async with Fetcher(settings.fetch) as fetcher:
                result = await fetcher.get(url, accept=PAGE_ACCEPT, allow_file=url.startswith("file://"))
            extracted = await asyncio.to_thread(extract_stage.choose_text, url=url, html=result.content,
                                                min_zi=settings.digest.min_article_chars)
            key = canonical_url(url)
            article = Article(url=url, canonical_url=key, title=extracted.title, source=_host(url), published=None,
                              text=extracted.text, zi=extracted.zi, text_hash=text_hash(extracted.text))
            existing = pipeline.store.article(key)
            pipeline.store.save_article(
                canonical_url=key, url=url, source=existing.source if existing else article.source,
                feed_url=None, title=extracted.title, published=existing.published if existing else None,
                status="extracted", digest_date=None, text=article.text, text_hash=article.text_hash,
                zi=article.zi, extract_method=extracted.method,
            )
            summary = await pipeline.summarize_article(article)
            if summary is None:
                raise LLMError(pipeline.report.errors[-1] if pipeline.report.errors else f"{url}: not summarized")
            item = DigestItem(canonical_url=key, headline=summary.headline, emoji=summary.emoji,
                              section=summary.section, bullets=summary.bullets, importance=summary.importance,
                              links=[url], source=article.source, source_title=article.title, source_zi=article.zi,
                              flags=pipeline.flags_for(key))
            pipeline.report.add_checks(pipeline.tally([item]))
            return SingleResult(item=item, summary=summary, report=pipeline.report)
        finally:
            if pipeline.provider is not None:
                await pipeline.provider.aclose()
            pipeline.report.seconds = round(time.monotonic() - started, 2)
            if pipeline.run_id is not None:
                pipeline.store.finish_run(pipeline.run_id, status="ok" if not pipeline.report.errors else "failed",
                                          report=pipeline.report.as_dict(), input_tokens=pipeline.report.input_tokens,
                                          output_tokens=pipeline.report.output_tokens)
            pipeline.close()

    return asyncio.run(go())


def extract_only(settings: Settings, target: str) -> extract_stage.Extracted:
    """The clean text the pipeline would summarize for a URL or a local file, however short (the caller
    says whether the digest would skip it: ``extract.skip_reason``). Raises SummarizerError."""
    path = Path(target)
    if not target.startswith(("http://", "https://", "file://")) and path.exists():
        return extract_stage.choose_text(url=path.resolve().as_uri(), html=path.read_bytes(), min_zi=0)

    async def go() -> FetchResult:
        async with Fetcher(settings.fetch) as fetcher:
            return await fetcher.get(target, accept=PAGE_ACCEPT, allow_file=target.startswith("file://"))

    result = asyncio.run(go())
    return extract_stage.choose_text(url=target, html=result.content, min_zi=0)


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).netloc or url
