"""The week's published daily items -> the candidates of a weekly issue (pure, but for one store read).

A weekly takes only what editors already published: the items of the daily
issues in ``published`` state between two dates, as reviewed (edited
headlines and bullets, dropped items left out). The same story may have been
published on several days (a launch on Monday, its price on Wednesday): the
days' items are grouped with the story sketches of ``dedup`` and the newest
item stands for the story, carrying every source of every day. Stories are
ranked by importance plus a bonus for each further source that carried them.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from ..dates import is_weekly
from ..items import DROPPED
from ..store import FOLLOW, Store
from ..trust.dedup import DedupRules, StoryIndex, sketch

FORMATS = ("numbered", "issue")
SOURCE_BONUS_MAX = 3  # more sources raise a story, but never above a clearly more important one


@dataclass(frozen=True)
class DailyItem:
    """One item of a published daily issue, with its source article's title and text."""

    date: str  # the daily issue it was published in
    canonical_url: str
    headline: str
    bullets: tuple[str, ...]
    section: str
    importance: int
    links: tuple[str, ...]
    published: str | None
    source: str
    source_title: str
    text: str
    follows: str = ""  # a 续报: canonical URL of the earlier issue's item its story continues


@dataclass(frozen=True)
class Candidate:
    """One story of the week: its newest item, and every source that carried it on any day."""

    item: DailyItem
    links: tuple[str, ...]
    days: tuple[str, ...]  # daily issues the story appeared in, newest first

    @property
    def sources(self) -> int:
        return len(self.links)

    importance: int = 0  # the highest of its days' items: a follow-up may be rated lower than the news

    @property
    def score(self) -> int:
        return self.importance + min(SOURCE_BONUS_MAX, self.sources - 1)


def published_items(store: Store, start: str, end: str) -> list[DailyItem]:
    """Items not dropped of the daily issues published from ``start`` to ``end`` (YYYY-MM-DD, inclusive)."""
    items = []
    for day, item in store.published_items(start, end):
        # Daily keys are dates; a weekly's key ("weekly-…") sorts after every date and is never in range.
        if is_weekly(day) or item.status == DROPPED:
            continue
        article = store.article(item.canonical_url)
        link = store.story_link(item.canonical_url)
        items.append(DailyItem(
            date=day, canonical_url=item.canonical_url, headline=item.headline, bullets=tuple(item.bullets),
            section=item.section, importance=int(item.importance), links=tuple(item.links),
            published=item.published, source=item.source, source_title=item.source_title,
            text=(article.text or "") if article else "",
            follows=link.earlier_url if link and link.kind == FOLLOW and not link.restored else "",
        ))
    return items


def _newest_first(item: DailyItem) -> tuple[str, str, str]:
    return (_invert(item.date), _invert(item.published or ""), item.canonical_url)


def _invert(text: str) -> str:
    return "".join(chr(0x10FFFF - ord(c)) for c in text)


def stories(items: list[DailyItem], rules: DedupRules | None = None) -> list[Candidate]:
    """One candidate per story across days; the newest item of each story stands for it."""
    index = StoryIndex(rules or DedupRules())
    members: dict[str, list[DailyItem]] = {}
    for item in sorted(items, key=_newest_first):
        story = index.add(item.canonical_url, sketch(item.source_title, item.text or item.headline))
        members.setdefault(story, []).append(item)
    members = _follow_ups_joined(members)
    candidates = []
    for group in members.values():
        links = list(dict.fromkeys(link for member in group for link in member.links))
        days = tuple(dict.fromkeys(member.date for member in group))
        importance = max(member.importance for member in group)
        candidates.append(Candidate(item=group[0], links=tuple(links), days=days, importance=importance))
    return candidates


def _follow_ups_joined(members: dict[str, list[DailyItem]]) -> dict[str, list[DailyItem]]:
    """A 续报 is in the story of the item it continues (story memory), whatever its text's sketch says."""
    story_of = {item.canonical_url: story for story, group in members.items() for item in group}
    for story in list(members):
        group = members.get(story, [])
        earlier = next((story_of[i.follows] for i in group if i.follows in story_of
                        and story_of[i.follows] != story), None)
        if earlier is None or earlier not in members:
            continue
        joined = sorted([*members.pop(story), *members[earlier]], key=_newest_first)
        members[earlier] = joined
        story_of.update({item.canonical_url: earlier for item in joined})
    return members


def rank(candidates: list[Candidate], top: int) -> list[Candidate]:
    """At most ``top``: highest score first; then more sources, then the newest, then the URL."""
    ordered = sorted(candidates, key=lambda c: (-c.score, -c.sources, _newest_first(c.item)))
    return ordered[:top]


# -- link lines -------------------------------------------------------------------
_CODE_HOSTS = ("github.com", "gitlab.com", "gitee.com", "codeberg.org")
_DEMO_HOSTS = ("github.io", "huggingface.co", "modelscope.cn", "vercel.app")
_VIDEO_HOSTS = ("youtube.com", "youtu.be", "bilibili.com", "vimeo.com")
_AUDIO_HOSTS = ("xiaoyuzhoufm.com", "podcasts.apple.com", "spotify.com", "ximalaya.com")
_PAPER_HOSTS = ("arxiv.org", "openreview.net")


def _on(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def link_kind(url: str) -> str:
    """What a link points to, as the reference names it: 代码, 项目及演示, 视频, 音频, 论文 or 网址."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    for kind, domains in (("代码", _CODE_HOSTS), ("项目及演示", _DEMO_HOSTS), ("视频", _VIDEO_HOSTS),
                          ("音频", _AUDIO_HOSTS), ("论文", _PAPER_HOSTS)):
        if _on(host, domains):
            return kind
    return "网址"


def labelled_links(links: list[str] | tuple[str, ...]) -> list[tuple[str, str]]:
    """(label, url) for an item's link lines.

    A web page beside a video or audio link is its 文字稿 (transcript); the first
    other web page is the 网址 and further ones are 相关报道 (other sites' reports).
    """
    kinds = [link_kind(url) for url in links]
    spoken = any(k in ("视频", "音频") for k in kinds)
    out: list[tuple[str, str]] = []
    pages = 0
    for url, kind in zip(links, kinds, strict=True):
        if kind == "网址":
            kind = "相关报道" if pages else ("文字稿" if spoken else "网址")
            pages += 1
        out.append((kind, url))
    return out
