"""The night's pages against the stories of the last days' issues (trust/memory.py over the store).

A page whose story ran in an issue of the last ``digest.memory_days`` days is
either a repeat (nothing new: left out, listed in the report and on the review
page as 已报道) or a follow-up (new names, figures or dates: summarized as a
续报 item given the earlier item's bullets). Each decision is a story link in
the store, so a re-run of the night keeps it and the editor can reverse it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as Date
from datetime import timedelta

from ..items import Earlier
from ..store import FOLLOW, REPEAT, Store, StoryLink
from ..trust.dedup import Sketch
from ..trust.memory import Match, Remembered, StoryMemory, moves_on
from .report import Run


@dataclass(frozen=True)
class Told:
    """A page's story was published before: ``earlier`` is its item; ``repeat`` when nothing is new."""

    earlier: Earlier
    repeat: bool


class Memory:
    """The story memory of one run: loaded once, asked once per new story of the night."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.memory = StoryMemory(())
        self.date = ""

    def load(self, digest_date: str) -> None:
        """The stories of the issues published in the ``digest.memory_days`` days before ``digest_date``."""
        self.date = digest_date
        days = self.run.settings.digest.memory_days
        if not days:
            return
        start = (Date.fromisoformat(digest_date) - timedelta(days=days)).isoformat()
        stories = self.run.store.published_stories(start, digest_date)
        self.memory = StoryMemory(Remembered(s.canonical_url, s.item_url, s.date, Sketch.from_dict(s.sketch))
                                  for s in stories)

    def match(self, key: str, sk: Sketch) -> Match | None:
        """The published item whose story page ``key`` tells."""
        return self.memory.match(key, sk)

    def judge(self, key: str, url: str, title: str, text: str, match: Match | None) -> Told | None:
        """Whether the page ``key`` of a published story moves it on; the decision recorded."""
        if match is None:
            return None
        earlier, texts = self._earlier(match)
        repeat = not moves_on(f"{title}\n{text}", texts, year=int(self.date[:4]))
        self.run.store.save_story_link(StoryLink(canonical_url=key, date=self.date,
                                                 kind=REPEAT if repeat else FOLLOW,
                                                 earlier_date=match.date, earlier_url=match.item))
        told = Told(earlier, repeat)
        self.report(url, told)
        return told

    def relink(self, key: str, earlier: Earlier, *, repeat: bool) -> None:
        """The story's kept article changed to ``key``: the link moves with it."""
        self.run.store.save_story_link(StoryLink(canonical_url=key, date=self.date,
                                                 kind=REPEAT if repeat else FOLLOW,
                                                 earlier_date=earlier.date, earlier_url=earlier.item))

    def stored(self, key: str, digest_date: str) -> Told | None:
        """What a run of ``digest_date`` decided about ``key`` (None when the editor restored it)."""
        link = self.run.store.story_link(key)
        if link is None or link.restored or link.date != digest_date:
            return None
        earlier, _ = self._earlier(Match(link.earlier_url, link.earlier_date))
        return Told(earlier, link.kind == REPEAT)

    def report(self, url: str, told: Told) -> None:
        report = self.run.report
        if told.repeat:
            report.already_published.append(f"{url} ({told.earlier.date})")
        else:
            report.follow_ups.append(f"{url}: continues {told.earlier.href}")

    def _earlier(self, match: Match) -> tuple[Earlier, list[str]]:
        return earlier_item(self.run.store, match.date, match.item)


def earlier_item(store: Store, date: str, item_url: str) -> tuple[Earlier, list[str]]:
    """The published item as a follow-up's prompt and checks see it, and every text of its story."""
    members = store.published_item(date, item_url)
    texts = [a.text for m in members if (a := store.article(m.canonical_url)) and a.text]
    head = members[0] if members else None
    kept = store.article(item_url)
    earlier = Earlier(date=date, anchor=head.anchor if head else "", headline=head.headline if head else "",
                      item=item_url, bullets=head.bullets if head else (),
                      text=(kept.text or "") if kept else "")
    return earlier, [*texts, *earlier.bullets, earlier.headline]
