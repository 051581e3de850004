"""Regenerate one item under review: a new LLM call through the pipeline, with the same validation and re-asks."""

from __future__ import annotations

from datetime import datetime

from ..config import Settings
from ..errors import ReviewError
from ..pipeline import Pipeline
from ..providers import Provider
from ..summarize import Article
from ..text import text_hash
from ..weekly import is_weekly
from .state import Review, ReviewItem


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
    article = Article(
        url=stored.url, canonical_url=stored.canonical_url, title=stored.title, source=stored.source,
        published=datetime.fromisoformat(stored.published) if stored.published else None, text=stored.text,
        zi=stored.zi, text_hash=stored.text_hash or text_hash(stored.text),
    )
    pipeline = Pipeline(settings, store=review.store, provider=provider)
    pipeline.run_id = review.store.start_run("regenerate", review.date)
    try:
        # fresh=True: the cached summary is exactly what the reviewer wants replaced.
        summary = await pipeline.summarize_article(article, fresh=True)
    finally:
        if provider is None and pipeline.provider is not None:
            await pipeline.provider.aclose()
        report = pipeline.report
        review.store.finish_run(pipeline.run_id, status="ok" if not report.errors else "failed",
                                report=report.as_dict(), input_tokens=report.input_tokens,
                                output_tokens=report.output_tokens)
    if summary is None:
        reason = report.errors[-1] if report.errors else "no summary"
        raise ReviewError(f"item {item.id}: regenerate failed: {reason}")
    # The trust checks of the new text replace the old flags: problems left after the re-ask stay for review.
    review.replace_summary(item.id, headline=summary.headline, emoji=summary.emoji, bullets=list(summary.bullets),
                           importance=summary.importance, flags=pipeline.flags_for(article.canonical_url))
    return review.item(item.id)
