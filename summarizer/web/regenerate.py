"""Regenerate one item under review: a new LLM call through the summary service, with the same validation
and re-asks as the digest."""

from __future__ import annotations

from ..config import Settings
from ..dates import is_weekly
from ..errors import ReviewError
from ..items import Article, Summary
from ..model.providers import Provider
from ..pipeline import Run, SummaryService, recorded
from ..pipeline.articles import article_from_store
from ..progress import Silent
from ..review.state import Review, ReviewItem


async def regenerate(review: Review, ref: str | int, settings: Settings, *,
                     provider: Provider | None = None) -> ReviewItem:
    """Ask the model again for one item; the old text stays in the history. Raises ReviewError if it fails."""
    item = review.item(ref)
    if is_weekly(review.date):
        # A daily summary would replace a weekly paragraph: refused before any call is paid for.
        raise ReviewError(f"item {item.id}: a weekly item is not regenerated; edit its title and "
                          "paragraph instead")
    stored = review.store.article(item.canonical_url)
    if stored is None or not stored.text:
        raise ReviewError(f"{item.canonical_url}: no extracted text stored, cannot regenerate item {item.id}")
    article = article_from_store(stored)
    # fresh=True: the cached summary is exactly what the reviewer wants replaced.
    summary, service, reason = await summarize_recorded(review, article, settings, "regenerate",
                                                        provider=provider, fresh=True)
    if summary is None:
        raise ReviewError(f"item {item.id}: regenerate failed: {reason}")
    # The trust checks of the new text replace the old flags: problems left after the re-ask stay for review.
    review.replace_summary(
        item.id,
        headline=summary.headline,
        emoji=summary.emoji,
        bullets=list(summary.bullets),
        importance=summary.importance,
        flags=service.problems_of(article.canonical_url),
    )
    return review.item(item.id)


async def summarize_recorded(review: Review, article: Article, settings: Settings, kind: str, *,
                             provider: Provider | None, fresh: bool = False
                             ) -> tuple[Summary | None, SummaryService, str]:
    """One article summarized for the review page, as a recorded run: its summary (None if it failed),
    the service (for its checks' problems) and why it failed."""
    run = Run(settings, review.store, Silent())
    service = SummaryService(run, provider=provider)
    try:
        with recorded(run, kind, review.date):
            summary = await service.summarize(article, fresh=fresh)
            run.status = "ok" if not run.report.errors else "failed"
    finally:
        if provider is None:  # a provider passed in belongs to the caller
            await service.model.aclose()
    return summary, service, run.report.errors[-1] if run.report.errors else "no summary"
