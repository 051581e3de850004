"""One item per story: near-duplicate articles of a day grouped, one kept (pure functions).

The pipeline already merges articles with the same canonical URL. This module
finds the same story told twice under different URLs (another feed, a
syndicated copy, a rewrite) by two cheap signals:

* title similarity: Dice coefficient of the titles' token bigrams;
* text similarity: a bottom-k MinHash sketch of each text's shingles, from
  which the Jaccard similarity and the containment (the share of the shorter
  text found in the longer one, which catches a condensed copy) are estimated.

Tokens are CJK characters and Latin words (lowercased), so a shingle of
``SHINGLE`` tokens is a run of characters in Chinese and a run of words in
English: one rule works for both without a word segmenter.

Bottom-k MinHash (one hash function, keep the k smallest values) is used
instead of k hash functions because it hashes each shingle once: pure
Python stays fast enough for a day of a few hundred articles.

The article kept for a group is chosen deterministically, whatever order the
concurrent pipeline finished in: one that already has a summary (no tokens
spent again), else the longest text, else the smallest URL.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
from dataclasses import dataclass

SHINGLE = 3  # tokens per shingle
SKETCH = 128  # hashes kept per text (bottom-k)

_TOKEN_RE = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]"
    r"|[0-9A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]+(?:[.,][0-9]+)*"
)


@dataclass(frozen=True)
class DedupRules:
    """When two articles are the same story (defaults set on bench/fixtures/stories.yaml)."""

    # Copies and rewrites: a share of the shorter text's shingles (names, numbers, quotes, whole phrases) is
    # found in the longer one. On the labelled set true duplicates share 0.21-0.53 and look-alikes (same
    # company, another story) at most 0.06, whatever their titles; the threshold sits in the gap.
    containment: float = 0.12
    # A much longer text "contains" a short one by chance (a 29 KB interview transcript shares common
    # three-character runs with any short news item): past this length ratio the bar rises with the ratio's
    # logarithm (real pairs, bench/story_pairs.py: a teaser inside its article still passes at 0.9).
    long_ratio: float = 4.0
    # Names and figures separate look-alikes: two texts with figures ("8 瓦", "60%", "X3") that share none
    # are different stories, unless most of the text is shared (a copy).
    copy_containment: float = 0.4
    # A similar title lowers the bar for the text ...
    title: float = 0.5
    title_containment: float = 0.08
    # ... and the same headline lowers it further (the text may be a short teaser of the same story).
    same_title: float = 0.85
    same_title_containment: float = 0.03


@dataclass(frozen=True)
class StoryDoc:
    """One extracted article as the grouping sees it."""

    key: str  # canonical URL
    title: str
    text: str
    zi: int = 0
    summarized: bool = False  # already has a summary: keeping it spends no tokens


@dataclass(frozen=True)
class Sketch:
    size: int  # distinct shingles in the text
    hashes: frozenset[int]  # the SKETCH smallest shingle hashes
    title_grams: frozenset[str]
    figures: frozenset[str] = frozenset()  # numbers and model names ("60", "2.4", "x3"), years aside


@dataclass(frozen=True)
class StoryGroup:
    kept: str  # canonical URL of the article that is summarized
    duplicates: tuple[str, ...] = ()  # the other articles of the same story, by URL

    @property
    def members(self) -> tuple[str, ...]:
        return (self.kept, *self.duplicates)


@dataclass(frozen=True)
class Similarity:
    title: float
    jaccard: float
    containment: float
    ratio: float = 1.0  # the longer text's shingles over the shorter's
    figures_apart: bool = False  # both texts cite figures and share none


def tokens(text: str) -> list[str]:
    """CJK characters and Latin words/numbers, lowercased."""
    return [t.lower() for t in _TOKEN_RE.findall(text)]


def shingles(text: str, size: int = SHINGLE) -> set[str]:
    toks = tokens(text)
    if len(toks) < size:
        return {" ".join(toks)} if toks else set()
    return {" ".join(toks[i:i + size]) for i in range(len(toks) - size + 1)}


def _hash(shingle: str) -> int:
    # A stable hash (Python's hash() is salted per process) so sketches agree across runs.
    return int.from_bytes(hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest(), "big")


# Site-wide lines (an ifeng disclaimer under every article) would make two articles of one site look alike.
_SITE_LINE = re.compile(r"免责声明|版权(所有|声明)|未经.{0,6}(授权|许可)|不得转载|转载请注明|copyright"
                        r"|all rights reserved|本文仅代表作者", re.I)
_FIGURE = re.compile(r"(?<![0-9A-Za-z.])(?:[A-Za-z]+\d+[A-Za-z0-9]*|\d+(?:[.,]\d+)*)(?![0-9A-Za-z])")


def figures(text: str) -> frozenset[str]:
    """Numbers of two digits or more and model names with digits; years (19xx, 20xx) left out."""
    found = set()
    for match in _FIGURE.findall(text):
        value = match.replace(",", "").lower()
        if not re.fullmatch(r"(19|20)\d\d|\d", value):
            found.add(value)
    return frozenset(found)


def sketch(title: str, text: str, k: int = SKETCH) -> Sketch:
    text = "\n".join(line for line in text.splitlines() if not _SITE_LINE.search(line))
    grams = shingles(text)
    toks = tokens(title)
    title_grams = frozenset(" ".join(toks[i:i + 2]) for i in range(len(toks) - 1)) or frozenset(toks)
    return Sketch(size=len(grams), hashes=frozenset(heapq.nsmallest(k, (_hash(g) for g in grams))),
                  title_grams=title_grams, figures=figures(f"{title}\n{text}"))


def title_similarity(a: Sketch, b: Sketch) -> float:
    if not a.title_grams or not b.title_grams:
        return 0.0
    return 2 * len(a.title_grams & b.title_grams) / (len(a.title_grams) + len(b.title_grams))


def similarity(a: Sketch, b: Sketch, k: int = SKETCH) -> Similarity:
    """Title Dice, and Jaccard and containment estimated from the two bottom-k sketches."""
    title = title_similarity(a, b)
    apart = len(a.figures) >= 2 and len(b.figures) >= 2 and not (a.figures & b.figures)
    if not a.size or not b.size or not (a.hashes & b.hashes):
        return Similarity(title, 0.0, 0.0, figures_apart=apart)
    union = heapq.nsmallest(min(k, len(a.hashes | b.hashes)), a.hashes | b.hashes)
    both = sum(1 for h in union if h in a.hashes and h in b.hashes)
    jaccard = both / len(union)
    shared = jaccard / (1 + jaccard) * (a.size + b.size)  # |A ∩ B| from J = |A∩B| / |A∪B|
    return Similarity(title, jaccard, min(1.0, shared / min(a.size, b.size)),
                      ratio=max(a.size, b.size) / min(a.size, b.size), figures_apart=apart)


def same_story(sim: Similarity, rules: DedupRules = DedupRules()) -> bool:
    if sim.figures_apart and sim.containment < rules.copy_containment:
        return False
    bar = rules.containment
    if sim.ratio > rules.long_ratio:
        bar *= 1 + math.log2(sim.ratio) / 2
    if sim.containment >= bar:
        return True
    if sim.title >= rules.same_title and sim.containment >= rules.same_title_containment:
        return True
    return sim.title >= rules.title and sim.containment >= rules.title_containment


def _keep_order(doc: StoryDoc) -> tuple[bool, int, str]:
    return (not doc.summarized, -doc.zi, doc.key)


class StoryIndex:
    """Grouping as articles arrive, for a streaming run: each new article joins the story of the most
    similar article seen before it, or starts a story of its own.

    A story is never split or merged once formed: its summary may already be written or in flight.
    Stories are named by the key of their first article.
    """

    def __init__(self, rules: DedupRules = DedupRules()) -> None:
        self.rules = rules
        self._sketches: dict[str, Sketch] = {}
        self._story: dict[str, str] = {}
        self._unsketched: dict[str, tuple[str, str]] = {}  # key -> (title, text), sketched when first needed

    def add_grouped(self, key: str, story: str, title: str, text: str) -> None:
        """Index an article grouped earlier; its sketch is made only if a new article needs comparing
        (``sketch_pending``), so a re-run with nothing new hashes no text."""
        self._story.setdefault(key, story)
        self._unsketched[key] = (title, text)

    @property
    def pending(self) -> bool:
        return bool(self._unsketched)

    def sketch_pending(self) -> None:
        """Sketch the articles indexed by ``add_grouped`` (CPU work: run it off the event loop)."""
        while self._unsketched:
            key, (title, text) = next(iter(self._unsketched.items()))
            self._sketches[key] = sketch(title, text)
            self._unsketched.pop(key, None)

    def __contains__(self, key: str) -> bool:
        return key in self._story

    def story_of(self, key: str) -> str | None:
        return self._story.get(key)

    def match(self, sk: Sketch) -> str | None:
        """The story of the most similar known article that tells the same story, if any."""
        self.sketch_pending()
        best: tuple[float, float, str] | None = None
        for key, other in self._sketches.items():
            sim = similarity(sk, other)
            if same_story(sim, self.rules) and (best is None or (sim.containment, sim.title, key) > best):
                best = (sim.containment, sim.title, key)
        return self._story[best[2]] if best else None

    def add(self, key: str, sk: Sketch, story: str | None = None) -> str:
        """Index one article and return its story (``story`` when given: a grouping made earlier)."""
        if key not in self._story:
            self._story[key] = story or self.match(sk) or key
            self._sketches[key] = sk
        return self._story[key]


def group_stories(docs: list[StoryDoc], rules: DedupRules = DedupRules()) -> list[StoryGroup]:
    """Every doc in exactly one group; groups ordered by their kept URL, duplicates by URL.

    The docs go through a StoryIndex best first (summarized, then longest, then smallest URL), so the
    first of each story is the one kept and the result depends only on the docs, not on their order.
    """
    index = StoryIndex(rules)
    members: dict[str, list[str]] = {}
    for doc in sorted({d.key: d for d in docs}.values(), key=_keep_order):
        members.setdefault(index.add(doc.key, sketch(doc.title, doc.text)), []).append(doc.key)
    return sorted((StoryGroup(kept=keys[0], duplicates=tuple(sorted(keys[1:]))) for keys in members.values()),
                  key=lambda g: g.kept)


def pair_scores(predicted: list[StoryGroup], truth: dict[str, str]) -> tuple[float, float]:
    """(precision, recall) over pairs of articles put in the same group, against labelled story ids."""
    def pairs_of(clusters: list[list[str]]) -> set[tuple[str, str]]:
        return {(a, b) for c in clusters for a in c for b in c if a < b}

    found = pairs_of([list(g.members) for g in predicted])
    stories: dict[str, list[str]] = {}
    for key, story in truth.items():
        stories.setdefault(story, []).append(key)
    true = pairs_of(list(stories.values()))
    precision = len(found & true) / len(found) if found else 1.0
    recall = len(found & true) / len(true) if true else 1.0
    return precision, recall
