"""Publish a reviewed day: output/YYYY-MM-DD.md without reviewer markers, the Atom feed and the index.

Idempotent: every file is written only when its bytes would change, and the
publication time of an issue changes only when its text does, so publishing
twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..config import Settings
from ..dates import is_weekly
from ..digest.files import write_atomic
from ..digest.parse import strip_markers
from ..errors import PublishRefused
from ..review.state import PENDING, Review, sha
from ..store import Store, now_iso
from ..weekly.review import open_review
from .atom import atom_feed
from .issue import PublishedIssue, page_html, read_issue, wechat_html
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
    """The issue as readers get it: the reference format, no reviewer marker line."""
    return strip_markers(review.render_draft(with_flags=False))


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
    result = write_published(review, store, settings.output_path, base_url=base_url)
    if not push or not settings.push or is_weekly(review.date):
        return result  # a weekly is not in the daily format the push messages are cut from
    from .push import push_issue

    issue = read_issue(settings.output_path, review.date, title=review.meta["title"], base_url=base_url)
    outcomes = push_issue(store, settings, issue)
    return PublishResult(date=result.date, path=result.path, feed=result.feed, index=result.index,
                         changed=result.changed, pushed=[outcome.line() for outcome in outcomes],
                         push_failures=sum(1 for outcome in outcomes if outcome.error))


def write_published(review: Review, store: Store, output_dir: Path, *,
                    base_url: str | None = None) -> PublishResult:
    """Write the issue (Markdown, HTML, 公众号 HTML), then the feed and the index; mark it published."""
    text = published_text(review)
    path = output_dir / f"{review.date}.md"
    changed: list[Path] = []
    if _write_if_changed(path, text):
        changed.append(path)
    if review.state != "published" or review.published_sha != sha(text):
        review.mark_published(sha(text), now_iso())
    title = review.meta["title"]
    if not is_weekly(review.date):
        record_stories(review, store)  # later nights leave out what this issue told, or mark 续报
        changed += _write_pages(output_dir, review.date, title=title, base_url=base_url)
    feed, index = output_dir / "feed.xml", output_dir / "index.md"
    issues = _published_issues(store, output_dir, title=title, base_url=base_url)
    if _write_if_changed(feed, atom_feed(issues, title=title, base_url=base_url)):
        changed.append(feed)
    if _write_if_changed(index, index_markdown(issues, title=title)):
        changed.append(index)
    return PublishResult(date=review.date, path=path, feed=feed, index=index, changed=changed)


def _write_pages(output_dir: Path, date: str, *, title: str, base_url: str | None) -> list[Path]:
    """The daily issue as a plain HTML page and as 公众号-ready HTML; the files rewritten."""
    issue = read_issue(output_dir, date, title=title, base_url=base_url)
    pages = ((f"{date}.html", page_html(issue)), (f"{date}.wechat.html", wechat_html(issue)))
    changed = []
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
    issues = []
    for stored in store.reviews("published"):
        if is_weekly(stored.date):
            continue  # a weekly is in its own format; the feed and index list the daily issues
        if not (output_dir / f"{stored.date}.md").exists():
            continue
        issues.append(read_issue(output_dir, stored.date, title=stored.meta.get("title", title),
                                 base_url=base_url, published_at=stored.published_at or ""))
    return issues


def index_markdown(issues: list[PublishedIssue], *, title: str) -> str:
    lines = [f"# {title}", ""]
    for issue in issues:
        top = issue.highlights[0] if issue.highlights else None
        lead = f" · {top.headline} {top.emoji}" if top else ""
        lines.append(f"- [{issue.date}]({issue.date}.md) · {len(issue.items)}条{lead}")
    return "\n".join(lines) + "\n"
