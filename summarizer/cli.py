"""Thin shell: parse arguments, call the library, print. Errors become one line and an exit code here."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .config import Settings, load_settings
from .digest.render import render_item
from .errors import (
    ConfigError,
    EncodingError,
    LocalModelError,
    ReviewError,
    RunLocked,
    StoreError,
    SummarizerError,
)
from .pipeline import RunReport, extract_only, run_digest, summarize_url
from .progress import reporter_for
from .redact import redact
from .sources.extract import skip_reason
from .store import Store

if TYPE_CHECKING:
    from .review.state import Review

EXIT_OK, EXIT_NOTHING, EXIT_CONFIG, EXIT_LOCKED = 0, 1, 2, 3
F = TypeVar("F", bound=Callable[..., Any])


def _settings(config: str | None) -> Settings:
    path = Path(config) if config else Path("feeds.yaml")
    if not path.exists():
        raise ConfigError(f"{path}: config file not found (pass --config, or run where feeds.yaml is)")
    return load_settings(path)


def _echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Every message that may hold a provider's words is printed through here: no key reaches a terminal."""
    click.echo(redact(text), err=err, nl=nl)


def _fail(message: str, code: int) -> None:
    _echo(f"error: {message}", err=True)
    sys.exit(code)


def _guard(func: F) -> F:
    """The one place that turns our errors into a one-line message and an exit code."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ConfigError, StoreError, LocalModelError, EncodingError) as exc:
            _fail(str(exc), EXIT_CONFIG)
        except RunLocked as exc:
            _fail(str(exc), EXIT_LOCKED)
        except SummarizerError as exc:
            _fail(str(exc), EXIT_NOTHING)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except OSError as exc:  # a full disk or a read-only folder when a draft or an issue is written
            where = f"{exc.filename}: " if exc.filename else ""
            hint = "free some space or fix the folder's permissions"
            _fail(f"{where}{exc.strerror or exc}; {hint}", EXIT_CONFIG)

    return wrapper  # type: ignore[return-value]


config_option = click.option("--config", "-c", metavar="FILE", help="Config file (default: ./feeds.yaml).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="jiandu-summarizer")
def cli() -> None:
    """简读: turn a day of tech news into one Chinese digest."""


def format_report(report: RunReport) -> str:
    lines = [
        f"run report for {report.digest_date or 'one article'}",
        f"  feeds:    {report.feeds_ok} ok, {report.feeds_not_modified} not modified, "
        f"{report.feeds_failed} failed",
        f"  articles: {report.articles_new} new, {report.articles_cached} cached, "
        f"{report.articles_seen_before} seen on an earlier day, {report.articles_extracted} extracted, "
        f"{report.articles_summarized} summarized, "
        f"{report.articles_skipped} skipped, {report.articles_failed} failed",
        f"  llm:      {report.llm_calls} calls, {report.input_tokens} tokens in, "
        f"{report.output_tokens} tokens out"
        + (f", cost {report.cost:.4f}" if report.cost is not None else ""),
        f"  digest:   {report.items_in_digest} items"
        + (f" -> {report.draft}" if report.draft else ", no draft written"),
        f"  time:     {report.seconds:.1f}s",
    ]
    if report.quotes_total:
        lines.insert(-1, format_checks(report))
    if not report.digest_date:  # `summarize URL`: no feeds were read and no digest was built
        lines = [line for line in lines if not line.startswith(("  feeds:", "  digest:"))]
    listed = (("failed:  ", report.errors), ("skipped: ", report.skipped), ("merged:  ", report.duplicates),
              ("already published:", report.already_published), ("续报:    ", report.follow_ups))
    lines += [f"  {label} {message}" for label, messages in listed for message in messages]
    if report.articles_over_budget:
        used = report.input_tokens + report.output_tokens
        lines.append(f"  budget:   stopped at the {report.budget}-token budget ({used} used); "
                     f"{report.articles_over_budget} articles not summarized, they wait for the next run")
    if report.items_below_importance:
        below = report.items_below_importance
        lines.append(f"  selected: {below} items below digest.min_importance left out")
    for message in report.warnings:
        lines.append(f"  warning:  {message}")
    return "\n".join(lines)


def format_checks(report: RunReport) -> str:
    """The trust-check line of the run report."""
    items = report.items_in_digest or 1
    return (
        f"  checks:   {report.flagged_items} flagged items, {report.unsupported_claims} unsupported claims, "
        f"{report.check_reasks} re-asks; quotes {report.quotes_found}/{report.quotes_total} found; "
        f"{report.full_coverage_items}/{items} items quote all three thirds"
    )


@cli.command()
@config_option
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Digest date (default: today).")
@click.option(
    "--since", metavar="SPAN", help="Time window, e.g. 24h, 36h, 2d or 'all' (default from config)."
)
@click.option(
    "--dry-run", is_flag=True, help="Fetch and extract only; print items and estimated tokens, no LLM call."
)
@click.option("--json", "as_json", is_flag=True, help="Print the run report as JSON.")
@click.option("--budget", type=click.IntRange(min=1), metavar="TOKENS",
              help="Stop summarizing once the run has used this many tokens (in + out).")
@_guard
def digest(config: str | None, day: Any, since: str | None, dry_run: bool, as_json: bool,
           budget: int | None) -> None:
    """Fetch the feeds and write today's draft to output/drafts/DATE.md."""
    settings = _settings(config)
    if since is not None:
        from .config import parse_since

        try:
            parse_since(since)
        except ValueError as exc:
            raise ConfigError(f"--since: {exc}") from exc
    reporter = reporter_for()
    try:
        report = run_digest(settings, day=day.date() if day else None, since=since, dry_run=dry_run,
                            reporter=reporter, budget=budget)
    finally:
        reporter.close()
    if dry_run:
        for item in report.dry_run_items:
            click.echo(
                f"{item['estimated_input_tokens']:>6} tokens  {item['zi']:>6}字  "
                f"{item['title']}  {item['url']}"
            )
        click.echo(
            f"{len(report.dry_run_items)} articles, about {report.estimated_input_tokens} input tokens"
        )
    if as_json:
        _echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        _echo(format_report(report), err=True)
    if not dry_run and report.draft is None:
        _fail("nothing could be summarized, no draft written", EXIT_NOTHING)


