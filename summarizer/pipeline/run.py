"""One night's digest: the steps in order, and nothing else.

    intake (feeds -> entries) -> articles (page -> text -> story) -> queue (story -> summary)
    -> draft (summaries -> digest in the store and output/drafts)
"""

from __future__ import annotations

import asyncio
from datetime import date as Date

from ..config import Settings
from ..model.providers import Provider, preflight
from ..progress import Reporter, Silent
from ..sources.feeds import Entry
from ..sources.fetch import Fetcher
from ..store import Store
from .articles import Articles
from .draft import dry_run_item, write_digest
from .intake import Intake, Window, window_for
from .queue import StoryQueue
from .report import Run, RunReport, recorded
from .summaries import SummaryService


class DigestRun:
    """The steps of one digest run, wired to one shared ``Run``."""

    def __init__(self, run: Run, service: SummaryService, window: Window, *, dry_run: bool) -> None:
        self.run, self.service, self.window, self.dry_run = run, service, window, dry_run
        self.articles = Articles(run)
        self.queue = StoryQueue(run, service, self.articles.kept_article, dry_run=dry_run)
        self.intake = Intake(run, service, window)

    async def go(self) -> None:
        try:
            self.articles.load_stories(self.window.digest_date)
            await self._articles()
            if self.dry_run:
                self._dry_run_items()
                self.run.status = "ok"
                return
            await self.queue.finish()
            write_digest(self.run, self.service, self.window.digest_date)
        finally:
            self.queue.cancel()
            self.articles.close()
            await self.service.model.aclose()

    async def _articles(self) -> None:
        """Every selected entry in its own task: fetch, extract, place; a new story is summarized at once."""
        work: list[asyncio.Task[None]] = []
        async with Fetcher(self.run.settings.fetch) as fetcher:
            first = True
            async for batch in self.intake.batches(fetcher):
                if first:
                    self.articles.prepare(batch)
                    self.run.reporter.stage("articles", len(batch))
                else:  # a late feed
                    self.run.reporter.grow("articles", len(batch))
                first = False
                work += [asyncio.create_task(self._article(fetcher, e)) for e in batch]
            await asyncio.gather(*work)

    async def _article(self, fetcher: Fetcher, entry: Entry) -> None:
        article = await self.articles.text_of(fetcher, entry, self.window.digest_date)
        if article is not None:
            story = await self.articles.place(article)
            if story is not None:
                self.queue.schedule(story)

    def _dry_run_items(self) -> None:
        for story in self.articles.stories.by_id.values():
            if story.scheduled:
                article = self.articles.kept_article(story)
                dry_run_item(self.run, article.url, article.title, article.text, article.zi)


def run_digest(
    settings: Settings,
    *,
    day: Date | None = None,
    since: str | None = None,
    dry_run: bool = False,
    reporter: Reporter | None = None,
    provider: Provider | None = None,
    budget: int | None = None,
) -> RunReport:
    """Run one night's digest. Raises ConfigError/StoreError/RunLocked before any work;
    per-article errors are in the report. ``budget`` caps the run's tokens (over llm.run_token_budget)."""
    from ..store.lock import run_lock

    if provider is None and not dry_run:
        preflight(settings)  # no key and no local model: one line before any feed is fetched
    with run_lock(settings.database_path, day.isoformat() if day else "today"), \
            Store(settings.database_path) as store:
        run = Run(settings, store, reporter or Silent())
        return asyncio.run(_digest(run, provider, budget, day=day, since=since, dry_run=dry_run))


async def _digest(run: Run, provider: Provider | None, budget: int | None, *, day: Date | None,
                  since: str | None, dry_run: bool) -> RunReport:
    window = Window(*window_for(run.settings, day, since))
    run.report.digest_date = window.digest_date
    service = SummaryService(run, provider=provider, budget=budget)
    run.report.budget = service.budget.limit
    with recorded(run, "dry-run" if dry_run else "digest", window.digest_date):
        await DigestRun(run, service, window, dry_run=dry_run).go()
    return run.report
