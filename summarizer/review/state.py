"""One day's digest under review: draft -> reviewed -> published, every change kept in the store's history.

The state lives in SQLite (``Store.save_review``), never only in a browser or a
process: each operation writes the changed items and one history line per
changed value in one transaction, then re-renders ``output/drafts/DATE.md`` so
a reviewer's editor always shows the current version. A draft file edited by
hand is read back (``absorb_draft``) the next time the review is opened.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..dates import check_key
from ..digest.build import Digest, compute_stats
from ..digest.files import read_text, write_atomic
from ..digest.parse import parse_digest
from ..digest.render import render_markdown
from ..errors import ReviewError
from ..items import APPROVED, DROPPED, PENDING, DigestItem, Problem, ReviewItem
from ..jinja import inline
from ..store import ReviewWrite, Store
from ..text import split_emoji
from .absorb import apply_draft

__all__ = ["APPROVED", "DROPPED", "PENDING", "STATES", "Review", "ReviewItem", "import_draft", "sha"]

STATES = ("draft", "reviewed", "published")


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _show(value: object) -> str:
    # History shows a trust problem as the line the reviewer saw.
    return value if isinstance(value, str) else json.dumps(
        value, ensure_ascii=False, default=lambda v: v.message if isinstance(v, Problem) else str(v))


@dataclass
class _Pending:
    """Changes of the operation in progress: history lines, and the ids of the items to save."""

    changes: list[tuple[int | None, str, str | None, str | None]] = field(default_factory=list)
    dirty: set[int] = field(default_factory=set)


class Review:
    """A digest under review, loaded from the store; every operation saves at once."""

    def __init__(self, store: Store, output_dir: Path, date: str) -> None:
        stored = store.review(date)
        if stored is None:
            raise ReviewError(f"{date}: no digest under review (run `summarizer digest --date {date}` first)")
        self.store, self.output_dir, self.date = store, output_dir, date
        self.state = stored.state
        self.meta = stored.meta
        self.draft_sha = stored.draft_sha
        self.published_sha = stored.published_sha
        self.published_at = stored.published_at
        self.items = store.review_items(date)
        # Changes of the current operation: history lines and the ids of items to save.
        self._pending = _Pending()

    # -- opening ------------------------------------------------------------
    @classmethod
    def open(cls, store: Store, settings: Settings, date: str) -> Review:
        """The review for ``date``: imported from the run's digest the first time, hand edits absorbed.

        Raises ReviewError (no draft) or DraftFormatError (the edited draft breaks the format),
        ConfigError for a DATE that is not YYYY-MM-DD (it names files).
        """
        check_key(date)
        if store.review(date) is None:
            import_draft(store, settings, date)
        review = cls(store, settings.output_path, date)
        review.merge_new_run()
        review.absorb_draft()
        return review

    @property
    def draft_path(self) -> Path:
        return self.output_dir / "drafts" / f"{self.date}.md"

    @property
    def sections(self) -> list[str]:
        names: list[str] = list(self.meta["sections"])
        return names + sorted({i.section for i in self.items.values()} - set(names))

    # -- views --------------------------------------------------------------
    def live(self) -> list[ReviewItem]:
        """Items not dropped, in digest order (section order, then position)."""
        order = {name: n for n, name in enumerate(self.sections)}
        kept = [i for i in self.items.values() if i.status != DROPPED]
        return sorted(kept, key=lambda i: (order[i.section], i.position, i.id))

    def dropped(self) -> list[ReviewItem]:
        return sorted((i for i in self.items.values() if i.status == DROPPED), key=lambda i: i.id)

    def digest(self, *, with_flags: bool = True) -> Digest:
        live = self.live()
        sections = [(name, [i.digest_item(with_flags=with_flags) for i in live if i.section == name])
                    for name in self.sections]
        stats = compute_stats(sum(i.source_zi for i in live), sum(d.zi for _, ds in sections for d in ds),
                              int(self.meta["reading_speed"]))
        return Digest(date=self.date, title=self.meta["title"], purpose=self.meta["purpose"],
                      sections=[(n, items) for n, items in sections if items], stats=stats)

    def item(self, ref: str | int) -> ReviewItem:
        """An item by its number (as `review --list` shows it) or by its canonical URL."""
        text = str(ref).strip()
        if text.isdigit() and int(text) in self.items:
            return self.items[int(text)]
        for item in self.items.values():
            if text in (item.canonical_url, *item.links):
                return item
        raise ReviewError(f"{self.date}: no item '{text}' (see `summarizer review {self.date} --list`)")

    # -- operations ---------------------------------------------------------
    def approve(self, ref: str | int) -> None:
        self.change(self.item(ref), "status", APPROVED)
        self.commit()

    def approve_all(self) -> int:
        pending = [i for i in self.live() if i.status == PENDING]
        for item in pending:
            self.change(item, "status", APPROVED)
        self.commit()
        return len(pending)

    def drop(self, ref: str | int) -> None:
        item = self.item(ref)
        self.change(item, "status", DROPPED)
        if item.highlight:
            self.change(item, "highlight", 0)
        self.commit()

    def restore(self, ref: str | int) -> None:
        self.change(self.item(ref), "status", PENDING)
        self.commit()

    def edit(self, ref: str | int, *, headline: str | None = None, emoji: str | None = None,
             bullets: list[str] | None = None, flags: list[Problem] | None = None,
             acked: list[Problem] | None = None) -> None:
        """Change headline / emoji / bullets (and the flags re-checked on them: ``editing.checked_edit``).

        Raises ReviewError if the result breaks the digest format.
        """
        item = self.item(ref)
        if headline is not None:
            # Stored as it will be printed: Markdown/HTML control characters cannot reach the issue.
            headline = inline(headline)
            if not headline:
                raise ReviewError(f"item {item.id}: the headline cannot be empty")
            self.change(item, "headline", headline)
        if emoji is not None:
            found = split_emoji(emoji)
            if not found or len(found) > 3:
                raise ReviewError(f"item {item.id}: emoji must be 1 to 3 emoji, got '{emoji}'")
            self.change(item, "emoji", "".join(found))
        if bullets is not None:
            cleaned = [inline(b) for b in bullets]
            if len(cleaned) != 3 or not all(cleaned):
                raise ReviewError(f"item {item.id}: exactly 3 non-empty bullets are needed")
            self.change(item, "bullets", cleaned)
        if flags is not None:
            self.change(item, "flags", list(flags))
            self.change(item, "acked", list(acked or []))
        self.commit()

    def move(self, ref: str | int, section: str) -> None:
        item = self.item(ref)
        if section not in self.meta["sections"]:
            raise ReviewError(f"item {item.id}: unknown section '{section}'")
        if section != item.section:
            last = max((i.position for i in self.items.values() if i.section == section), default=-1)
            self.change(item, "section", section)
            self.change(item, "position", last + 1)
        self.commit()

    def toggle_highlight(self, ref: str | int) -> None:
        item = self.item(ref)
        if item.highlight:
            self.change(item, "highlight", 0)
        else:
            self.change(item, "highlight", max((i.highlight for i in self.items.values()), default=0) + 1)
        self.commit()

    def reorder(self, ref: str | int, delta: int) -> None:
        """Move an item up (-1) or down (+1) inside its section by swapping with its neighbour."""
        item = self.item(ref)
        peers = [i for i in self.live() if i.section == item.section]
        at = peers.index(item) if item in peers else -1
        other = at + delta
        if at >= 0 and 0 <= other < len(peers):
            # Renumber the section first so equal or sparse positions still swap cleanly.
            for n, peer in enumerate(peers):
                if peer.position != n:
                    self.change(peer, "position", n)
            neighbour = peers[other]
            self.change(item, "position", other)
            self.change(neighbour, "position", at)
        self.commit()

    def ack(self, ref: str | int) -> None:
        """Acknowledge every flag of an item: the reviewer checked it; publish may go ahead."""
        item = self.item(ref)
        if item.unresolved:
            self.change(item, "acked", list(item.flags))
        self.commit()

    def replace_summary(self, ref: str | int, *, headline: str, emoji: str, bullets: list[str],
                        importance: int, flags: list[Problem] | None = None) -> None:
        """A regenerated summary replaces the item's text; the old one stays in the history; review again."""
        item = self.item(ref)
        self.change(item, "headline", headline)
        self.change(item, "emoji", emoji)
        self.change(item, "bullets", list(bullets))
        self.change(item, "importance", importance)
        # The old flags were about the old text; trust checks of the new text (if any) come in ``flags``.
        self.change(item, "flags", list(flags or []))
        self.change(item, "acked", [])
        if item.status == APPROVED:
            self.change(item, "status", PENDING)
        self._pending.changes.append((item.id, "regenerate", None, None))
        self.commit()

    def mark_published(self, published_sha: str, at: str) -> None:
        self._pending.changes.append((None, "state", self.state, "published"))
        self.state = "published"
        if published_sha != self.published_sha:
            self.published_sha, self.published_at = published_sha, at
        self.commit(keep_state=True)

    def render_draft(self, *, with_flags: bool = True) -> str:
        """The draft Markdown of the current state (a weekly renders its own format)."""
        return render_markdown(self.digest(with_flags=with_flags))

    def reopen(self) -> None:
        """Open a published issue for changes: the published file stays as it is until published again."""
        if self.state != "published":
            return
        self._pending.changes.append((None, "reopen", None, None))
        self.commit()  # derives reviewed (or draft) again; published_sha/_at still name the published text

    # -- saving: the protected API of subclasses (weekly.review) and helpers (absorb) --------------------
    def change(self, item: ReviewItem, name: str, value: Any) -> None:
        """Set ``item.name`` to ``value`` in the operation in progress (a history line if it changed)."""
        old = getattr(item, name)
        if old == value:
            return
        setattr(item, name, value)
        self._pending.changes.append((item.id, name, _show(old), _show(value)))
        self._pending.dirty.add(item.id)

    def note(self, item_id: int | None, what: str, old: str | None, new: str | None) -> None:
        """One history line of the operation in progress; an item it names is saved with it."""
        self._pending.changes.append((item_id, what, old, new))
        if item_id is not None:
            self._pending.dirty.add(item_id)

    def derived_state(self) -> str:
        live = self.live()
        return "reviewed" if live and all(i.status == APPROVED for i in live) else "draft"

    def commit(self, *, keep_state: bool = False) -> None:
        """Save the operation in progress: its items, its history lines, the derived state and the draft."""
        changes = self._pending.changes
        if not changes:
            return
        if not keep_state:
            new_state = self.derived_state()
            if new_state != self.state:
                changes.append((None, "state", self.state, new_state))
                self.state = new_state
        draft = self.render_draft()
        if draft != self._read_draft():
            write_atomic(self.draft_path, draft)
        self.draft_sha = sha(draft)
        self.save({i: self.items[i] for i in self._pending.dirty}, changes)
        self._pending = _Pending()

    def save(
        self, items: dict[int, ReviewItem], history: list[tuple[int | None, str, str | None, str | None]]
    ) -> None:
        """Write the review's row with ``items`` and ``history`` as they are (no state derived)."""
        self.store.save_review(ReviewWrite(
            date=self.date, state=self.state, meta=self.meta, draft_sha=self.draft_sha,
            published_sha=self.published_sha, published_at=self.published_at, items=items, history=history,
        ))

    def _read_draft(self) -> str | None:
        try:
            return read_text(self.draft_path)
        except FileNotFoundError:
            return None

    # -- a new digest run of the same day --------------------------------------
    def merge_new_run(self) -> int:
        """A digest run after review began recorded a new digest: keep every review change, add new items.

        Without this, the rewritten Markdown would look like a hand edit and silently undo the reviewer's
        work.
        """
        stored = self.store.digest(self.date)
        if stored is None or stored.sha == self.meta.get("digest_sha"):
            return 0
        known = {i.canonical_url for i in self.items.values()}
        added = 0
        for new in stored.items:
            if new.canonical_url in known:
                continue
            _add(self, new, "added by a new digest run")
            added += 1
        self.note(None, "new digest run", self.meta.get("digest_sha"), stored.sha)
        self.meta = {**self.meta, "digest_sha": stored.sha}
        self.commit()
        return added

    def add_item(self, new: DigestItem, what: str) -> ReviewItem:
        """An item the editor brings into the issue (an 已报道 page brought back), at its section's end."""
        if any(i.canonical_url == new.canonical_url for i in self.items.values()):
            raise ReviewError(f"{new.canonical_url} is already an item of {self.date}")
        item = _add(self, new, what)
        self.commit()
        return item

    # -- the draft file edited by hand ---------------------------------------
    def absorb_draft(self) -> bool:
        """Read back a draft edited in an editor since we last wrote it.

        Raises DraftFormatError naming the line."""
        text = self._read_draft()
        if text is None or sha(text) == self.draft_sha:
            return False
        parsed = parse_digest(text, sections=list(self.meta["sections"]), name=str(self.draft_path))
        apply_draft(self, parsed)
        self.note(None, "editor", self.draft_sha, sha(text))
        self.commit()
        return True


