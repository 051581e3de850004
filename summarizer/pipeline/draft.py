"""The day's digest from the store: every summarized article of the date becomes an item; the digest is
recorded in the store for review, then written as the user's draft files."""

from __future__ import annotations

from dataclasses import replace

from ..digest.build import Digest, DigestItem, build_digest
from ..digest.render import write_draft
from ..items import ArticleStatus
from ..model.tokens import count_tokens, fit_to_budget
from ..store import Store, StoredArticle
from ..trust.checks import Tally
from .articles import article_from_store
from .memory import Memory
from .report import Run
from .summaries import SummaryService

PROMPT_OVERHEAD_TOKENS = 700  # the system prompt and framing of one call, for dry-run estimates


def digest_items(run: Run, service: SummaryService, digest_date: str) -> list[DigestItem]:
    # The cache key names the model: a provider that cannot be set up (no API key) is a configuration
    # error (exit 2) even on a day with nothing summarized.
    _ = service.cache_key
    items = []
    store = run.store
    memory = Memory(run)
    for art in store.articles_for_date(digest_date):
        if art.status != ArticleStatus.SUMMARIZED or not art.text_hash:
            continue
        cached = service.cached(art.canonical_url, art.text_hash)
        if cached is None:
            continue
        service.checks[art.canonical_url] = cached.check
        copies = store.duplicates_of(art.canonical_url)
        links = [art.url, *(d.url for d in copies)]
        article = article_from_store(art)
        told = memory.stored(art.canonical_url, digest_date)
        if told is not None and not told.repeat:  # a 续报: the item links the earlier issue's item
            article = replace(article, earlier=told.earlier)
        items.append(DigestItem.of(article, cached.summary, links=links,
                                   flags=cached.check.problems, published=art.published,
                                   sources=sources(store, art, copies)))
    return items


def sources(store: Store, art: StoredArticle, copies: list[StoredArticle]) -> int:
    """Feeds that carried the story (its 热度): those that listed the article or any merged copy."""
    stories = [art, *copies]
    feeds = store.feeds_of([a.canonical_url for a in stories])
    return max(1, len(feeds | {a.feed_url for a in stories if a.feed_url}))


def tally(service: SummaryService, items: list[DigestItem]) -> Tally:
    """Totals of the stored trust checks over these items."""
    totals = Tally()
    for item in items:
        totals.add(service.check_of(item.canonical_url))
    return totals


def write_digest(run: Run, service: SummaryService, digest_date: str) -> Digest:
    """Build the day's digest; when it has items, record it for review and write the draft files."""
    digest = build_digest(digest_items(run, service, digest_date), run.settings.digest, date=digest_date)
    run.report.items_in_digest = len(digest.items)
    run.report.items_below_importance = len(digest.below_importance)
    run.report.add_checks(tally(service, digest.items))
    if digest.items:
        # Review reads the day from the store; the files are for the user.
        run.store.save_digest(digest_date, title=digest.title, purpose=digest.purpose, items=digest.items,
                              run_id=run.run_id)
        md_path, _ = write_draft(digest, run.settings.output_path)
        run.report.draft = str(md_path)
        run.status = "ok"
    return digest


def dry_run_item(run: Run, article_url: str, title: str, text: str, zi: int) -> None:
    """What a dry run prints for one article that would be summarized: its estimated input tokens."""
    body, _ = fit_to_budget(text, run.settings.llm.input_token_budget)
    estimate = count_tokens(body) + PROMPT_OVERHEAD_TOKENS
    run.report.estimated_input_tokens += estimate
    run.report.dry_run_items.append({"title": title, "url": article_url, "zi": zi,
                                     "estimated_input_tokens": estimate})
