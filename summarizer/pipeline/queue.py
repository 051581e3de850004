"""Story summaries as tasks: one per story, started while other pages still download.

Which article a story is summarized from is settled only when a model slot
frees up, so a better copy that arrives while the story waits takes its place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ..items import Article
from ..trust.stories import Story
from .report import Run
from .summaries import SummaryService


class StoryQueue:
    def __init__(self, run: Run, service: SummaryService, kept_article: Callable[[Story], Article], *,
                 dry_run: bool) -> None:
        self.run, self.service, self.kept_article, self.dry_run = run, service, kept_article, dry_run
        self.tasks: list[asyncio.Task[None]] = []
        # Hosted clients are opened while feeds download; a dry run never needs one.
        self.warm: asyncio.Task[None] | None = (
            None if dry_run else asyncio.create_task(service.model.warm_up())
        )

    def schedule(self, story: Story) -> None:
        if story.scheduled:
            return
        story.scheduled = True
        if self.dry_run:
            return
        self.run.reporter.grow("summaries", 1)
        self.tasks.append(asyncio.create_task(self._summarize(story)))

    async def finish(self) -> None:
        await asyncio.gather(*self.tasks)

    def cancel(self) -> None:
        """Stop what an error left running; finished tasks ignore it."""
        if self.warm is not None and not self.warm.done():
            self.warm.cancel()
        for task in self.tasks:
            task.cancel()

    async def _summarize(self, story: Story) -> None:
        note = ""
        service = self.service
        try:
            if self.warm is not None:
                await self.warm
            article = self.kept_article(story)
            cached = service.cached(article.canonical_url, article.text_hash) is not None
            if not cached and await service.model.ready():
                async with service.model.slots:
                    story.started = True
                    article = self.kept_article(story)
                    note = article.title
                    await service.summarize(article, held=True)
                return
            story.started = True  # from the cache, or failed with the model's error
            note = article.title
            await service.summarize(article)
        finally:
            self.run.reporter.advance("summaries", note[:40])
