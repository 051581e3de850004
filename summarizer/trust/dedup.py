"""One item per story: near-duplicate articles of a day grouped, one kept (pure functions).

The pipeline already merges articles with the same canonical URL. This module
finds the same story told twice under different URLs (another feed, a
syndicated copy, a rewrite) by two cheap signals:

* title similarity: Dice coefficient of the titles' token bigrams;
* text similarity: a bottom-k MinHash sketch of each text's shingles, from
  which the Jaccard similarity and the containment (the share of the shorter
  text found in the longer one, which catches a condensed copy) are estimated;
* rewrites: another outlet's account of the same event shares few phrases but
  the same rare names and figures: ``salience`` weighs each term by its rarity
  among the day's articles (``StoryIndex`` keeps the day), and two articles
  that share enough of that weight, and their figures, are one story.

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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .salience import Day, Shared, is_chinese, normalize, term_weights

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
    # Rewrites (bench/story_pairs.py: real pairs, tuned on the even ones, the middle of the best range): the
    # idf-weighted cosine of the two texts' terms (``salience``) with at least two figures in common. The
    # same event told in other words keeps its numbers; two stories of one topic (one company, one scandal)
    # share words but rarely two figures: the closest look-alikes score 0.34 with one figure in common.
    rewrite_cosine: float = 0.25
    rewrite_figures: int = 2
    # Chinese rewrites with few figures: the share of the smaller vocabulary's idf weight found in the
    # other text (rewrites 0.20-0.25; a commentary on the same event, another county's food inspections
    # 0.16-0.17), with a cosine floor against a short text whose few terms all sit in a long one.
    chinese_vocabulary: float = 0.20
    chinese_cosine: float = 0.18


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
    terms: Mapping[str, float] = field(default_factory=dict)  # salience.term_weights of title and text
    chinese: bool = False

    def to_dict(self) -> dict[str, object]:
        """The fingerprint as JSON data: what the story memory stores (store/stories.py)."""
        return {"size": self.size, "hashes": sorted(self.hashes), "title_grams": sorted(self.title_grams),
                "figures": sorted(self.figures), "terms": dict(self.terms), "chinese": self.chinese}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Sketch:
        return cls(size=int(data["size"]), hashes=frozenset(int(h) for h in data["hashes"]),
                   title_grams=frozenset(data["title_grams"]), figures=frozenset(data["figures"]),
                   terms={str(k): float(v) for k, v in data["terms"].items()}, chinese=bool(data["chinese"]))


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
    figures_shared: int = 0
    cosine: float = 0.0  # idf-weighted cosine of the terms (salience.Shared)
    vocabulary: float = 0.0  # idf-weighted containment of the smaller vocabulary
    chinese: bool = False  # both texts are Chinese


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
                        r"|all rights reserved|本文仅代表作者|仅(代表|供).{0,12}(个人|作者)"
                        r"|并不(代表|表明).{0,8}立场", re.I)
# A site's "hot news" or "recommended" list leaks into the extracted text as short lines without a full
# stop (headlines, dates, bylines); two pages of one site share it, so it would make any two of its
# articles look alike (real 163 and sina pages in bench/fixtures/realdata_pairs.yaml). Prose lines end a
# sentence or are long.
_SENTENCE_END = re.compile(r"[。！？!?…；;.:：\"”'’」』)）]\s*$")
_PROSE_LINE = 40
_FIGURE = re.compile(r"(?<![0-9A-Za-z.])(?:[A-Za-z]+\d+[A-Za-z0-9]*|\d+(?:[.,]\d+)*)(?![0-9A-Za-z])")


def figures(text: str) -> frozenset[str]:
    """Numbers of two digits or more and model names with digits; years (19xx, 20xx) left out."""
    found = set()
    for match in _FIGURE.findall(text):
        value = match.replace(",", "").lower()
        if not re.fullmatch(r"(19|20)\d\d|\d", value):
            found.add(value)
    return frozenset(found)


def body(text: str) -> str:
    """The text without site-wide lines, and without list and headline lines when it has prose."""
    lines = [line for line in normalize(text).splitlines() if not _SITE_LINE.search(line)]
    prose = [line for line in lines if len(line.strip()) >= _PROSE_LINE or _SENTENCE_END.search(line)]
    return "\n".join(prose or lines)


def sketch(title: str, text: str, k: int = SKETCH) -> Sketch:
    title, text = normalize(title), body(text)
    grams = shingles(text)
    toks = tokens(title)
    title_grams = frozenset(" ".join(toks[i:i + 2]) for i in range(len(toks) - 1)) or frozenset(toks)
    return Sketch(size=len(grams), hashes=frozenset(heapq.nsmallest(k, (_hash(g) for g in grams))),
                  title_grams=title_grams, figures=figures(f"{title}\n{text}"),
                  terms=term_weights(f"{title}\n{text}"), chinese=is_chinese(f"{title}\n{text}"))


def title_similarity(a: Sketch, b: Sketch) -> float:
    if not a.title_grams or not b.title_grams:
        return 0.0
    return 2 * len(a.title_grams & b.title_grams) / (len(a.title_grams) + len(b.title_grams))


def pair_day(a: Sketch, b: Sketch) -> Day:
    """A day of just the two articles: every shared term is common in it, so only a copy scores high."""
    day = Day()
    day.add("a", a.terms)
    day.add("b", b.terms)
    return day


def similarity(a: Sketch, b: Sketch, k: int = SKETCH, shared: Shared | None = None) -> Similarity:
    """Title Dice, Jaccard and containment estimated from the two bottom-k sketches, and the salient terms
    shared (``shared``: from the day's articles, see ``StoryIndex``; by default from the pair alone)."""
    title = title_similarity(a, b)
    common = len(a.figures & b.figures)
    apart = len(a.figures) >= 2 and len(b.figures) >= 2 and not common
    if shared is None:
        shared = pair_day(a, b).shared("a", "b")
    jaccard = containment = 0.0
    ratio = 1.0
    if a.size and b.size and (a.hashes & b.hashes):
        union = heapq.nsmallest(min(k, len(a.hashes | b.hashes)), a.hashes | b.hashes)
        jaccard = sum(1 for h in union if h in a.hashes and h in b.hashes) / len(union)
        estimate = jaccard / (1 + jaccard) * (a.size + b.size)  # |A ∩ B| from J = |A∩B| / |A∪B|
        containment = min(1.0, estimate / min(a.size, b.size))
        ratio = max(a.size, b.size) / min(a.size, b.size)
    return Similarity(title, jaccard, containment, ratio=ratio, figures_apart=apart, figures_shared=common,
                      cosine=shared.cosine, vocabulary=shared.containment, chinese=a.chinese and b.chinese)


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
    if sim.title >= rules.title and sim.containment >= rules.title_containment:
        return True
    return rewritten(sim, rules)


def rewritten(sim: Similarity, rules: DedupRules = DedupRules()) -> bool:
    """The same event told in other words: its rare terms and its figures shared (never when the figures
    of both texts differ: that is the same topic with other numbers)."""
    if sim.figures_apart:
        return False
    if sim.cosine >= rules.rewrite_cosine and sim.figures_shared >= rules.rewrite_figures:
        return True
    return sim.chinese and sim.vocabulary >= rules.chinese_vocabulary and sim.cosine >= rules.chinese_cosine


def _keep_order(doc: StoryDoc) -> tuple[bool, int, str]:
    return (not doc.summarized, -doc.zi, doc.key)


class StoryIndex:
    """Grouping as articles arrive, for a streaming run: each new article joins the story of the most
    similar article seen before it, or starts a story of its own.

    A story is never split or merged once formed: its summary may already be written or in flight.
    Stories are named by the key of their first article.
    """

    def __init__(self, rules: DedupRules = DedupRules(), day: Day | None = None) -> None:
        self.rules = rules
        self.day = day or Day()  # the terms of every article indexed (or of the whole day, when given)
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
            self._sketches[key] = sk = sketch(title, text)
            self.day.add(key, sk.terms)
            self._unsketched.pop(key, None)

    def __contains__(self, key: str) -> bool:
        return key in self._story

    def story_of(self, key: str) -> str | None:
        return self._story.get(key)

    def match(self, key: str, sk: Sketch) -> str | None:
        """The story of the most similar known article that tells the same story as article ``key``."""
        self.sketch_pending()
        self.day.add(key, sk.terms)
        shared = self.day.shared_with_all(key)
        best: tuple[float, float, float, str] | None = None
        for other_key, other in self._sketches.items():
            if other_key == key:
                continue
            sim = similarity(sk, other, shared=shared.get(other_key, Shared()))
            rank = (sim.containment, sim.cosine, sim.title, other_key)
            if same_story(sim, self.rules) and (best is None or rank > best):
                best = rank
        return self._story[best[3]] if best else None

    def add(self, key: str, sk: Sketch, story: str | None = None) -> str:
        """Index one article and return its story (``story`` when given: a grouping made earlier)."""
        if key not in self._story:
            self._story[key] = story or self.match(key, sk) or key
            self._sketches[key] = sk
            self.day.add(key, sk.terms)
        return self._story[key]


def group_stories(docs: list[StoryDoc], rules: DedupRules = DedupRules()) -> list[StoryGroup]:
    """Every doc in exactly one group; groups ordered by their kept URL, duplicates by URL.

    The docs go through a StoryIndex best first (summarized, then longest, then smallest URL), so the
    first of each story is the one kept and the result depends only on the docs, not on their order.
    """
    unique = sorted({d.key: d for d in docs}.values(), key=_keep_order)
    sketches = {doc.key: sketch(doc.title, doc.text) for doc in unique}
    day = Day()  # the whole day is known: every comparison weighs terms by all of it
    for key, sk in sketches.items():
        day.add(key, sk.terms)
    index = StoryIndex(rules, day)
    members: dict[str, list[str]] = {}
    for doc in unique:
        members.setdefault(index.add(doc.key, sketches[doc.key]), []).append(doc.key)
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
