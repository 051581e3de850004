"""A weekly under review: the same states, history, approval, flags and publish step as a daily.

A weekly item is a ``ReviewItem`` whose headline is the short title and whose
one "bullet" is the prose paragraph; ``highlight`` marks the editor's picks,
which the issue format prints under ``## 我在看``. The key is ``weekly-YYYY-Www`` for the numbered
format and ``weekly-YYYY-Www-issue`` for the issue format (``dates.weekly_key``): each format of a week
is its own draft, reviewed and published on its own, and neither collides with a daily's date. The meta
row holds the format, the range, the teaser and image, and the issue number.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import Settings
from ..dates import check_key, is_weekly
from ..digest.files import write_atomic
from ..errors import DraftFormatError, ReviewError
from ..items import DROPPED, PENDING, Problem, ReviewItem
from ..jinja import inline, link_target
from ..review.state import Review, sha
from ..store import ReviewWrite, Store
from .render import PICKS, ParsedEntry, WeeklyEntry, WeeklyIssue, parse_weekly, render_weekly
from .select import labelled_links

NUMBERED_SECTION = "本周"  # a numbered weekly has one list; its items all sit in this one section


class WeeklyReview(Review):
    @classmethod
    def open(cls, store: Store, settings: Settings, date: str) -> WeeklyReview:
        """The weekly ``date`` (its key), hand edits of its draft absorbed.

        Raises ReviewError (no such weekly) or DraftFormatError (the edited draft breaks the format).
        """
        if store.review(date) is None:
            raise ReviewError(f"{date}: no weekly under review "
                              "(run `summarizer weekly --from DATE --to DATE` first)")
        review = cls(store, settings.output_path, date)
        review.absorb_draft()
        return review

    @property
    def format(self) -> str:
        return str(self.meta["format"])

    # -- the issue ------------------------------------------------------------
    def _entry(self, item: ReviewItem, with_flags: bool) -> WeeklyEntry:
        return WeeklyEntry(title=item.headline, paragraph=item.bullets[0] if item.bullets else "",
                           links=labelled_links(item.links), flags=item.unresolved if with_flags else [],
                           days=list(item.days))

    def issue(self, *, with_flags: bool = True) -> WeeklyIssue:
        live = self.live()
        meta = self.meta
        issue = WeeklyIssue(format=self.format, date=meta["end"], title=meta.get("title", ""),
                            category=meta.get("category", ""), image=meta.get("image"),
                            teaser=meta.get("teaser"))
        if self.format == "numbered":
            issue.items = [self._entry(i, with_flags) for i in live]
            return issue
        described = dict(meta.get("descriptions") or {})
        for name in self.sections:
            entries = [self._entry(i, with_flags) for i in live if i.section == name and not i.highlight]
            if entries:
                issue.sections.append((name, described.get(name, ""), entries))
        picks = sorted((i for i in live if i.highlight), key=lambda i: i.highlight)
        issue.picks = [self._entry(i, with_flags) for i in picks]
        return issue

    def render_draft(self, *, with_flags: bool = True) -> str:
        return render_weekly(self.issue(with_flags=with_flags))

    # -- operations that differ from a daily's ----------------------------------------
    def edit(self, ref: str | int, *, headline: str | None = None, emoji: str | None = None,
             bullets: list[str] | None = None, flags: list[Problem] | None = None,
             acked: list[Problem] | None = None) -> None:
        """Change the title and/or the paragraph (the first non-empty of ``bullets``); emoji is ignored."""
        item = self.item(ref)
        if headline is not None:
            headline = inline(headline)
            if not headline:
                raise ReviewError(f"item {item.id}: the title cannot be empty")
            self.change(item, "headline", headline)
        paragraph = next((inline(b) for b in bullets or [] if b.strip()), None)
        if bullets is not None and paragraph is None:
            raise ReviewError(f"item {item.id}: the paragraph cannot be empty")
        if paragraph is not None:
            self.change(item, "bullets", [paragraph])
        if flags is not None:
            self.change(item, "flags", list(flags))
            self.change(item, "acked", list(acked or []))
        self.commit()

    def replace_summary(self, ref: str | int, *, headline: str, emoji: str, bullets: list[str],
                        importance: int, flags: list[Problem] | None = None) -> None:
        raise ReviewError(f"{self.date}: a weekly item is not regenerated; edit its title and "
                          "paragraph instead")

    def move(self, ref: str | int, section: str) -> None:
        if self.format == "numbered" and section != NUMBERED_SECTION:
            raise ReviewError(f"item {self.item(ref).id}: a numbered weekly has no sections")
        super().move(ref, section)

    # -- the draft file edited by hand --------------------------------------------------
    def absorb_draft(self) -> bool:
        text = self._read_draft()
        if text is None or sha(text) == self.draft_sha:
            return False
        parsed = parse_weekly(text, fmt=self.format, name=str(self.draft_path))
        self._apply_entries(parsed.entries)
        self._apply_teaser(parsed.teaser)
        self.note(None, "editor", self.draft_sha, sha(text))
        self.commit()
        return True

    def _apply_entries(self, entries: list[ParsedEntry]) -> None:
        """The edited draft's entries onto their items; an item the draft no longer has is dropped."""
        by_link = {link_target(link): item for item in self.items.values() for link in item.links}
        seen: dict[int, int] = {}
        picks = 0
        for position, got in enumerate(entries):
            item = next((by_link[t] for t in got.links if t in by_link), None)
            if item is None or item.id in seen:
                why = "links to no item of this weekly" if item is None else "appears twice"
                raise DraftFormatError(f"{self.draft_path} line {got.line}: '{got.title}' {why}",
                                       line=got.line)
            seen[item.id] = got.line
            picks = self._apply_entry(item, got, position, picks)
        for item in self.items.values():
            if item.id not in seen and item.status != DROPPED:
                self.change(item, "status", DROPPED)

    def _apply_teaser(self, parsed: str | None) -> None:
        # A teaser deleted in the editor stays deleted ("" is kept by a re-run; None is written again).
        teaser = parsed if parsed is not None or self.format != "numbered" else ""
        if teaser is not None and teaser != inline(self.meta.get("teaser") or ""):
            self.note(None, "teaser", self.meta.get("teaser"), teaser)
            self.meta = {**self.meta, "teaser": teaser}

    def _apply_entry(self, item: ReviewItem, got: ParsedEntry, position: int, picks: int) -> int:
        """One entry of the edited draft onto its item; returns the picks counted so far."""
        if got.title != inline(item.headline):
            self.change(item, "headline", got.title)
        paragraph = " ".join(got.paragraph)
        if paragraph != inline(item.bullets[0] if item.bullets else ""):
            self.change(item, "bullets", [paragraph])
        if self.format == "issue":
            picked = got.section == PICKS
            if got.section not in self.meta["sections"] and not picked:
                raise DraftFormatError(f"{self.draft_path} line {got.line}: '{got.title}' is under no known "
                                       f"section (one of: {'、'.join([*self.meta['sections'], PICKS])})",
                                       line=got.line)
            picks += picked
            self.change(item, "highlight", picks if picked else 0)
            if not picked:
                self.change(item, "section", got.section)
        self.change(item, "position", position)
        if item.status == DROPPED:
            self.change(item, "status", PENDING)
        gone = [f for f in item.unresolved if f.message not in got.flags]
        if gone:
            self.change(item, "acked", item.acked + gone)
        return picks


