"""Publish a reviewed day or week: output/KEY.md without reviewer markers, its pages, the site (index.html,
each issue's page with its neighbours), the Atom and JSON feeds and index.md.

Idempotent: every file is written only when its bytes would change, and the
publication time of an issue changes only when its text does, so publishing
twice changes nothing. Publishing a changed issue again is a correction: the
issue says 更正, when and what changed, and its feed entry's updated date moves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..dates import is_weekly
from ..digest.files import write_atomic
from ..digest.parse import CORRECTION_PREFIX, TRUST_PREFIX, parse_digest, strip_markers
from ..errors import PublishRefused
from ..review.state import PENDING, Review, sha
from ..store import Store, now_iso
from ..weekly.render import parse_weekly
from ..weekly.review import WeeklyReview, open_review
from .atom import atom_feed
from .issue import STYLESHEET, PublishedIssue, page_html, read_issue, wechat_html
from .jsonfeed import NAME as JSON_FEED
from .jsonfeed import json_feed
from .reader import item_passages, trust_line, weekly_passages, what_changed
from .site import Listed, daily_listed, index_html, stylesheet, weekly_html
from .stories import record_stories


@dataclass(frozen=True)
class PublishResult:
    date: str
    path: Path
    feed: Path
    index: Path
    changed: list[Path]  # files actually (re)written; empty when nothing changed
    pushed: list[str] = field(default_factory=list)  # one line per push target (sent, skipped, failed)
    push_failures: int = 0  # targets that failed: the caller must say so loudly (the files stand)


def published_text(review: Review) -> str:
    """The issue as reviewed: the reference format, no reviewer marker line (nor the trust line)."""
    return strip_markers(review.render_draft(with_flags=False))


def without_reader_lines(text: str) -> str:
    """A published DATE.md without its trust and correction lines: the text the review rendered."""
    kept = [line for line in text.split("\n") if not line.startswith((TRUST_PREFIX, CORRECTION_PREFIX))]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept))


def with_reader_lines(text: str, lines: list[str]) -> str:
    """``text`` with ``lines`` (quote lines) after the 看点 stats line."""
    out = text.split("\n")
    at = next(n for n, line in enumerate(out) if line.startswith("> 原文共计"))
    return "\n".join(out[: at + 1] + [part for line in lines for part in ("", line)] + out[at + 1:])


def check_publishable(review: Review, *, force: bool) -> None:
    """Raises PublishRefused naming what is missing: approval of items, acknowledgement of flags."""
    if review.state not in ("reviewed", "published") and not force:
        # By number, as `review --list` shows them (live() is in section order: 10, 11, 9).
        pending = [str(i.id) for i in sorted(review.live(), key=lambda i: i.id) if i.status == PENDING]
        what = f"items {', '.join(pending)} not approved" if pending else "no item left"
        raise PublishRefused(f"{review.date}: the draft is not reviewed ({what}); approve them "
                             f"(`summarizer review {review.date} --approve-all`) or pass --force")
    flagged = [i for i in sorted(review.live(), key=lambda i: i.id) if i.unresolved]
    if flagged:
        listing = "; ".join(f"item {i.id}: {i.unresolved[0].message}" + (f" (+{len(i.unresolved) - 1})"
                                                                  if len(i.unresolved) > 1 else "")
                            for i in flagged)
        raise PublishRefused(f"{review.date}: unacknowledged trust flags ({listing}); check each and pass "
                             f"--ack ITEM, or acknowledge it on the review page")


def publish(store: Store, settings: Settings, date: str, *, force: bool = False,
            ack: list[str] | tuple[str, ...] = (), push: bool = True) -> PublishResult:
    """Publish ``date``, then push it to the configured targets not yet sent to.

    Raises PublishRefused, DraftFormatError (hand-edited draft) or ReviewError; a failed push target is
    a line of the result and counted in ``push_failures``, never an exception: the issue is published.
    """
    review = open_review(store, settings, date)
    for ref in ack:
        review.ack(ref)
    check_publishable(review, force=force)
    return publish_reviewed(review, store, settings, push=push)


def publish_reviewed(review: Review, store: Store, settings: Settings, *, push: bool = True) -> PublishResult:
    """Write the checked review's files, then push the issue to every target it has not reached yet."""
    base_url = settings.publish.base_url
    result = write_published(review, store, settings)
    if not push or not settings.push or is_weekly(review.date):
        return result  # a weekly is not in the daily format the push messages are cut from
    from .push import push_issue

    issue = read_issue(settings.output_path, review.date, title=review.meta["title"], base_url=base_url,
                       meta=review.meta)
    outcomes = push_issue(store, settings, issue)
    return PublishResult(date=result.date, path=result.path, feed=result.feed, index=result.index,
                         changed=result.changed, pushed=[outcome.line() for outcome in outcomes],
                         push_failures=sum(1 for outcome in outcomes if outcome.error))


