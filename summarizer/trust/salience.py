"""Salient terms: how much two articles share the words that are rare among the day's articles.

A rewrite of one event by another outlet shares few whole phrases with the original (so the shingle
containment of ``dedup`` misses it) but it names the same people, places, products and figures. Those
terms are rare in the day's other articles, while the words of a topic many articles cover (a company,
"食品安全") are common that day. So each term is weighted by its inverse document frequency over the
day's articles (``Day``), and two articles are compared by

* the weighted cosine of their term vectors, and
* the weighted containment: the share of the smaller vocabulary's weight that the other text has.

Terms are Latin words (lowercased, stop words dropped, a plural ``s`` cut) and numbers, and pairs of
adjacent CJK characters (function characters such as 的/了/是 left out): a character bigram catches
most Chinese words and names without a segmenter. Traditional characters are folded to simplified and
full-width forms to ASCII first, so a big5 mirror and its simplified source share their terms.

With few articles in the day every shared term looks common (in both articles out of a handful), so
the weights are low and the rewrite rules of ``dedup`` rarely fire: a small day only merges on shared
phrases. ``Day`` keeps the sums it needs per article up to date as articles arrive, so matching a new
article against a few hundred costs about one pass over the postings of its terms.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from hanziconv.charmap import simplified_charmap, traditional_charmap

_T2S: dict[int, str] = {}
for _trad, _simp in zip(traditional_charmap, simplified_charmap, strict=True):
    _T2S.setdefault(ord(_trad), _simp)  # the first mapping wins, as in HanziConv.toSimplified

_CJK_CLASS = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
_CJK = re.compile(_CJK_CLASS)
_TERM_TOKEN = re.compile(_CJK_CLASS + r"|[0-9A-Za-z\u00c0-\u024f]+(?:[.,][0-9]+)*")
# Characters that glue a Chinese sentence together: a bigram with one of them is rarely a name or a word.
_FUNCTION_ZI = frozenset("的了是在和有也就都而及与着或被把对于其"
                         "这那之为以上中下个一不人们我你他她它来到说将已从向等")
_STOP = frozenset("""
a an the and or but if of to in on at by for with from as is are was were be been being it its this that
these those he she they we you i me him her them us our your their his my not no yes so than then there here
what which who whom whose when where why how all any both each few more most other some such only own same too
very can will just should would could may might must do does did done have has had having said says say also
about after before over under into out up down off again further once new one two three first last year years
mr mrs ms per cent percent told according
""".split())


def normalize(text: str) -> str:
    """Full-width forms to ASCII (NFKC) and traditional characters to simplified."""
    return unicodedata.normalize("NFKC", text).translate(_T2S)


def _latin_term(token: str) -> str | None:
    token = token.lower()
    if token in _STOP or (len(token) < 3 and not (token.isdigit() and len(token) == 2)):
        return None
    if len(token) > 4 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]  # "implants" and "implant", "genomes" and "genome" are one term
    return token


def term_counts(text: str) -> Counter[str]:
    """Terms of an already normalized text with their counts."""
    counts: Counter[str] = Counter()
    previous = ""
    for token in _TERM_TOKEN.findall(text):
        if _CJK.match(token):
            glue = previous in _FUNCTION_ZI or token in _FUNCTION_ZI
            if previous and _CJK.match(previous) and not glue:
                counts[previous + token] += 1
        elif term := _latin_term(token):
            counts[term] += 1
        previous = token
    return counts


def term_weights(text: str) -> dict[str, float]:
    """Each term's weight in its own text, before the day's rarity: 1 + ln(count)."""
    return {term: 1.0 + math.log(n) for term, n in term_counts(text).items()}


def is_chinese(text: str) -> bool:
    """Most of the text's words are CJK characters (a Chinese article quoting English names still is)."""
    tokens = _TERM_TOKEN.findall(text)
    return bool(tokens) and sum(1 for t in tokens if _CJK.match(t)) > len(tokens) / 2


@dataclass(eq=False)  # compared and hashed by identity: the postings point at it
class _Sums:
    """Per article, the sums that give its weight and norm for any day size (see ``Day``)."""

    weights: Mapping[str, float]
    count: int = 0  # terms
    log_df: float = 0.0  # sum of ln(df + 0.5) over its terms
    square: float = 0.0  # sum of w^2
    square_log_df: float = 0.0  # sum of w^2 ln(df + 0.5)
    square_log_df2: float = 0.0  # sum of w^2 ln(df + 0.5)^2