def save_weekly(store: Store, output_dir: Path, key: str, meta: dict[str, Any],
                items: list[ReviewItem]) -> tuple[WeeklyReview, int]:
    """Create the weekly ``key`` under review, or add a re-run's new stories to it (every review change kept).

    Returns the review and how many items were added. Raises ReviewError if ``key`` is under review in
    another format, DraftFormatError if its draft was edited into a broken state.
    """
    stored = store.review(key)
    if stored is None:
        store.save_review(ReviewWrite(
            date=key, state="draft", meta=meta, draft_sha=None, published_sha=None, published_at=None,
            items={i.id: i for i in items},
            history=[(None, "weekly", None, f"{meta['start']}..{meta['end']}")],
        ))
        review = WeeklyReview(store, output_dir, key)
        text = review.render_draft()
        write_atomic(review.draft_path, text)
        review.draft_sha = sha(text)
        review.save({}, [])
        return review, len(items)
    if stored.meta.get("format") != meta["format"]:
        raise ReviewError(f"{key}: already under review as a {stored.meta.get('format')} weekly; publish or "
                          f"finish it, or use --format {stored.meta.get('format')}")
    review = WeeklyReview(store, output_dir, key)
    review.absorb_draft()
    known = {i.canonical_url for i in review.items.values()}
    added = 0
    for item in items:
        if item.canonical_url in known:
            continue
        item.id = max(review.items, default=0) + 1
        item.position = max((i.position for i in review.items.values()), default=-1) + 1
        review.items[item.id] = item
        review.note(item.id, "added by a new weekly run", None, item.canonical_url)
        added += 1
    # The editor's teaser stays; the range, image and number follow the latest run.
    kept = {"teaser": review.meta["teaser"]} if review.meta.get("teaser") is not None else {}
    updated = {**review.meta, **meta, **kept}
    if updated != review.meta:
        review.note(None, "new weekly run", None, f"{meta['start']}..{meta['end']}")
        review.meta = updated
    review.commit()
    return review, added


def open_review(store: Store, settings: Settings, key: str) -> Review:
    """The review under ``key``: a weekly's (weekly-YYYY-Www[-issue]) or a day's (YYYY-MM-DD).

    Raises ConfigError for a key that is neither a real day nor a real ISO week (it names files)."""
    if is_weekly(check_key(key)):
        return WeeklyReview.open(store, settings, key)
    return Review.open(store, settings, key)
