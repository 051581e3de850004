"""One summary service for every caller (the digest, `summarize URL`, review's regenerate).

It owns what each LLM call needs: the model (provider and summarizer, made on
first need), the cache key (computed once a run), one semaphore for every call,
the run's token budget, and the record of each call and its outcome in the store.
"""

from __future__ import annotations

import asyncio
import contextlib
from functools import cached_property

from ..errors import ConfigError, LLMError, ProviderAuthError, SummarizerError, SummaryInvalid
from ..items import Article, ArticleStatus, CheckedSummary, CheckResult, Problem, Rules, Summary
from ..model.journal import CallJournal, CallKey
from ..model.prompts import Prompts, prompt_fingerprint
from ..model.providers import Provider
from ..model.summarize import Summarizer, SummaryResult
from ..model.tokens import count_tokens
from ..trust.checks import CheckRules
from .report import Run


class Model:
    """The provider and the summarizer on it, made on first need; ``slots`` bounds the calls in flight."""

    def __init__(self, run: Run, provider: Provider | None, prompts: Prompts, rules: Rules,
                 checks: CheckRules) -> None:
        self.run, self.provider, self.prompts, self.rules, self.checks = run, provider, prompts, rules, checks
        self._summarizer: Summarizer | None = None
        self._lock = asyncio.Lock()  # the warm-up and the first article may ask at once
        self.slots = asyncio.Semaphore(1)  # replaced by the provider's concurrency when it is made

    def get_provider(self) -> Provider:
        if self.provider is None:
            self.provider = Provider(self.run.settings, reporter=self.run.reporter)
        return self.provider

    async def summarizer(self) -> Summarizer:
        async with self._lock:
            if self._summarizer is None:
                provider = self.get_provider()
                client = await provider.client()
                settings = self.run.settings
                self._summarizer = Summarizer(
                    client, rules=self.rules, sections=settings.digest.sections,
                    token_budget=settings.llm.input_token_budget, max_reasks=settings.llm.max_reasks,
                    prompts=self.prompts, length_constraints=provider.kind == "local", checks=self.checks,
                    classify=provider.kind == "local",
                )
                self.slots = asyncio.Semaphore(provider.concurrency)
            return self._summarizer

    async def ready(self) -> bool:
        try:
            await self.summarizer()
        except SummarizerError:
            return False  # SummaryService.summarize reports the error with the article
        return True

    async def warm_up(self) -> None:
        """Load the tokenizer and open a hosted client while feeds download, so the first call starts sooner.

        The local model is not started here: a run whose summaries are all cached must never start it."""
        try:
            await asyncio.to_thread(count_tokens, "预热")
            if self.get_provider().kind == "openai":
                await self.summarizer()
        except SummarizerError:
            pass  # the same error is reported with each article that needs the model

    async def aclose(self) -> None:
        if self.provider is not None:
            await self.provider.aclose()


class TokenBudget:
    """The run's token budget: tokens spent, plus the calls in flight, plus the next call must fit."""

    def __init__(self, run: Run, limit: int | None) -> None:
        self.run, self.limit = run, limit
        self.reserved = 0  # estimated tokens of the calls in flight

    def allows(self, estimate: int) -> bool:
        if self.limit is None:
            return True
        report = self.run.report
        spent = report.input_tokens + report.output_tokens
        if report.articles_over_budget == 0 and spent + self.reserved + estimate <= self.limit:
            return True
        if report.articles_over_budget == 0:
            self.run.warn(
                f"token budget of {self.limit} reached ({spent} used, {self.reserved} in flight, "
                f"next call ~{estimate}): summarizing stopped, the remaining articles wait for the next run"
            )
        return False