@dataclass(frozen=True)
class Shared:
    cosine: float = 0.0  # of the idf-weighted term vectors
    containment: float = 0.0  # idf weight of the shared terms over the smaller vocabulary's


@dataclass
class Day:
    """Document frequencies of the terms over the day's articles, keyed by article.

    idf(t) = ln((n + 1) / (df(t) + 0.5)). An article's weight is sum(idf) = count * L - log_df and its
    squared norm sum((w * idf)^2) = L^2 square - 2 L square_log_df + square_log_df2, with L = ln(n + 1):
    only the df of the new article's terms change when it arrives, so only the articles that share a
    term with it have their sums updated (through the postings), and n enters at query time.
    """

    log_df: dict[str, float] = field(default_factory=dict)  # ln(df + 0.5) of each term
    _sums: dict[str, _Sums] = field(default_factory=dict)
    _postings: dict[str, list[tuple[_Sums, float]]] = field(default_factory=dict)  # (article, w)

    def __contains__(self, key: str) -> bool:
        return key in self._sums

    @property
    def size(self) -> int:
        return len(self._sums)

    def add(self, key: str, weights: Mapping[str, float]) -> None:
        if key in self._sums:
            return
        sums = self._sums[key] = _Sums(weights, count=len(weights))
        for term, w in weights.items():
            postings = self._postings.setdefault(term, [])
            old, new = math.log(len(postings) + 0.5), math.log(len(postings) + 1.5)
            step, step2 = new - old, new * new - old * old
            self.log_df[term] = new
            for other, other_w in postings:
                other.log_df += step
                other.square_log_df += other_w * other_w * step
                other.square_log_df2 += other_w * other_w * step2
            postings.append((sums, w))
            sums.log_df += new
            sums.square += w * w
            sums.square_log_df += w * w * new
            sums.square_log_df2 += w * w * new * new

    def idf(self, term: str) -> float:
        return math.log(self.size + 1) - self.log_df.get(term, math.log(0.5))

    def _mass_norm(self, sums: _Sums) -> tuple[float, float]:
        lg = math.log(self.size + 1)
        norm2 = lg * lg * sums.square - 2 * lg * sums.square_log_df + sums.square_log_df2
        return sums.count * lg - sums.log_df, math.sqrt(max(norm2, 1e-12))

    def _shared(self, a: _Sums, b: _Sums, mass: float, dot: float) -> Shared:
        (mass_a, norm_a), (mass_b, norm_b) = self._mass_norm(a), self._mass_norm(b)
        smaller = min(mass_a, mass_b)
        return Shared(cosine=min(1.0, dot / (norm_a * norm_b)),
                      containment=min(1.0, mass / smaller) if smaller > 0 else 0.0)

    def shared(self, a: str, b: str) -> Shared:
        """How much articles ``a`` and ``b`` (both added) share their rare terms."""
        sa, sb = self._sums[a], self._sums[b]
        wa, wb = sa.weights, sb.weights
        lg = math.log(self.size + 1)
        mass = dot = 0.0
        for term in wa.keys() & wb.keys():
            idf = lg - self.log_df[term]
            mass += idf
            dot += wa[term] * wb[term] * idf * idf
        return self._shared(sa, sb, mass, dot)

    def shared_with_all(self, key: str) -> dict[str, Shared]:
        """``shared(key, other)`` for every other article with a term in common, through the postings."""
        mine = self._sums[key]
        lg = math.log(self.size + 1)
        mass: dict[_Sums, float] = {}
        dot: dict[_Sums, float] = {}
        for term, w in mine.weights.items():
            idf = lg - self.log_df[term]
            for other, other_w in self._postings[term]:
                mass[other] = mass.get(other, 0.0) + idf
                dot[other] = dot.get(other, 0.0) + w * other_w * idf * idf
        return {other_key: self._shared(mine, sums, mass[sums], dot[sums])
                for other_key, sums in self._sums.items() if sums in mass and sums is not mine}