def _reader_text(review: Review, store: Store, settings: Settings, text: str,
                 old: str | None) -> tuple[str, dict[str, Any]]:
    """The daily issue as published (trust line, corrections) and the review meta that goes with it."""
    live = review.live()
    passages = {bullet: p for item in live for bullet, p in item_passages(store, item).items()}
    meta = dict(review.meta)
    corrections = list(meta.get("corrections") or [])
    if review.published_sha and old is not None and without_reader_lines(old) != text:
        at = now_iso()
        shown = at.replace("T", " ").replace("+00:00", " UTC")
        what = what_changed(parse_digest(without_reader_lines(old)), parse_digest(text))
        corrections.append(f"{CORRECTION_PREFIX}（{shown}）：{what}")
    if corrections:
        meta["corrections"] = corrections
    meta["evidence"] = [[bullet, p.url, p.text] for bullet, p in passages.items()]
    meta["first_published"] = meta.get("first_published") or review.published_at or now_iso()
    line = "> " + trust_line(store, live, passages, settings.checks)
    return with_reader_lines(text, [line, *corrections]), meta


def write_published(review: Review, store: Store, settings: Settings) -> PublishResult:
    """Write the issue (Markdown and its pages), then the site, the feeds and the index; mark it published."""
    output_dir, base_url = settings.output_path, settings.publish.base_url
    text = published_text(review)
    path = output_dir / f"{review.date}.md"
    old = path.read_text(encoding="utf-8") if path.exists() else None
    meta = dict(review.meta)
    if not is_weekly(review.date):
        text, meta = _reader_text(review, store, settings, text, old)
    changed: list[Path] = []
    if _write_if_changed(path, text):
        changed.append(path)
    if review.state != "published" or review.published_sha != sha(text) or meta != review.meta:
        review.meta = meta
        review.mark_published(sha(text), now_iso())
    title = review.meta["title"]
    if isinstance(review, WeeklyReview):
        changed += _write_weekly_page(review, store, settings)
    else:
        record_stories(review, store)  # later nights leave out what this issue told, or mark 续报
    issues = _published_issues(store, output_dir, title=title, base_url=base_url)
    changed += _write_pages(output_dir, issues)
    feed, index = output_dir / "feed.xml", output_dir / "index.md"
    site_title = title if not is_weekly(review.date) else (issues[0].title if issues else title)
    outputs = [(feed, atom_feed(issues, title=site_title, base_url=base_url)),
               (output_dir / JSON_FEED, json_feed(issues, title=site_title, base_url=base_url)),
               (index, index_markdown(issues, title=site_title)),
               (output_dir / "index.html", index_html(_listed(store, output_dir, issues), title=site_title,
                                                      feed="feed.xml")),
               (output_dir / STYLESHEET, stylesheet())]
    for target, content in outputs:
        if _write_if_changed(target, content):
            changed.append(target)
    return PublishResult(date=review.date, path=path, feed=feed, index=index, changed=changed)