@cli.command()
@config_option
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print the item as JSON.")
@_guard
def summarize(config: str | None, url: str, as_json: bool) -> None:
    """Summarize one article URL as it would appear in the digest."""
    settings = _settings(config) if config or Path("feeds.yaml").exists() else Settings()
    reporter = reporter_for()
    try:
        result = summarize_url(settings, url, reporter=reporter)
    finally:
        reporter.close()
    if as_json:
        data = result.summary.model_dump() | {
            "url": url, "flags": [f.message for f in result.item.flags if f.trust],
            "notes": [f.message for f in result.item.flags if not f.trust]}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(render_item(result.item), nl=False)
    _echo(format_report(result.report), err=True)


@cli.command()
@config_option
@click.argument("target", metavar="URL_OR_FILE")
@_guard
def extract(config: str | None, target: str) -> None:
    """Print the clean text the pipeline would summarize."""
    settings = _settings(config) if config or Path("feeds.yaml").exists() else Settings()
    extracted = extract_only(settings, target)
    click.echo(extracted.text)
    click.echo(f"({extracted.zi} 字, from the {extracted.method})", err=True)
    why = skip_reason(extracted.text, settings.digest.min_article_chars)
    click.echo(f"the digest would skip it: {why}" if why else "the digest would summarize it", err=True)


@cli.command()
@config_option
@_guard
def feeds(config: str | None) -> None:
    """List the configured feeds with their last status."""
    settings = _settings(config)
    with Store(settings.database_path) as store:
        for feed in settings.feeds:
            stored = store.feed(settings.feed_location(feed))
            state = "never fetched"
            if stored:
                state = f"{stored.last_status} at {stored.last_checked_at}"
                if stored.failures_in_a_row:
                    state += f", {stored.failures_in_a_row} failures in a row: {stored.last_error}"
            flag = "" if feed.enabled else " (disabled)"
            click.echo(f"{feed.label}{flag}\n  {feed.url}\n  {state}")


def _latest_draft(settings: Settings) -> str:
    with Store(settings.database_path) as store:
        latest = store.latest_digest_date()
    if latest is None:
        raise ReviewError(f"{settings.database_path}: no digest to review (run `summarizer digest` first)")
    return latest


