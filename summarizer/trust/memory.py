"""Story memory: a new page against the stories of the last days' issues (no I/O here).

``dedup`` says whether two pages tell one story; the memory holds the
fingerprints (``Sketch``) of every article of the items published in the last
``digest.memory_days`` days, and says which published item a new page's story
is, if any. Then ``new_facts`` says whether the page moved the story on: its
sentences whose names, figures or dates none of the earlier texts has. A page
with none is a repeat (left out of the draft, listed as 已报道); a page with
some is a follow-up (one 续报 item, written about what is new). A fact told in
a clause set in years long past (a career, a product's history) is background,
not news.

The memory has its own term frequencies (``salience.Day``) over the published
stories and the night's pages, so matching against it never changes how the
night's own pages group.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..text import sentences
from .checks import latin_names
from .dedup import DedupRules, Sketch, StoryIndex, body, figures
from .latin import name_like
from .salience import normalize


@dataclass(frozen=True)
class Remembered:
    """One article of a published item, as the memory is given it."""

    key: str  # the article's canonical URL
    item: str  # canonical URL of the item's kept article
    date: str  # the issue it was published in
    sketch: Sketch


@dataclass(frozen=True)
class Match:
    item: str
    date: str


class StoryMemory:
    """The published stories of the last days; ``match`` finds the one a new page tells, if any."""

    def __init__(self, stories: Iterable[Remembered], rules: DedupRules | None = None) -> None:
        self.index = StoryIndex(rules or DedupRules())
        self._items: dict[str, Match] = {}
        for story in stories:
            item_id = f"{story.date} {story.item}"
            self._items.setdefault(item_id, Match(story.item, story.date))
            self.index.add(f"published {story.date} {story.key}", story.sketch, story=item_id)

    def __len__(self) -> int:
        return len(self._items)

    def match(self, key: str, sk: Sketch) -> Match | None:
        """The published item whose story the page ``key`` tells (the most similar, newest on a tie)."""
        if not self._items:
            return None
        found = self.index.match(f"night {key}", sk)
        return self._items[found] if found else None


# Dates a follow-up brings: "11月21日", "2026年", "Nov. 21", "21 November".
_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december"
           "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_DATE = re.compile(r"(?:19|20)\d\d\s*年(?:\s*\d{1,2}\s*月)?(?:\s*\d{1,2}\s*[日号])?"
                   r"|\d{1,2}\s*月\s*\d{1,2}\s*[日号]"
                   rf"|\b(?:{_MONTHS})\.?\s+\d{{1,2}}\b|\b\d{{1,2}}\s+(?:{_MONTHS})\b", re.I)
# A dateline or a byline's time says when the page was written, not what happened: "新华网北京1月16日电",
# "新浪财经讯 1月12日消息", "(2012-01-17 14:55)".
_DATELINE = re.compile(r"^[^，,。\n]{0,16}?\d{1,2}\s*月\s*\d{1,2}\s*日[^，,。\n]{0,6}?(?:电|讯|消息|报道)"
                       r"|[（(]\s*\d{4}-\d{2}-\d{2}[^)）]*[)）]")
_OPENS = re.compile(r"(?:^|[.!?:;\"“”'‘’(\n]\s*|[。！？：；]\s*)$")
# Names Chinese writing sets off: 《人工智能法》, and a quoted product name with a figure (“星图4”); other
# quotes are as often emphasis (「练刀」) as names.
_QUOTED = re.compile(r"《([^》\n]{2,20})》|[“「]([^”」\n]{0,12}[0-9A-Za-z][^”」\n]{0,12})[”」]")
# A sentence shorter than this (字, or two per Latin word) is a caption or a byline, not a fact.
_MIN_SENTENCE = 12


@dataclass(frozen=True)
class FactRules:
    """When a page moves a story on (defaults set on bench/fixtures/stories_memory.yaml)."""

    # New sentences (with a name, figure or date no earlier text has) a follow-up needs.
    new_sentences: int = 2
    # A sentence whose character trigrams are mostly in the earlier texts is an old sentence reworded.
    old_share: float = 0.6
    # A fact told only in clauses set this many years or more before the night is background; figures
    # of the year before last are still news (statistics come out a year or two after their period).
    past_years: int = 3


_YEAR = re.compile(r"(?<!\d)(?<!\d[.,])(?:19|20)\d\d(?!\d|[.,]\d)")
_DOTS = re.compile(r"[・•‧∙･]")  # the middle dots of one name ("中国网事·感动2011") as sites write them


def facts(text: str) -> set[str]:
    """The names, figures and dates of a text, as comparable keys."""
    text = _DATELINE.sub(" ", _DOTS.sub("·", normalize(text)))
    dates = _DATE.findall(text)
    found = {"@" + re.sub(r"\s+", "", d).lower() for d in dates}
    found |= {f"#{f}" for f in figures(_DATE.sub(" ", text))}
    found |= {f"${name.lower()}" for name in _names(text)}
    found |= {f"“{(a or b).strip()}" for a, b in _QUOTED.findall(text)}
    return found


def _names(text: str) -> list[str]:
    """Latin names: capitalised words, acronyms, model names; a capitalised word opening a sentence
    ("However", "Her") only with a digit or a capital inside ("iPhone", "GPT-4")."""
    found = []
    for match in re.finditer(r"[A-Za-z][A-Za-z0-9]*(?:[-.&'+][A-Za-z0-9]+)*", text):
        token = match.group(0)
        if token not in latin_names(token) or not name_like(token):
            continue
        opens = _OPENS.search(text[max(0, match.start() - 3):match.start()])
        if opens and not re.search(r"\d|.[A-Z]", token):
            continue
        found.append(token)
    return found


def _known(fact: str, known: set[str], flat: str) -> bool:
    """A fact the earlier texts have in another form: written in them, a figure rounded (521 and 522万),
    a name spelt otherwise (Alex and Alexis, Rodriguez and Rodriquez)."""
    kind, value = fact[0], fact[1:]
    if value.replace(" ", "") in flat:
        return True
    if kind == "#" and (number := _number(value)) is not None:
        return any(abs(number - other) <= 0.01 * max(abs(number), abs(other))
                   for k in known if k[0] == "#" and (other := _number(k[1:])) is not None)
    if kind == "$" and len(value) >= 4:
        return any(_spelt_otherwise(value, k[1:]) for k in known if k[0] == "$" and len(k) >= 5)
    return False


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _spelt_otherwise(a: str, b: str) -> bool:
    """One name in two spellings: one opens the other, or they differ by one letter."""
    if a.startswith(b) or b.startswith(a):
        return True
    if len(a) != len(b) or len(a) < 5:
        return False
    return sum(x != y for x, y in zip(a, b, strict=True)) == 1


def _trigrams(text: str) -> set[str]:
    compact = re.sub(r"\s+", "", text.lower())
    return {compact[i:i + 3] for i in range(len(compact) - 2)}


def _length(sentence: str) -> int:
    cjk = len(re.findall(r"[\u3400-\u9fff]", sentence))
    return cjk + 2 * len(re.findall(r"[A-Za-z]+", sentence))


# A time set off at a clause's head: "2021年", "2004年11月", "2019年底", "In 2004", "by March 2010".
_FRONTED = re.compile(r"(?:(?:in|by|since|until)\s+)?(?:[a-z]+\s+)?(?:19|20)\d\d"
                      r"(?:\s*年(?:\s*\d{1,2}\s*月)?(?:\s*\d{1,2}\s*[日号])?(?:初|底|以来)?)?", re.I)
# Clauses: commas and semicolons, not the comma inside a figure ("$1,000").
_CLAUSE = re.compile(r"(?<!\d),|,(?!\d)|[，;；]")


def _background(sentence: str, year: int | None, rules: FactRules) -> set[str]:
    """The facts told only in clauses set in years long before ``year`` (the night's): "2002年进入某公司"."""
    if year is None:
        return set()
    old: set[str] = set()
    current: set[str] = set()
    fronted: list[int] = []
    for clause in _CLAUSE.split(sentence):
        own = [int(y) for y in _YEAR.findall(clause)]
        # A time set off at a sentence's head ("2021年，公司发布…，当年…", "In 2004, she…") holds until
        # another time.
        if own:
            fronted = own if _FRONTED.fullmatch(clause.strip()) else []
        years = own or fronted
        (old if years and max(years) <= year - rules.past_years else current).update(facts(clause))
    return old - current


def new_facts(text: str, earlier: Iterable[str], rules: FactRules = FactRules(),
              year: int | None = None) -> list[str]:
    """The sentences of ``text`` that bring a name, figure or date none of the ``earlier`` texts has;
    with ``year`` (the night's), not those set in years long past."""
    before = "\n".join(earlier)
    known = facts(before)
    flat = re.sub(r"\s+", "", normalize(before).lower())
    old = _trigrams(before)
    found = []
    for sentence in sentences(body(text)):
        # The split leaves the space after a full stop: stripped, the sentence's first word is an opener.
        sentence = sentence.strip()
        if not sentence or _length(sentence) < _MIN_SENTENCE:
            continue
        fresh = {f for f in facts(sentence) - known if not _known(f, known, flat)}
        # Clause by clause only for a sentence that brings something: most bring nothing.
        if not fresh or not fresh - _background(sentence, year, rules):
            continue
        grams = _trigrams(sentence)
        if grams and len(grams & old) / len(grams) >= rules.old_share:
            continue
        found.append(sentence)
    return found


def moves_on(text: str, earlier: Iterable[str], rules: FactRules = FactRules(),
             year: int | None = None) -> bool:
    """Whether a page of a published story brings enough new facts to be a follow-up (续报)."""
    return len(new_facts(text, earlier, rules, year)) >= rules.new_sentences
