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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..digest import Digest, DigestItem, compute_stats
from ..errors import DraftFormatError, ReviewError
from ..render import inline, link_target, render_markdown, write_atomic
from ..store import ReviewWrite, Store
from ..text import split_emoji
from .markdown import ParsedDigest, parse_digest

STATES = ("draft", "reviewed", "published")
PENDING, APPROVED, DROPPED = "pending", "approved", "dropped"


@dataclass
class ReviewItem:
    id: int
    canonical_url: str
    headline: str
    emoji: str
    section: str
    bullets: list[str]
    links: list[str]
    source: str
    source_title: str
    source_zi: int
    importance: int
    position: int
    published: str | None = None
    highlight: int = 0  # 0: not in 看点; otherwise its place in the 看点 list
    status: str = PENDING
    flags: list[str] = field(default_factory=list)
    acked: list[str] = field(default_factory=list)  # flags the reviewer has acknowledged
    sources: int = 1  # feeds that carried the story

    @property
    def unresolved(self) -> list[str]:
        return [f for f in self.flags if f not in self.acked]

    def digest_item(self, *, with_flags: bool = True) -> DigestItem:
        return DigestItem(
            canonical_url=self.canonical_url, headline=self.headline, emoji=self.emoji, section=self.section,
            bullets=list(self.bullets), importance=self.importance, links=list(self.links), source=self.source,
            source_title=self.source_title, source_zi=self.source_zi, published=self.published,
            flags=self.unresolved if with_flags else [], sources=self.sources,
        )

    def data(self) -> dict[str, Any]:
        return asdict(self)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _show(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


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
        self.items = {i: ReviewItem(**data) for i, data in store.review_items(date).items()}
        # Changes of the current operation: history lines and the ids of items to save.
        self._changes: list[tuple[int | None, str, str | None, str | None]] = []
        self._dirty: set[int] = set()

    # -- opening ------------------------------------------------------------
    @classmethod
    def open(cls, store: Store, settings: Settings, date: str) -> "Review":
        """The review for ``date``: imported from the pipeline's draft the first time, hand edits absorbed.

        Raises ReviewError (no draft) or DraftFormatError (the edited draft breaks the format).
        """
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
        by_id = {i.id: d for i, d in zip(live, [d for _, ds in sections for d in ds])}
        highlights = [by_id[i.id] for i in sorted((i for i in live if i.highlight), key=lambda i: i.highlight)]
        stats = compute_stats(sum(i.source_zi for i in live), sum(d.zi for d in by_id.values()),
                              int(self.meta["reading_speed"]))
        return Digest(date=self.date, title=self.meta["title"], purpose=self.meta["purpose"],
                      sections=[(n, items) for n, items in sections if items], highlights=highlights, stats=stats)

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
        self._set(self.item(ref), "status", APPROVED)
        self._commit()

    def approve_all(self) -> int:
        pending = [i for i in self.live() if i.status == PENDING]
        for item in pending:
            self._set(item, "status", APPROVED)
        self._commit()
        return len(pending)

    def drop(self, ref: str | int) -> None:
        item = self.item(ref)
        self._set(item, "status", DROPPED)
        if item.highlight:
            self._set(item, "highlight", 0)
        self._commit()

    def restore(self, ref: str | int) -> None:
        self._set(self.item(ref), "status", PENDING)
        self._commit()

    def edit(self, ref: str | int, *, headline: str | None = None, emoji: str | None = None,
             bullets: list[str] | None = None) -> None:
        """Change headline / emoji / bullets. Raises ReviewError if the result breaks the digest format."""
        item = self.item(ref)
        if headline is not None:
            # Stored as it will be printed: Markdown/HTML control characters cannot reach the issue.
            headline = inline(headline)
            if not headline:
                raise ReviewError(f"item {item.id}: the headline cannot be empty")
            self._set(item, "headline", headline)
        if emoji is not None:
            found = split_emoji(emoji)
            if not found or len(found) > 3:
                raise ReviewError(f"item {item.id}: emoji must be 1 to 3 emoji, got '{emoji}'")
            self._set(item, "emoji", "".join(found))
        if bullets is not None:
            cleaned = [inline(b) for b in bullets]
            if len(cleaned) != 3 or not all(cleaned):
                raise ReviewError(f"item {item.id}: exactly 3 non-empty bullets are needed")
            self._set(item, "bullets", cleaned)
        self._commit()

    def move(self, ref: str | int, section: str) -> None:
        item = self.item(ref)
        if section not in self.meta["sections"]:
            raise ReviewError(f"item {item.id}: unknown section '{section}'")
        if section != item.section:
            last = max((i.position for i in self.items.values() if i.section == section), default=-1)
            self._set(item, "section", section)
            self._set(item, "position", last + 1)
        self._commit()

    def toggle_highlight(self, ref: str | int) -> None:
        item = self.item(ref)
        if item.highlight:
            self._set(item, "highlight", 0)
        else:
            self._set(item, "highlight", max((i.highlight for i in self.items.values()), default=0) + 1)
        self._commit()

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
                    self._set(peer, "position", n)
            neighbour = peers[other]
            self._set(item, "position", other)
            self._set(neighbour, "position", at)
        self._commit()

    def ack(self, ref: str | int) -> None:
        """Acknowledge every flag of an item: the reviewer checked it; publish may go ahead."""
        item = self.item(ref)
        if item.unresolved:
            self._set(item, "acked", list(item.flags))
        self._commit()

    def replace_summary(self, ref: str | int, *, headline: str, emoji: str, bullets: list[str],
                        importance: int, flags: list[str] | None = None) -> None:
        """A regenerated summary replaces the item's text; the old one stays in the history; review it again."""
        item = self.item(ref)
        self._set(item, "headline", headline)
        self._set(item, "emoji", emoji)
        self._set(item, "bullets", list(bullets))
        self._set(item, "importance", importance)
        # The old flags were about the old text; trust checks of the new text (if any) come in ``flags``.
        self._set(item, "flags", list(flags or []))
        self._set(item, "acked", [])
        if item.status == APPROVED:
            self._set(item, "status", PENDING)
        self._changes.append((item.id, "regenerate", None, None))
        self._commit()

    def mark_published(self, published_sha: str, at: str) -> None:
        self._changes.append((None, "state", self.state, "published"))
        self.state = "published"
        if published_sha != self.published_sha:
            self.published_sha, self.published_at = published_sha, at
        self._commit(keep_state=True)

    # -- saving -------------------------------------------------------------
    def _set(self, item: ReviewItem, name: str, value: Any) -> None:
        old = getattr(item, name)
        if old == value:
            return
        setattr(item, name, value)
        self._changes.append((item.id, name, _show(old), _show(value)))
        self._dirty.add(item.id)

    def derived_state(self) -> str:
        live = self.live()
        return "reviewed" if live and all(i.status == APPROVED for i in live) else "draft"

    def _commit(self, *, keep_state: bool = False) -> None:
        changes = self._changes
        if not changes:
            return
        if not keep_state:
            new_state = self.derived_state()
            if new_state != self.state:
                changes.append((None, "state", self.state, new_state))
                self.state = new_state
        draft = render_markdown(self.digest())
        if draft != self._read_draft():
            write_atomic(self.draft_path, draft)
        self.draft_sha = sha(draft)
        self._save({i: self.items[i].data() for i in self._dirty}, changes)
        self._changes, self._dirty = [], set()

    def _save(self, items: dict[int, dict[str, Any]], history: list[tuple[int | None, str, str | None, str | None]]
              ) -> None:
        self.store.save_review(ReviewWrite(
            date=self.date, state=self.state, meta=self.meta, draft_sha=self.draft_sha,
            published_sha=self.published_sha, published_at=self.published_at, items=items, history=history,
        ))

    def _read_draft(self) -> str | None:
        try:
            return self.draft_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    # -- a new digest run of the same day --------------------------------------
    def merge_new_run(self) -> int:
        """A digest run after review began rewrote DATE.json and DATE.md: keep every review change, add new items.

        Without this, the rewritten Markdown would look like a hand edit and silently undo the reviewer's work.
        """
        path = self.output_dir / "drafts" / f"{self.date}.json"
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return 0
        if sha(text) == self.meta.get("json_sha"):
            return 0
        known = {i.canonical_url for i in self.items.values()}
        added = 0
        for raw, section, _ in _draft_items(json.loads(text)):
            if raw["canonical_url"] in known:
                continue
            item = _item(raw, section, item_id=max(self.items, default=0) + 1,
                         position=max((i.position for i in self.items.values() if i.section == section),
                                      default=-1) + 1)
            self.items[item.id] = item
            self._dirty.add(item.id)
            self._changes.append((item.id, "added by a new digest run", None, item.canonical_url))
            added += 1
        self._changes.append((None, "new digest run", self.meta.get("json_sha"), sha(text)))
        self.meta = {**self.meta, "json_sha": sha(text)}
        self._commit()
        return added

    # -- the draft file edited by hand ---------------------------------------
    def absorb_draft(self) -> bool:
        """Read back a draft edited in an editor since we last wrote it. Raises DraftFormatError naming the line."""
        text = self._read_draft()
        if text is None or sha(text) == self.draft_sha:
            return False
        parsed = parse_digest(text, sections=list(self.meta["sections"]), name=str(self.draft_path))
        self._apply(parsed)
        self._changes.append((None, "editor", self.draft_sha, sha(text)))
        self._commit()
        return True

    def _apply(self, parsed: ParsedDigest) -> None:
        by_link = {link_target(link): item for item in self.items.values() for link in item.links}
        seen: dict[int, int] = {}
        for section, items in parsed.sections:
            for position, got in enumerate(items):
                item = next((by_link[t] for t in got.links if t in by_link), None)
                if item is None:
                    raise DraftFormatError(f"{self.draft_path} line {got.line}: '{got.headline}' links to no item "
                                           "of this digest", line=got.line)
                if item.id in seen:
                    raise DraftFormatError(f"{self.draft_path} line {got.line}: item '{got.headline}' appears twice "
                                           f"(first at line {seen[item.id]})", line=got.line)
                seen[item.id] = got.line
                # The file shows text through render.inline: only a real edit changes the stored value.
                if got.headline != inline(item.headline):
                    self._set(item, "headline", got.headline)
                self._set(item, "emoji", got.emoji)
                if got.bullets != [inline(b) for b in item.bullets]:
                    self._set(item, "bullets", got.bullets)
                self._set(item, "section", section)
                self._set(item, "position", position)
                if item.status == DROPPED:
                    self._set(item, "status", PENDING)
                # A marker line deleted in the editor means the reviewer checked that flag.
                gone = [f for f in item.unresolved if f not in got.flags]
                if gone:
                    self._set(item, "acked", item.acked + gone)
        for item in self.items.values():
            if item.id not in seen and item.status != DROPPED:
                self._set(item, "status", DROPPED)
        order: dict[int, int] = {}
        for place, highlight in enumerate(parsed.highlights, 1):
            # Two items may share a headline: each 看点 line takes one not yet placed, or one is lost.
            match = next((i for i in self.items.values() if i.id in seen and i.id not in order
                          and inline(i.headline) == highlight.headline), None)
            if match is None:
                raise DraftFormatError(f"{self.draft_path} line {highlight.line}: 看点 '{highlight.headline}' is not "
                                       "an item of this digest", line=highlight.line)
            order[match.id] = place
        for item in self.items.values():
            self._set(item, "highlight", order.get(item.id, 0))


def _draft_items(data: dict[str, Any]) -> list[tuple[dict[str, Any], str, int]]:
    """(item, section, position) of every item in a draft JSON, in digest order."""
    return [(raw, section["name"], position) for section in data["sections"]
            for position, raw in enumerate(section["items"])]


def _item(raw: dict[str, Any], section: str, *, item_id: int, position: int, highlight: int = 0) -> ReviewItem:
    return ReviewItem(
        id=item_id, canonical_url=raw["canonical_url"], headline=raw["headline"], emoji=raw["emoji"],
        section=section, bullets=list(raw["bullets"]), links=list(raw["links"]), source=raw["source"],
        source_title=raw["source_title"], source_zi=int(raw["source_zi"]), importance=int(raw["importance"]),
        position=position, published=raw.get("published"), highlight=highlight, flags=list(raw.get("flags") or []),
        sources=int(raw.get("sources") or 1),
    )


def import_draft(store: Store, settings: Settings, date: str) -> None:
    """Start reviewing ``date`` from the pipeline's output/drafts/DATE.json. Raises ReviewError without one."""
    path = settings.output_path / "drafts" / f"{date}.json"
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except FileNotFoundError as exc:
        raise ReviewError(f"{path}: no draft for {date} (run `summarizer digest --date {date}` first)") from exc
    except (OSError, ValueError) as exc:
        raise ReviewError(f"{path}: unreadable draft ({exc})") from exc
    highlights = {url: n for n, url in enumerate(data.get("highlights", []), 1)}
    items: dict[int, dict[str, Any]] = {}
    for raw, section, position in _draft_items(data):
        item = _item(raw, section, item_id=len(items) + 1, position=position,
                     highlight=highlights.get(raw["canonical_url"], 0))
        items[item.id] = item.data()
    meta = {"title": data.get("title", settings.digest.title), "purpose": data.get("purpose", settings.digest.purpose),
            "sections": settings.digest.section_names, "reading_speed": settings.digest.reading_speed,
            "json_sha": sha(text)}
    store.save_review(ReviewWrite(date=date, state="draft", meta=meta, draft_sha=None, published_sha=None,
                                  published_at=None, items=items, history=[(None, "import", None, str(path))]))
    review = Review(store, settings.output_path, date)
    # What we would write now: if the file on disk differs, it was edited by hand and absorb_draft reads it.
    review.draft_sha = sha(render_markdown(review.digest()))
    review._save({}, [])
