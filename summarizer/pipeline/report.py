"""The run report, and one run's lifecycle: started in the store, finished with its report on every path."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from ..config import Settings
from ..progress import Reporter
from ..store import Store
from ..trust.checks import Tally


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
    # Story memory (pipeline/memory.py): pages whose story an earlier issue told.
    already_published: list[str] = field(default_factory=list)  # "<url> (<date>)": left out, nothing new
    follow_ups: list[str] = field(default_factory=list)  # "<url>: continues <date>.html#<anchor>" (续报)
    dry_run_items: list[dict[str, Any]] = field(default_factory=list)
    # Trust checks (checks.py) over the items of this digest, and the re-asks they cost this run.
    flagged_items: int = 0
    unsupported_claims: int = 0
    check_reasks: int = 0
    quotes_found: int = 0
    quotes_total: int = 0
    full_coverage_items: int = 0
    warnings: list[str] = field(default_factory=list)  # feed problems that are not failures (empty, no links)
    articles_left_out: int = 0  # over fetch.max_articles; they wait for the next run
    articles_over_budget: int = 0  # not summarized because the run's token budget was spent
    budget: int | None = None
    items_below_importance: int = 0  # left out under digest.min_importance

    def add_checks(self, tally: Tally) -> None:
        self.flagged_items = tally.flagged_items
        self.unsupported_claims = tally.unsupported_claims
        self.quotes_found = tally.quotes_found
        self.quotes_total = tally.quotes_total
        self.full_coverage_items = tally.full_coverage_items

    def count_calls(self, calls: int, tokens_in: int, tokens_out: int) -> None:
        self.llm_calls += calls
        self.input_tokens += tokens_in
        self.output_tokens += tokens_out

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Run:
    """What every step of one run shares: settings, store, progress display, and the report it fills."""

    settings: Settings
    store: Store
    reporter: Reporter
    report: RunReport = field(default_factory=RunReport)
    run_id: int | None = None
    status: str = "failed"  # set to "ok" by the orchestrator once the run's output exists

    def warn(self, message: str) -> None:
        self.report.warnings.append(message)
        self.reporter.log(f"! {message}")

    def error(self, message: str) -> None:
        """A failure that is not an article's (a feed's): listed and shown, the run goes on."""
        self.report.errors.append(message)
        self.reporter.log(f"✗ {message}")

    def fail(self, message: str) -> None:
        """An article failed: counted, listed and shown; the run goes on."""
        self.report.articles_failed += 1
        self.error(message)


@contextmanager
def recorded(run: Run, kind: str, digest_date: str | None) -> Iterator[Run]:
    """Record the run in the store for its whole life: its report and tokens are saved however it ends."""
    started = time.monotonic()
    run.run_id = run.store.start_run(kind, digest_date)
    try:
        yield run
    finally:
        report = run.report
        report.seconds = round(time.monotonic() - started, 2)
        report.cost = cost_of(run.settings, report)
        run.store.finish_run(run.run_id, status=run.status, report=report.as_dict(),
                             input_tokens=report.input_tokens, output_tokens=report.output_tokens)


def cost_of(settings: Settings, report: RunReport) -> float | None:
    llm = settings.llm
    if llm.price_input_per_mtok is None and llm.price_output_per_mtok is None:
        return None
    return round(report.input_tokens / 1e6 * (llm.price_input_per_mtok or 0)
                 + report.output_tokens / 1e6 * (llm.price_output_per_mtok or 0), 6)
