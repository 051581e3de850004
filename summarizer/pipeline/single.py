"""One URL outside a digest run: `summarize URL` (cached like the digest) and `extract URL_OR_FILE`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..config import Settings
from ..errors import LLMError
from ..items import Article, ArticleStatus, DigestItem, Summary
from ..model.providers import Provider, preflight
from ..progress import Reporter, Silent
from ..sources import extract as extract_stage
from ..sources.feeds import canonical_url
from ..sources.fetch import Fetcher, FetchResult
from ..store import Store
from ..text import text_hash
from .articles import fetch_page
from .draft import tally
from .report import Run, RunReport, recorded
from .summaries import SummaryService


@dataclass
class SingleResult:
    item: DigestItem
    summary: Summary
    report: RunReport


def summarize_url(settings: Settings, url: str, *, reporter: Reporter | None = None,
                  provider: Provider | None = None) -> SingleResult:
    """Fetch, extract and summarize one URL (cached like the digest). Raises SummarizerError on a failure."""
    if provider is None:
        preflight(settings)
    with Store(settings.database_path) as store:
        run = Run(settings, store, reporter or Silent())
        return asyncio.run(_summarize_url(run, url, provider))


async def _summarize_url(run: Run, url: str, provider: Provider | None) -> SingleResult:
    service = SummaryService(run, provider=provider)
    try:
        with recorded(run, "summarize", None):
            article = await _extract(run, url)
            summary = await service.summarize(article)
            run.status = "ok" if not run.report.errors else "failed"
            if summary is None:
                raise LLMError(run.report.errors[-1] if run.report.errors else f"{url}: not summarized")
            item = DigestItem.of(
                article, summary, links=[url], flags=service.problems_of(article.canonical_url)
            )
            run.report.add_checks(tally(service, [item]))
            return SingleResult(item=item, summary=summary, report=run.report)
    finally:
        await service.model.aclose()


async def _extract(run: Run, url: str) -> Article:
    """Fetch and extract the page; store it as extracted (keeping what a feed said about it)."""
    settings, store = run.settings, run.store
    async with Fetcher(settings.fetch) as fetcher:
        result = await fetch_page(fetcher, url, allow_file=url.startswith("file://"))
    extracted = await asyncio.to_thread(extract_stage.choose_text, url=url, html=result.content,
                                        min_zi=settings.digest.min_article_chars)
    key = canonical_url(url)
    article = Article(url=url, canonical_url=key, title=extracted.title, source=_host(url), published=None,
                      text=extracted.text, zi=extracted.zi, text_hash=text_hash(extracted.text))
    existing = store.article(key)
    store.save_article(
        canonical_url=key, url=url, source=existing.source if existing else article.source,
        feed_url=None, title=extracted.title, published=existing.published if existing else None,
        status=ArticleStatus.EXTRACTED, digest_date=None, text=article.text, text_hash=article.text_hash,
        zi=article.zi, extract_method=extracted.method,
    )
    return article


def extract_only(settings: Settings, target: str) -> extract_stage.Extracted:
    """The clean text the pipeline would summarize for a URL or a local file, however short (the caller
    says whether the digest would skip it: ``extract.skip_reason``). Raises SummarizerError."""
    path = Path(target)
    if not target.startswith(("http://", "https://", "file://")) and path.exists():
        return extract_stage.choose_text(url=path.resolve().as_uri(), html=path.read_bytes(), min_zi=0)

    async def go() -> FetchResult:
        async with Fetcher(settings.fetch) as fetcher:
            return await fetch_page(fetcher, target, allow_file=target.startswith("file://"))

    result = asyncio.run(go())
    return extract_stage.choose_text(url=target, html=result.content, min_zi=0)


def _host(url: str) -> str:
    return urlsplit(url).netloc or url