@cli.command()
@config_option
@click.argument("date", required=False)
@click.option("--list", "as_list", is_flag=True,
              help="Print the items with their number, state, URL and flags.")
@click.option("--json", "as_json", is_flag=True, help="The items as JSON (implies --list).")
@click.option("--approve-all", is_flag=True, help="Approve every item not dropped.")
@click.option(
    "--drop", "drops", multiple=True, metavar="ITEM", help="Drop an item (number or URL); repeatable."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the review page listens on.")
@click.option("--port", default=0, show_default=True, help="Port (0: any free port).")
@_guard
def review(config: str | None, date: str | None, as_list: bool, as_json: bool, approve_all: bool,
           drops: tuple[str, ...], host: str, port: int) -> None:
    """Review a draft (default: the newest): a local web page, or --list / --approve-all / --drop."""
    from .weekly.review import open_review

    settings = _settings(config)
    date = date or _latest_draft(settings)
    with Store(settings.database_path) as store:
        state = open_review(store, settings, date)
        for ref in drops:
            state.drop(ref)
            if not as_json:
                click.echo(f"dropped item {state.item(ref).id}")
        if approve_all:
            approved = state.approve_all()
            if not as_json:
                click.echo(f"approved {approved} items")
        if as_json:
            from .review.listing import review_json

            click.echo(review_json(state))
            return
        if as_list or drops or approve_all:
            if as_list:
                click.echo(format_review(state))
            click.echo(f"{date}: {state.state}")
            return
    from .web.app import ReviewApp, bind, is_loopback, new_token, serve, url_for

    token = new_token()
    sock = bind(host, port)
    if not is_loopback(host):
        click.echo(f"warning: --host {host} is not a loopback address: anyone who can reach it and learns "
                   "the URL can edit and publish this digest", err=True)
    click.echo(f"review {date} at {url_for(sock, token)}  (Ctrl-C to stop)")
    serve(ReviewApp(settings, date, token=token, host=host), sock)


def format_review(state: Review) -> str:
    from .review.listing import review_lines

    return "\n".join(review_lines(state))


@cli.command()
@config_option
@click.argument("date", required=False)
@click.option("--force", is_flag=True, help="Publish even if not every item is approved.")
@click.option(
    "--ack", "acks", multiple=True, metavar="ITEM", help="Acknowledge the trust flags of an item; repeatable."
)
@click.option("--no-push", is_flag=True, help="Write the files only; send nothing to the push targets.")
@_guard
def publish(config: str | None, date: str | None, force: bool, acks: tuple[str, ...], no_push: bool) -> None:
    """Publish a reviewed draft (default: the newest, as `review`) to output/DATE.md, feed.xml, index.md."""
    from .publish.reviewed import publish as publish_day
    from .store.lock import run_lock

    settings = _settings(config)
    date = date or _latest_draft(settings)
    # Its push and a `push --missing` at once would both deliver: the push lock, not the run lock, so
    # that an editor can publish while tonight's digest runs.
    with run_lock(settings.database_path, date, "push"), Store(settings.database_path) as store:
        result = publish_day(store, settings, date, force=force, ack=acks, push=not no_push)
    if result.changed:
        click.echo(f"published {result.path}; updated {', '.join(p.name for p in result.changed)}")
    else:
        click.echo(f"{result.path}: already published, nothing changed")
    for line in result.pushed:
        _echo(line.replace("DATE", date))
    if not settings.publish.base_url:
        click.echo("note: publish.base_url is not set, so feed.xml links are relative and readers cannot "
                   "open them", err=True)
    if result.push_failures:  # published, but not delivered everywhere: a cron job must see it
        _fail(f"{result.push_failures} of {len(result.pushed)} push targets failed; the issue is published, "
              f"`summarizer push {date} --missing` sends what did not arrive", EXIT_NOTHING)


@cli.command()
@config_option
@click.argument("date")
@click.option("--target", "only", metavar="NAME", help="Send to this push target only.")
@click.option("--missing", is_flag=True, help="Send only the messages not delivered yet (what publish does).")
@_guard
def push(config: str | None, date: str, only: str | None, missing: bool) -> None:
    """Send a published issue to the push targets again (all, or --target NAME)."""
    from .dates import check_key
    from .publish.issue import read_issue
    from .publish.push import push_issue
    from .store.lock import run_lock

    check_key(date)  # it names a file: '../../x' must never reach a path
    settings = _settings(config)
    # Two pushes at once would both find a part unsent and deliver it twice: one at a time.
    with run_lock(settings.database_path, date, "push"), Store(settings.database_path) as store:
        stored = store.review(date)
        if stored is None or stored.state != "published":
            raise ReviewError(f"{date}: not published yet (`summarizer publish {date}` first)")
        try:
            issue = read_issue(settings.output_path, date, title=stored.meta["title"],
                               base_url=settings.publish.base_url, meta=stored.meta)
        except FileNotFoundError as exc:
            missing_path = settings.output_path / f"{date}.md"
            raise ReviewError(f"{missing_path}: the published issue is missing") from exc
        if not settings.push:
            raise ConfigError("no push targets in the config (see `push:` in the README)")
        outcomes = push_issue(store, settings, issue, only=only, force=not missing)
    for outcome in outcomes:
        _echo(outcome.line().replace("DATE", date))
    failed = [o for o in outcomes if o.error]
    if failed:
        _fail(f"{len(failed)} of {len(outcomes)} push targets failed", EXIT_NOTHING)


@cli.command()
@config_option
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True,
              help="First day (YYYY-MM-DD).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), required=True,
              help="Last day (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["numbered", "issue"]), required=True,
              help="numbered: 目录 + 1、标题; issue: <name> Weekly 第 N 期 with sections.")
