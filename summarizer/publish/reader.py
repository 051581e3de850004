"""What readers are shown of the checks: each bullet's source passage (a text-fragment link), the issue's
trust line, and what a correction changed. Computed at publish time from the review and the store.

A passage is only ever the one the trust checks tied to this very bullet text (the model's quote, or the
sentence alignment found) and only when it is found in the stored source text: a bullet an editor
rewrote, or whose quote is not in the source, gets no link rather than a wrong one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ..config import CheckSettings
from ..digest.parse import ParsedDigest
from ..items import CheckedSummary, ReviewItem
from ..jinja import inline, link_target, safe_href
from ..review.evidence import locate
from ..store import Store
from ..trust.checks import CheckRules, Source, grounding, latin_names, numbers

# Text fragments (https://wicg.github.io/scroll-to-text-fragment/): a passage longer than WHOLE_MAX is given
# as textStart,textEnd of at most PART_MAX characters each, so the directive stays short enough to match.
# textEnd must begin where a word does, so it begins after a space or a punctuation mark; textStart
# begins where the sentence does and only need not end inside a word, so it ends at one when it can.
WHOLE_MAX = 40
PART_MIN, PART_MAX = 8, 30
_BOUNDARY = re.compile(r"[\s，。；：、！？,.;:!?）)」”]")


def _encode(text: str) -> str:
    """A text directive term: percent-encoded, '-' '&' ',' included (they are the directive's syntax)."""
    return quote(text, safe="").replace("-", "%2D")


def _head(text: str) -> str:
    cuts = [m.start() for m in _BOUNDARY.finditer(text, 0, PART_MAX + 1) if m.start() >= PART_MIN]
    return text[: cuts[-1] if cuts else PART_MAX].strip()


def _tail(text: str, after: int) -> str | None:
    """The longest end of ``text`` from a word's start past ``after`` (where textStart ends)."""
    body = text.rstrip("。.!！?？")
    starts = [m.end() for m in _BOUNDARY.finditer(body, after)
              if PART_MIN <= len(text) - m.end() <= PART_MAX]
    return text[starts[0]:].strip() if starts else None


def text_fragment(url: str, passage: str) -> str | None:
    """``url`` with a text fragment selecting ``passage``; None when it cannot be cut where words end."""
    passage = " ".join(passage.split())
    if not passage or safe_href(url) == "#":
        return None
    joint = ":~:text=" if "#" in url else "#:~:text="
    if len(passage) <= WHOLE_MAX:
        return url + joint + _encode(passage)
    head = _head(passage)
    tail = _tail(passage, len(head))
    if not tail:
        return None
    return url + joint + _encode(head) + "," + _encode(tail)


_SENTENCE_END = re.compile(r"[。！？!?\n]|[.;](?=\s)")


def sentence_around(text: str, start: int, end: int) -> str:
    """The whole sentences ``text[start:end]`` lies in: a fragment must begin and end where words do,
    and a model's quote may stop in the middle of one ("辨" of 辨識)."""
    before = [m.end() for m in _SENTENCE_END.finditer(text, 0, start)]
    after = _SENTENCE_END.search(text, max(end - 1, start))
    return " ".join(text[before[-1] if before else 0 : after.end() if after else len(text)].split())


@dataclass(frozen=True)
class Passage:
    """A bullet's support as readers get it: the source page and the passage of it the bullet rests on."""

    url: str
    text: str

    @property
    def href(self) -> str | None:
        return text_fragment(self.url, self.text)

    @property
    def shown(self) -> str:
        return self.text if len(self.text) <= 80 else self.text[:79] + "…"


def _quote_for(stored: list[CheckedSummary], n: int, bullet: str) -> str:
    """The quote the checks tied to bullet ``n`` (0-based) of a stored summary with this same bullet."""
    for checked in stored:
        bullets = list(checked.summary.bullets)
        if n >= len(bullets) or inline(bullets[n]) != bullet:
            continue
        quotes = [str(q) for q in checked.summary.quotes]
        if any(q.strip() for q in quotes):
            return quotes[n] if n < len(quotes) else ""
        found = checked.check.evidence
        aligned = found[n] if n < len(found) else None
        return aligned.sentence if aligned else ""
    return ""


def item_key(link: str, bullet: str) -> str:
    """Which bullet of which item a passage belongs to: two items may word a bullet alike."""
    return f"{link}\n{bullet}"


def item_passages(store: Store, item: ReviewItem) -> dict[str, Passage]:
    """item_key (first link as published, bullet) -> its passage, for bullets whose quote is in the source."""
    article = store.article(item.canonical_url)
    if article is None or not article.text:
        return {}
    stored = store.summaries_of(item.canonical_url)
    out = {}
    for n, bullet in enumerate(item.bullets):
        shown = inline(bullet)
        quote_ = _quote_for(stored, n, shown)
        span = locate(quote_, article.text) if quote_.strip() else None
        if span is None:
            continue
        passage = Passage(article.url, sentence_around(article.text, *span))
        if passage.href:
            out[item_key(link_target(item.links[0]), shown)] = passage
    return out


@dataclass
class Recheck:
    """The number and name checks run again on the text as published, against each item's stored source:
    a bullet edited in the draft by hand is counted as it stands, not as the model wrote it."""

    figures: int = 0  # numbers in headlines and bullets compared with the source
    names: int = 0  # Latin-script names compared with the source
    unflagged: int = 0  # of them, not in the source and never flagged (so never acknowledged)
    unchecked: int = 0  # items whose source text is not in the store: nothing to compare with

    def add(self, store: Store, item: ReviewItem, rules: CheckRules) -> None:
        article = store.article(item.canonical_url)
        if article is None or not article.text:
            self.unchecked += 1
            return
        source = Source.of(article.title, article.text)
        texts = [(None, inline(item.headline))] + [(n, inline(b)) for n, b in enumerate(item.bullets, 1)]
        known = {f.term for f in item.flags if f.term}
        for bullet, text in texts:
            self.figures += len(numbers(text))
            self.names += len(latin_names(text, rules.allowed_terms))
            found = grounding(text, source, bullet, rules)
            self.unflagged += sum(1 for p in found if p.unsupported_claim and p.term not in known)


def weekly_passages(store: Store, item: ReviewItem) -> dict[str, Passage]:
    """A weekly item's paragraph -> the passage its quote sits in (item_key of its first link), if any."""
    article = store.article(item.canonical_url)
    if article is None or not article.text or not item.bullets or not item.links:
        return {}
    paragraph = item.bullets[0]
    quote_ = next((q for p, q in store.prose_quotes(item.canonical_url) if p == paragraph), "")
    span = locate(quote_, article.text) if quote_.strip() else None
    if span is None:
        return {}
    passage = Passage(article.url, sentence_around(article.text, *span))
    return {item_key(item.links[0], paragraph): passage} if passage.href else {}


def trust_line(store: Store, items: list[ReviewItem], passages: dict[str, Passage],
               checks: CheckSettings, *, unit: str = "条要点") -> str:
    """'本期 N 条要点，M 条与原文逐条核对…': every figure counted from the published items and checks."""
    total = sum(len(item.bullets) for item in items)
    if not checks.enabled:
        return f"本期 {total} {unit}，未与原文核对（trust 检查已关闭）"
    rules = CheckRules.from_settings(checks)
    again = Recheck()
    for item in items:
        again.add(store, item, rules)
    matched = len(passages)
    flagged, acked = _flag_counts(items)
    line = (f"本期 {total} {unit}，{matched} {unit[0]}与原文逐条核对；核对了 {again.figures} 个数字、"
            f"{again.names} 个名称、{matched} 段引文；检查标记 {flagged} 处，编辑核实后放行 {acked} 处")
    if again.unflagged:
        line += f"；另有 {again.unflagged} 处数字或名称原文未见，未经标记"
    if again.unchecked:
        line += f"；{again.unchecked} 项原文未存，未能核对"
    return line


def _flag_counts(items: list[ReviewItem]) -> tuple[int, int]:
    """Trust flags the checks raised on these items, and how many of them the editor acknowledged."""
    flags = [(f, item) for item in items for f in item.flags if f.trust]
    return len(flags), sum(1 for f, item in flags if f in item.acked)


def _by_link(parsed: ParsedDigest) -> dict[str, Any]:
    return {item.links[0]: item for item in parsed.items}


def what_changed(old: ParsedDigest, new: ParsedDigest) -> str:
    """One line naming what a re-published issue changed, item by item (matched by their first link)."""
    before, after = _by_link(old), _by_link(new)
    parts: list[str] = []
    for link, item in after.items():
        was = before.get(link)
        if was is None:
            parts.append(f"新增「{item.headline}」")
            continue
        if was.headline != item.headline:
            parts.append(f"标题「{was.headline}」改为「{item.headline}」")
        pairs = zip(was.bullets, item.bullets, strict=False)
        changed = [str(n) for n, (a, b) in enumerate(pairs, 1) if a != b]
        if changed:
            parts.append(f"「{item.headline}」第{'、'.join(changed)}条要点改写")
    parts += [f"删去「{item.headline}」" for link, item in before.items() if link not in after]
    return "；".join(parts) or "调整了看点或顺序"
