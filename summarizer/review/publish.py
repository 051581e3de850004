"""Publish a reviewed day: output/YYYY-MM-DD.md without reviewer markers, the Atom feed and the index.

Idempotent: every file is written only when its bytes would change, and the
publication time of an issue changes only when its text does, so publishing
twice changes nothing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..errors import PublishRefused
from ..jinja import environment
from ..render import write_atomic
from ..store import Store, now_iso
from ..weekly import is_weekly
from .markdown import ParsedDigest, parse_digest, strip_markers
from .state import PENDING, Review, sha

ATOM = "http://www.w3.org/2005/Atom"
FEED_ID = "tag:jiandu.local,2026:issues"


@dataclass(frozen=True)
class PublishResult:
    date: str
    path: Path
    feed: Path
    index: Path
    changed: list[Path]  # files actually (re)written; empty when nothing changed


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
            ack: list[str] | tuple[str, ...] = ()) -> PublishResult:
    """Publish ``date``. Raises PublishRefused, DraftFormatError (hand-edited draft) or ReviewError."""
    review = Review.open(store, settings, date)
    for ref in ack:
        review.ack(ref)
    check_publishable(review, force=force)
    return write_published(review, store, settings.output_path)


def write_published(review: Review, store: Store, output_dir: Path) -> PublishResult:
    """Write the issue, then the feed and the index; mark the review published (once per text)."""
    text = published_text(review)
    path = output_dir / f"{review.date}.md"
    changed: list[Path] = []
    if _write_if_changed(path, text):
        changed.append(path)
    if review.state != "published" or review.published_sha != sha(text):
        review.mark_published(sha(text), now_iso())
    feed, index = output_dir / "feed.xml", output_dir / "index.md"
    issues = _published_issues(store, output_dir)
    if _write_if_changed(feed, atom_feed(issues, title=review.meta["title"])):
        changed.append(feed)
    if _write_if_changed(index, index_markdown(issues, title=review.meta["title"])):
        changed.append(index)
    return PublishResult(date=review.date, path=path, feed=feed, index=index, changed=changed)


def _write_if_changed(path: Path, text: str) -> bool:
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, text)
    return True


@dataclass(frozen=True)
class Issue:
    date: str
    published_at: str
    text: str
    parsed: ParsedDigest


def _published_issues(store: Store, output_dir: Path) -> list[Issue]:
    issues = []
    for stored in store.reviews("published"):
        if is_weekly(stored.date):
            continue  # a weekly is in its own format; the feed and index list the daily issues
        path = output_dir / f"{stored.date}.md"
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        issues.append(Issue(stored.date, stored.published_at or "", text, parse_digest(text, name=str(path))))
    return issues


def atom_feed(issues: list[Issue], *, title: str) -> str:
    """An Atom 1.0 feed of published issues, newest first; built with ElementTree: always valid XML."""
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(root, f"{{{ATOM}}}title").text = title
    ET.SubElement(root, f"{{{ATOM}}}id").text = FEED_ID
    ET.SubElement(root, f"{{{ATOM}}}updated").text = max(
        (i.published_at for i in issues), default="1970-01-01T00:00:00+00:00"
    )
    ET.SubElement(ET.SubElement(root, f"{{{ATOM}}}author"), f"{{{ATOM}}}name").text = title
    ET.SubElement(root, f"{{{ATOM}}}link", rel="self", href="feed.xml")
    template = environment().get_template("issue.html.j2")
    for issue in issues:
        entry = ET.SubElement(root, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}title").text = f"{title} {issue.date}"
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"tag:jiandu.local,{issue.date}:issue"
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = issue.published_at
        ET.SubElement(
            entry, f"{{{ATOM}}}link", rel="alternate", href=f"{issue.date}.md", type="text/markdown"
        )
        summary = "；".join(h.headline for h in issue.parsed.highlights) or issue.parsed.items[0].headline
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = summary
        ET.SubElement(entry, f"{{{ATOM}}}content", type="html").text = template.render(issue=issue.parsed)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def index_markdown(issues: list[Issue], *, title: str) -> str:
    lines = [f"# {title}", ""]
    for issue in issues:
        top = issue.parsed.highlights[0] if issue.parsed.highlights else None
        lead = f" · {top.headline} {top.emoji}" if top else ""
        lines.append(f"- [{issue.date}]({issue.date}.md) · {len(issue.parsed.items)}条{lead}")
    return "\n".join(lines) + "\n"