@click.option("--top", type=click.IntRange(1, 50), help="At most this many items (default: weekly.top, 10).")
@click.option("--image", metavar="URL", help="Lead image of a numbered weekly (http or https URL).")
@_guard
def weekly(config: str | None, start: Any, end: Any, fmt: str, top: int | None, image: str | None) -> None:
    """Write a weekly draft from the daily issues published in a date range (then review and publish it)."""
    from .weekly.run import WeeklyRequest, run_weekly

    settings = _settings(config)
    if end < start:
        raise ConfigError(f"--to {end:%Y-%m-%d} is before --from {start:%Y-%m-%d}")
    if image is not None and not re.fullmatch(r"https?://[^\s\"'<>]+", image):
        raise ConfigError(f"--image: '{image}' is not an http(s) URL")
    request = WeeklyRequest(start=start.date(), end=end.date(), format=fmt, top=top or settings.weekly.top,
                            image=image)
    reporter = reporter_for()
    try:
        report = run_weekly(settings, request, reporter=reporter)
    finally:
        reporter.close()
    click.echo(f"weekly {report.key} ({report.format}): {report.items} items from {report.stories} stories "
               f"({report.published_items} published items), {report.added} new in the draft", err=True)
    click.echo(f"  llm: {report.llm_calls} calls, {report.cached} cached, {report.input_tokens} tokens in, "
               f"{report.output_tokens} tokens out; {report.flagged_items} flagged items; "
               f"{report.seconds:.1f}s", err=True)
    for message in report.errors:
        click.echo(f"  failed:   {message}", err=True)
    click.echo(f"  draft: {report.draft}  (next: summarizer review {report.key})", err=True)


@cli.command()
@config_option
@click.option("--no-ping", is_flag=True, help="Skip the one tiny request to the model provider.")
@_guard
def doctor(config: str | None, no_ping: bool) -> None:
    """Check config, database, provider, feeds and drafts; exit 1 if anything is wrong."""
    from .pipeline.doctor import run_doctor

    checks = run_doctor(_settings(config), ping=not no_ping)
    for check in checks:
        _echo(check.line())
    failed = [c for c in checks if not c.ok]
    if failed:
        unusable = any(c.name == "database" for c in failed)  # as for every command: exit 2
        _fail(f"{len(failed)} of {len(checks)} checks failed", EXIT_CONFIG if unusable else EXIT_NOTHING)


def main() -> None:
    import signal

    # SIGTERM (systemd, timeout) unwinds like Ctrl-C, so the local server and the store close cleanly.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    cli()
