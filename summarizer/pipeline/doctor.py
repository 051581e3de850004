"""`summarizer doctor`: is everything a nightly run needs in order? (config, database, provider, feeds,
drafts)

Each check is one line; any failed check makes the command exit non-zero, so
a monitoring job can run it after the nightly digest.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date as Date
from datetime import datetime, timedelta

from ..config import Settings
from ..errors import LLMError, LocalModelError, RunLocked, StoreError, SummarizerError
from ..store import Store

FAILURES_FLAGGED = 3  # a feed failing this many runs in a row is broken, not flaky
DAYS_CHECKED = 7


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.name}: {self.detail}"


def check_provider(settings: Settings) -> Check:
    """One tiny request to a hosted endpoint; for the local model, that it is installed (starting it takes
    minutes)."""
    from ..model.providers import Provider, resolve_provider

    try:
        if resolve_provider(settings) == "local":
            from ..model.local import check_installed

            return Check("provider", True, check_installed(settings.llm.local.model))
        provider = Provider(settings)

        async def ping() -> float:
            client = await provider.client()
            try:
                return await client.ping()
            finally:
                await provider.aclose()

        seconds = asyncio.run(ping())
        return Check("provider", True, f"{provider.label} answered in {seconds:.1f}s")
    except (LLMError, LocalModelError, SummarizerError) as exc:
        return Check("provider", False, str(exc))


def check_feeds(settings: Settings, store: Store) -> list[Check]:
    checks = []
    for feed in settings.feeds:
        if not feed.enabled:
            continue
        stored = store.feed(settings.feed_location(feed))
        name = f"feed {feed.label}"
        if stored is None:
            checks.append(Check(name, True, "never fetched yet"))
        elif stored.failures_in_a_row >= FAILURES_FLAGGED:
            since = f"last success {stored.last_ok_at}" if stored.last_ok_at else "never succeeded"
            checks.append(Check(name, False, f"failed {stored.failures_in_a_row} runs in a row ({since}): "
                                             f"{stored.last_error}"))
        elif stored.failures_in_a_row:
            checks.append(Check(name, True, f"failed the last run ({stored.last_error}); "
                                            f"last success {stored.last_ok_at or 'never'}"))
        else:
            checks.append(Check(name, True, f"last success {stored.last_ok_at}"))
    return checks


def check_drafts(settings: Settings, store: Store, today: Date) -> Check:
    """Every day since the first digest run (the last week at most, up to yesterday) has a draft."""
    dates = store.digest_dates()
    drafts = settings.output_path / "drafts"
    if not dates:
        return Check("drafts", True, "no digest run yet")
    first = max(Date.fromisoformat(dates[0]), today - timedelta(days=DAYS_CHECKED))
    missing = []
    day = first
    while day < today:
        if not (drafts / f"{day.isoformat()}.md").exists():
            missing.append(day.isoformat())
        day += timedelta(days=1)
    if today.isoformat() in dates and not (drafts / f"{today.isoformat()}.md").exists():
        missing.append(f"{today.isoformat()} (ran, no draft)")
    if missing:
        return Check("drafts", False, f"no draft for {', '.join(missing)} in {drafts}")
    return Check("drafts", True, f"a draft for every day since {first.isoformat()}")


def run_doctor(settings: Settings, *, today: Date | None = None, ping: bool = True) -> list[Check]:
    """Every check, in order. The config was validated by loading ``settings``; raises nothing."""
    from ..store.lock import run_lock

    today = today or datetime.now(settings.digest.tz).date()
    enabled = [f for f in settings.feeds if f.enabled]
    checks = [
        Check("config", bool(enabled), f"{len(enabled)} feeds enabled" if enabled else "no feed is enabled")
    ]
    try:
        store = Store(settings.database_path)
    except StoreError as exc:
        checks.append(Check("database", False, str(exc)))
        store = None
    if store is not None:
        with store:
            try:
                integrity = store.integrity()
                detail = f"{settings.database_path}: {integrity}, migrations {', '.join(store.migrations())}"
            except StoreError as exc:  # pages too damaged for the check itself
                integrity = detail = str(exc)
            if integrity != "ok":  # the other checks read the damaged file: one line says it all
                checks.append(Check("database", False, detail.splitlines()[0]))
                return checks
            try:
                with run_lock(settings.database_path, "doctor"):
                    pass
            except RunLocked:
                detail += "; a digest run is in progress"
            checks.append(Check("database", integrity == "ok", detail))
            if ping:
                checks.append(check_provider(settings))
            checks.extend(check_feeds(settings, store))
            checks.append(check_drafts(settings, store, today))
    return checks