def _write_weekly_page(review: WeeklyReview, store: Store, settings: Settings) -> list[Path]:
    """output/KEY.html: the weekly as published, each paragraph's passage linked, its trust line."""
    live = review.live()
    passages = {key: p for item in live for key, p in weekly_passages(store, item).items()}
    trust = trust_line(store, live, passages, settings.checks, unit="段短评")
    html = weekly_html(review.date, review.issue(with_flags=False), heading=_weekly_heading(review.meta),
                       feed="feed.xml", trust=trust, passages=passages)
    path = settings.output_path / f"{review.date}.html"
    return [path] if _write_if_changed(path, html) else []


def _weekly_heading(meta: dict[str, Any]) -> str:
    """'简读 Weekly 第 3 期 2026-11-16–2026-11-22'; a numbered weekly has no issue number of its own."""
    title = str(meta.get("title") or "周刊")
    if meta.get("format") == "numbered":
        title = re.sub(r"\s*第 \d+ 期$", "", title) + " · 编号版"
    return f"{title} {meta.get('start', '')}–{meta.get('end', '')}"


def _write_pages(output_dir: Path, issues: list[PublishedIssue]) -> list[Path]:
    """Every daily issue as a plain HTML page (linked to its neighbours) and as 公众号-ready HTML."""
    changed = []
    dates = [issue.date for issue in issues]  # newest first
    for n, issue in enumerate(issues):
        previous = dates[n + 1] if n + 1 < len(dates) else None
        following = dates[n - 1] if n > 0 else None
        pages = ((f"{issue.date}.html", page_html(issue, previous=previous, following=following)),
                 (f"{issue.date}.wechat.html", wechat_html(issue)))
        for name, html in pages:
            if _write_if_changed(output_dir / name, html):
                changed.append(output_dir / name)
    return changed


def _write_if_changed(path: Path, text: str) -> bool:
    try:
        if path.read_bytes() == text.encode("utf-8"):  # bytes: a copy saved in GBK is just replaced
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, text)
    return True


def _published_issues(store: Store, output_dir: Path, *, title: str,
                      base_url: str | None) -> list[PublishedIssue]:
    """The published daily issues, newest first."""
    issues = []
    for stored in store.reviews("published"):
        if is_weekly(stored.date):
            continue  # a weekly is in its own format; the feeds and index.md list the daily issues
        if not (output_dir / f"{stored.date}.md").exists():
            continue
        issues.append(read_issue(output_dir, stored.date, title=stored.meta.get("title", title),
                                 base_url=base_url, published_at=stored.published_at or "", meta=stored.meta))
    return sorted(issues, key=lambda issue: issue.date, reverse=True)


def _listed(store: Store, output_dir: Path, issues: list[PublishedIssue]) -> list[Listed]:
    """index.html's lines: the daily issues and every published weekly that has its page."""
    listed = [daily_listed(issue) for issue in issues]
    for stored in store.reviews("published"):
        md = output_dir / f"{stored.date}.md"
        if not is_weekly(stored.date) or not (output_dir / f"{stored.date}.html").exists() or not md.exists():
            continue
        fmt = str(stored.meta.get("format", "numbered"))
        entries = parse_weekly(md.read_text(encoding="utf-8"), fmt=fmt, name=str(md)).entries
        lead = stored.meta.get("teaser") or "；".join(e.title for e in entries[:3])
        kind = "周刊"
        listed.append(Listed(date=str(stored.meta.get("end", "")), page=f"{stored.date}.html",
                             title=_weekly_heading(stored.meta), kind=kind, items=len(entries), lead=lead))
    return listed


def index_markdown(issues: list[PublishedIssue], *, title: str) -> str:
    lines = [f"# {title}", ""]
    for issue in issues:
        top = issue.highlights[0] if issue.highlights else None
        lead = f" · {top.headline} {top.emoji}" if top else ""
        lines.append(f"- [{issue.date}]({issue.date}.md) · {len(issue.items)}条{lead}")
    return "\n".join(lines) + "\n"