class SummaryService:
    """Summaries of stored articles: from the cache, or one validated model call recorded in the store."""

    def __init__(self, run: Run, *, provider: Provider | None = None, budget: int | None = None) -> None:
        settings = run.settings
        self.run = run
        rules = Rules.from_settings(settings.llm, settings.digest.sections)
        self.model = Model(run, provider, Prompts(), rules, CheckRules.from_settings(settings.checks))
        self.budget = TokenBudget(run, budget if budget is not None else settings.llm.run_token_budget)
        self.checks: dict[str, CheckResult] = {}  # canonical URL -> trust checks of its summary

    @cached_property
    def cache_key(self) -> tuple[str, str]:
        """(prompt fingerprint, model id): with URL and text hash, the summary cache key."""
        model = self.model
        fingerprint = prompt_fingerprint(
            model.prompts, model.rules, self.run.settings.digest.sections, model.checks
        )
        return fingerprint, model.get_provider().model_id

    def cached(self, canonical_url: str, text_hash: str) -> CheckedSummary | None:
        return self.run.store.summary(canonical_url, text_hash, *self.cache_key)

    def problems_of(self, canonical_url: str) -> list[Problem]:
        """The trust problems of one article's summary, as this run found or read them."""
        check = self.checks.get(canonical_url)
        return list(check.problems) if check else []

    def check_of(self, canonical_url: str) -> CheckResult:
        return self.checks.get(canonical_url) or CheckResult()

    async def summarize(self, article: Article, *, fresh: bool = False, held: bool = False) -> Summary | None:
        """Summarize (or take from the cache, unless ``fresh``) one stored article; record the outcome.

        ``held``: the caller already holds one of the model's slots. Raises ConfigError when no provider
        can be set up (the cache key names its model)."""
        key = self.cache_key
        cached = None if fresh else self.run.store.summary(article.canonical_url, article.text_hash, *key)
        if cached is not None:
            return self._done(article, cached.summary, cached.check)
        try:
            summarizer = await self.model.summarizer()
        except SummarizerError as exc:
            self._failed(article, f"{article.url}: {exc}", str(exc))
            return None
        async with contextlib.nullcontext() if held else self.model.slots:
            # Input as counted here plus the most one answer may take: a call that starts fits the budget.
            estimate = (summarizer.estimate_input_tokens(article) + self.run.settings.llm.max_output_tokens
                        if self.budget.limit is not None else 0)
            if not self.budget.allows(estimate):
                # Left "extracted": the next run picks it up, its text already stored.
                self.run.report.articles_over_budget += 1
                return None
            self.budget.reserved += estimate
            try:
                result = await self._call(summarizer, article)
            finally:
                self.budget.reserved -= estimate
        if result is None:
            return None
        self._save(article, result)
        self.run.report.check_reasks += result.check_reasks
        return self._done(article, result.summary, result.check)

    async def _call(self, summarizer: Summarizer, article: Article) -> SummaryResult | None:
        report, store = self.run.report, self.run.store
        # Each finished call is journaled at once: a run killed mid re-ask is replayed, not paid twice.
        journal = CallJournal(store, CallKey(article.canonical_url, article.text_hash, *self.cache_key))
        try:
            result = await summarizer.summarize(article, journal=journal)
        except SummaryInvalid as exc:
            journal.clear()
            report.count_calls(exc.attempts, exc.input_tokens, exc.output_tokens)
            store.log_call(
                run_id=self.run.run_id,
                canonical_url=article.canonical_url,
                model=self.cache_key[1],
                input_tokens=exc.input_tokens,
                output_tokens=exc.output_tokens,
                seconds=0.0,
                response=exc.raw,
                error=str(exc),
            )
            self._failed(article, str(exc), str(exc))
        except ProviderAuthError as exc:
            # A refused key fails every article alike: stop the run once, leave the articles for the next.
            raise ConfigError(str(exc)) from exc
        except LLMError as exc:
            report.llm_calls += 1
            self._failed(article, str(exc), str(exc))
        else:
            return result
        return None

    def _save(self, article: Article, result: SummaryResult) -> None:
        asked = [a for a in result.calls if not a.replayed]  # replayed ones were paid by a killed run
        self.run.report.count_calls(len(asked), sum(a.input_tokens for a in asked),
                                    sum(a.output_tokens for a in asked))
        store, (prompt_hash, model) = self.run.store, self.cache_key
        for attempt in result.calls:
            store.log_call(run_id=self.run.run_id, canonical_url=article.canonical_url, model=model,
                           input_tokens=attempt.input_tokens, output_tokens=attempt.output_tokens,
                           seconds=attempt.seconds, response=attempt.raw, error=attempt.error)
        store.save_summary(canonical_url=article.canonical_url, text_hash=article.text_hash,
                           prompt_hash=prompt_hash, model=model, data=result.stored(),
                           input_tokens=result.input_tokens, output_tokens=result.output_tokens,
                           seconds=result.seconds, attempts=len(result.attempts))
        CallJournal(store, CallKey(article.canonical_url, article.text_hash, prompt_hash, model)).clear()

    def _done(self, article: Article, summary: Summary, check: CheckResult) -> Summary:
        self.run.store.set_status(article.canonical_url, ArticleStatus.SUMMARIZED)
        self.run.report.articles_summarized += 1
        self.checks[article.canonical_url] = check
        return summary

    def _failed(self, article: Article, message: str, error: str) -> None:
        self.run.store.set_status(article.canonical_url, ArticleStatus.FAILED, error)
        self.run.fail(message)
