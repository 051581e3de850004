"""`summarizer weekly`: the range's published items -> ranked stories -> prose by the model -> a weekly draft.

Each item's title and paragraph (and the numbered format's teaser) are cached
in the summaries table like a daily summary, keyed by the item's URL, a hash
of what the model is given (source text and the item as published), the
weekly prompts' fingerprint and the model: a re-run makes no LLM call. An item
the model cannot write is left out with a one-line error; the rest go on.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import date as Date
from typing import Any

from ..config import Settings
from ..dates import is_weekly, weekly_key
from ..errors import SummarizerError, SummaryInvalid, WeeklyError
from ..items import Problem, ReviewItem
from ..model.providers import Provider
from ..progress import Reporter, Silent
from ..store import Store
from ..text import count_zi
from ..trust.checks import CheckRules
from .prose import (
    CheckedProse,
    Prose,
    ProseRules,
    ProseWriter,
    Teaser,
    Written,
    input_hash,
    prose_fingerprint,
    prose_prompts,
)
from .review import NUMBERED_SECTION, save_weekly
from .select import Candidate, DailyItem, published_items, rank, stories


@dataclass(frozen=True)
class WeeklyRequest:
    start: Date
    end: Date
    format: str  # numbered | issue
    top: int
    image: str | None = None


@dataclass
class WeeklyReport:
    key: str
    format: str
    published_items: int = 0  # items of the daily issues published in the range
    stories: int = 0  # after grouping the same story across days
    items: int = 0  # in this run's selection, written or cached
    added: int = 0  # new in the weekly under review
    cached: int = 0
    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    flagged_items: int = 0
    draft: str | None = None
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


Written_ = tuple[Candidate, Prose, list[Problem]]
RULES = ProseRules()


class WeeklyRun:
    """One weekly run: its store, provider, writer and report."""

    def __init__(self, settings: Settings, store: Store, *, provider: Provider | None = None,
                 reporter: Reporter | None = None) -> None:
        self.settings, self.store = settings, store
        self.provider = provider or Provider(settings, reporter=reporter or Silent())
        self._own_provider = provider is None
        self.checks = CheckRules.from_settings(settings.checks)
        self._writer: ProseWriter | None = None
        self._writer_lock = asyncio.Lock()
        self._slots = asyncio.Semaphore(self.provider.concurrency)
        self.run_id: int | None = None
        self.report = WeeklyReport(key="", format="")

    async def run(self, request: WeeklyRequest) -> WeeklyReport:
        """Raises WeeklyError (nothing to put in the weekly) or ReviewError (the key is another format's)."""
        started = time.monotonic()
        key = weekly_key(request.end, request.format)
        self.report = WeeklyReport(key=key, format=request.format)
        items = published_items(self.store, request.start.isoformat(), request.end.isoformat())
        if not items:
            raise WeeklyError(f"{key}: no published daily item from {request.start} to {request.end} "
                              "(publish the dailies first: `summarizer publish DATE`)")
        candidates = stories(items)
        self.report.published_items, self.report.stories = len(items), len(candidates)
        self.run_id = self.store.start_run("weekly", key)
        status = "failed"
        try:
            chosen = rank(candidates, request.top)
            written = [w for w in await asyncio.gather(*(self._prose(c) for c in chosen)) if w is not None]
            if not written:
                raise WeeklyError(f"{key}: no item could be written ({'; '.join(self.report.errors[:3])})")
            teaser = await self._teaser(written[0]) if request.format == "numbered" else None
            if teaser and teaser[1]:
                top, prose, flags = written[0]
                written[0] = (top, prose, [*flags, *teaser[1]])
            meta, chosen_items = self._meta(request, key, teaser), self._items(written, request)
            review, self.report.added = save_weekly(self.store, self.settings.output_path, key, meta,
                                                    chosen_items)
            self.report.items = len(written)
            self.report.flagged_items = sum(1 for _, _, flags in written if flags)
            self.report.draft = str(review.draft_path)
            status = "ok"
        finally:
            if self._own_provider:
                await self.provider.aclose()
            self.report.seconds = round(time.monotonic() - started, 2)
            report = self.report
            self.store.finish_run(self.run_id, status=status, report=report.as_dict(),
                                  input_tokens=report.input_tokens, output_tokens=report.output_tokens)
        return self.report

    # -- the model --------------------------------------------------------------------
    async def _get_writer(self) -> ProseWriter:
        async with self._writer_lock:
            if self._writer is None:
                client = await self.provider.client()
                self._writer = ProseWriter(client, prompts=prose_prompts(), rules=RULES, checks=self.checks,
                                           token_budget=self.settings.llm.input_token_budget,
                                           max_reasks=self.settings.llm.max_reasks,
                                           lengths=self.provider.kind == "local")
            return self._writer

    def _cache_key(self, item: DailyItem, kind: str, extra: str = "") -> tuple[str, str, str, str]:
        fingerprint = prose_fingerprint(prose_prompts(), RULES, self.checks, kind)
        return item.canonical_url, input_hash(item, extra), fingerprint, self.provider.model_id

    async def _prose(self, candidate: Candidate) -> Written_ | None:
        """The item's title and paragraph, from the cache or the model; None (an error line) on failure."""
        item = candidate.item
        key = self._cache_key(item, "prose")
        cached = self.store.cached(CheckedProse, *key)
        if cached is not None:
            self.report.cached += 1
            prose = Prose.model_validate(cached.fields, context={"rules": RULES})
            return candidate, prose, list(cached.check.problems)
        written = await self._call(item, key, lambda writer: writer.paragraph(item))
        return (candidate, written.value, list(written.check.problems)) if written else None

    async def _teaser(self, top: Written_) -> tuple[str, list[Problem]] | None:
        candidate, prose, _ = top
        key = self._cache_key(candidate.item, "teaser", prose.title + prose.paragraph)
        cached = self.store.cached(CheckedProse, *key)
        if cached is not None:
            teaser = Teaser.model_validate(cached.fields, context={"rules": RULES}).teaser
            flags = list(cached.check.problems)
        else:
            item = candidate.item
            written = await self._call(item, key, lambda writer: writer.teaser(item, prose))
            if written is None:
                return None
            teaser, flags = written.value.teaser, list(written.check.problems)
        # The teaser's problems are the top item's to check: publish waits for them like for any flag.
        return teaser, [replace(f, message=f.message.replace("标题：", "导语：", 1)) for f in flags]

    async def _call(self, item: DailyItem, key: tuple[str, str, str, str], ask: Any) -> Written | None:
        try:
            writer = await self._get_writer()
            async with self._slots:
                written: Written = await ask(writer)
        except SummaryInvalid as exc:
            self._count(exc.attempts, exc.input_tokens, exc.output_tokens)
            self.store.log_call(run_id=self.run_id, canonical_url=item.canonical_url, model=key[3],
                                input_tokens=exc.input_tokens, output_tokens=exc.output_tokens, seconds=0.0,
                                response=exc.raw, error=str(exc))
            self.report.errors.append(str(exc))
            return None
        except SummarizerError as exc:
            self.report.errors.append(f"{item.canonical_url}: {exc}" if item.canonical_url not in str(exc)
                                      else str(exc))
            return None
        self._count(len(written.attempts), written.input_tokens, written.output_tokens)
        for attempt in written.attempts:
            self.store.log_call(run_id=self.run_id, canonical_url=item.canonical_url, model=key[3],
                                input_tokens=attempt.input_tokens, output_tokens=attempt.output_tokens,
                                seconds=attempt.seconds, response=attempt.raw, error=attempt.error)
        self.store.save_summary(canonical_url=key[0], text_hash=key[1], prompt_hash=key[2], model=key[3],
                                data=written.stored(), input_tokens=written.input_tokens,
                                output_tokens=written.output_tokens,
                                seconds=sum(a.seconds for a in written.attempts),
                                attempts=len(written.attempts))
        return written

    def _count(self, calls: int, tokens_in: int, tokens_out: int) -> None:
        self.report.llm_calls += calls
        self.report.input_tokens += tokens_in
        self.report.output_tokens += tokens_out

    # -- the draft --------------------------------------------------------------------
    def _meta(self, request: WeeklyRequest, key: str,
              teaser: tuple[str, list[Problem]] | None) -> dict[str, Any]:
        digest, weekly = self.settings.digest, self.settings.weekly
        earlier = [r for r in self.store.reviews("published")
                   if is_weekly(r.date) and r.date < key and r.meta.get("format") == "issue"]
        number = len(earlier) + 1
        numbered = request.format == "numbered"
        return {
            "format": request.format, "start": request.start.isoformat(), "end": request.end.isoformat(),
            "title": f"{weekly.name} Weekly 第 {number} 期", "number": number, "category": weekly.category,
            "image": request.image, "teaser": teaser[0] if teaser else None, "purpose": "",
            "sections": [NUMBERED_SECTION] if numbered else digest.section_names,
            "descriptions": {s.name: s.description for s in digest.sections},
            "reading_speed": digest.reading_speed,
        }

    def _items(self, written: list[Written_], request: WeeklyRequest) -> list[ReviewItem]:
        names = self.settings.digest.section_names
        items = []
        for n, (candidate, prose, flags) in enumerate(written, 1):
            item = candidate.item
            section = item.section if item.section in names else names[-1]
            items.append(ReviewItem(
                id=n, canonical_url=item.canonical_url, headline=prose.title, emoji="",
                section=NUMBERED_SECTION if request.format == "numbered" else section,
                bullets=[prose.paragraph], links=list(candidate.links), source=item.source,
                source_title=item.source_title, source_zi=count_zi(item.text), importance=item.importance,
                position=n - 1, published=item.published, flags=list(flags), days=sorted(candidate.days),
            ))
        return items


def run_weekly(settings: Settings, request: WeeklyRequest, *, provider: Provider | None = None,
               reporter: Reporter | None = None) -> WeeklyReport:
    """Make (or add to) the weekly draft of ``request``.

    Raises ConfigError or RunLocked before any work, WeeklyError or ReviewError.
    """
    from ..store.lock import run_lock

    key = weekly_key(request.end, request.format)
    with run_lock(settings.database_path, key), Store(settings.database_path) as store:

        async def go() -> WeeklyReport:
            return await WeeklyRun(settings, store, provider=provider, reporter=reporter).run(request)

        return asyncio.run(go())