def _add(review: Review, new: DigestItem, what: str) -> ReviewItem:
    """``new`` under review at the end of its section (saved by the caller's commit)."""
    items = review.items
    position = max((i.position for i in items.values() if i.section == new.section), default=-1) + 1
    item = ReviewItem.under_review(new, item_id=max(items, default=0) + 1, position=position)
    item.highlight = 0
    items[item.id] = item
    review.note(item.id, what, None, item.canonical_url)
    return item


def import_draft(store: Store, settings: Settings, date: str) -> None:
    """Start reviewing ``date`` from the digest the run recorded. Raises ReviewError without one."""
    stored = store.digest(date)
    if stored is None:
        raise ReviewError(f"{store.path}: no digest for {date} (run `summarizer digest --date {date}` first)")
    items: dict[int, ReviewItem] = {}
    positions: dict[str, int] = {}
    for new in stored.items:
        position = positions[new.section] = positions.get(new.section, -1) + 1
        item = ReviewItem.under_review(new, item_id=len(items) + 1, position=position)
        items[item.id] = item
    meta = {"title": stored.title, "purpose": stored.purpose, "sections": settings.digest.section_names,
            "reading_speed": settings.digest.reading_speed, "digest_sha": stored.sha}
    store.save_review(
        ReviewWrite(
            date=date,
            state="draft",
            meta=meta,
            draft_sha=None,
            published_sha=None,
            published_at=None,
            items=items,
            history=[(None, "import", None, f"run {stored.run_id}")],
        )
    )
    review = Review(store, settings.output_path, date)
    # What we would write now: if the file on disk differs, it was edited by hand and absorb_draft reads it.
    review.draft_sha = sha(render_markdown(review.digest()))
    review.save({}, [])
