"""The day's stories as articles stream in: which article of each story is summarized (no I/O here).

``dedup`` says whether two articles tell the same story; this module keeps
the day's stories while the run goes on. An article that matches no earlier
one starts a story and is summarized at once, so summaries start while other
pages are still downloading. A later article of the same story becomes a
duplicate (linked from the item, never sent to the model), unless the story's
summary has not started yet and the newcomer is the better text (longer, or
as long with the smaller URL): then the two swap. When the model keeps up
with extraction, the article extracted first is the one kept; when articles
queue for the model, the best of those queued is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..items import Earlier
from .dedup import DedupRules, Sketch, StoryIndex


@dataclass
class Story:
    kept: str  # canonical URL of the article summarized for the story
    zi: int
    started: bool = False  # its summary is written or in flight: the kept article is fixed
    scheduled: bool = False  # the pipeline has a task for it
    duplicates: list[str] = field(default_factory=list)
    # The story ran in an earlier issue (pipeline/memory.py): a follow-up is summarized given that item;
    # a repeat (nothing new) is never summarized.
    earlier: Earlier | None = None
    repeat: bool = False


@dataclass(frozen=True)
class Arrival:
    story: Story
    new: bool = False  # the article starts the story: summarize it
    duplicate: bool = False  # the article is a duplicate of story.kept
    replaced: str | None = None  # the article took the place of this one, which is now a duplicate


class Stories:
    def __init__(self, rules: DedupRules | None = None) -> None:
        self.index = StoryIndex(rules or DedupRules())
        self.by_id: dict[str, Story] = {}

    def known(self, key: str) -> Story | None:
        """The story of an article grouped before (in this run or an earlier one)."""
        story_id = self.index.story_of(key)
        return self.by_id.get(story_id) if story_id else None

    def add_stored(self, key: str, *, title: str, text: str, zi: int, summarized: bool,
                   duplicate_of: str | None) -> None:
        """An article of the day an earlier run grouped: its role is kept (add the kept ones first)."""
        kept = self.known(duplicate_of) if duplicate_of else None
        if kept is not None:
            self.index.add_grouped(key, self.index.story_of(duplicate_of or "") or key, title, text)
            kept.duplicates.append(key)
            return
        self.index.add_grouped(key, key, title, text)
        self.by_id[key] = Story(kept=key, zi=zi, started=summarized)

    def arrive(self, key: str, sk: Sketch, zi: int) -> Arrival:
        story_id = self.index.add(key, sk)
        if story_id == key:
            story = self.by_id[key] = Story(kept=key, zi=zi)
            return Arrival(story, new=True)
        story = self.by_id[story_id]
        if not story.started and (zi, _neg(key)) > (story.zi, _neg(story.kept)):
            replaced = story.kept
            story.duplicates.append(replaced)
            story.kept, story.zi = key, zi
            return Arrival(story, replaced=replaced)
        story.duplicates.append(key)
        return Arrival(story, duplicate=True)


def _neg(key: str) -> tuple[int, ...]:
    """Orders the smaller URL first in a max-comparison."""
    return tuple(-ord(c) for c in key)
