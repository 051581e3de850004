"""Which Latin words a Chinese summary of one source may use, and which it used wrongly (pure).

A bullet is Chinese; Latin text in it is a name, an acronym, a product, a unit or a figure of the source
("OpenAI", "GPT-4o", "AWS", "iPhone", "7B"), kept verbatim. Everyday English ("runway", "triple") is
never right, and half a name ("北风 Labs" for "Northwind Labs") is a wrong name. ``allowed_latin`` is
what the local model's grammar may write; ``english_words`` and ``half_names`` check any model's reply.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]+(?:[-.+&'/][A-Za-z0-9]+)*(?![A-Za-z0-9])")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“”'‘’(\[\n]\s*|[。！？：；]\s*)$")
_LETTER = re.compile(r"[A-Za-z]")
# Words that open a name only because they open a sentence ("The Northwind Labs team…").
_OPENERS = frozenset("the a an in on at for and but or of to by with from as this that its".split())
# Days and months are translated (周四, 3月), never kept in English.
_CALENDAR = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december jan feb mar apr jun jul aug sep sept oct nov dec".split())
_MAX_ALLOWED = 80  # the grammar grows with every word; an article names far fewer things


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def name_like(token: str) -> bool:
    """A name, acronym, product, unit or figure: a digit or a capital letter ("7B", "AWS", "iPhone")."""
    marked = any(c.isdigit() for c in token) or any(c.isupper() for c in token)
    return bool(_LETTER.search(token)) and marked


@dataclass(frozen=True)
class LatinWords:
    """The Latin words of one source: those a summary may write, and its names of several words."""

    allowed: tuple[str, ...]  # most frequent first
    names: tuple[str, ...]  # "Northwind Labs": used whole or not at all
    parts: frozenset[str]  # words of ``names`` that never stand alone in the source

    @classmethod
    def of(cls, text: str) -> LatinWords:
        text = _fold(text)
        names = _names(text)
        counts, standalone = _counts(text, names)
        in_name = {word for name in names for word in name.split()}
        # "B" of "Series B" is B轮 in Chinese; a one-letter word is never half a name.
        parts = frozenset(w for w in in_name if not standalone[w] and len(w) > 1)
        title = text.split("\n", 1)[0]
        ranked = [t for t, n in counts.most_common()
                  if t not in parts and (n > 1 or t in title or not _opens_only(t, text))]
        return cls(tuple([*names, *ranked][:_MAX_ALLOWED]), tuple(names), parts)


def _counts(text: str, names: list[str]) -> tuple[Counter[str], Counter[str]]:
    """How often each name-like word occurs, and how often outside a name of several words."""
    counts: Counter[str] = Counter()
    standalone: Counter[str] = Counter()
    lower = {m.group(0) for m in _TOKEN.finditer(text) if m.group(0).islower()}
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token.lower() in _CALENDAR or not name_like(token) or not _proper(token, lower):
            continue
        counts[token] += 1
        if not _inside_name(text, match, names):
            standalone[token] += 1
    return counts, standalone


# Ordinary words that open English sentences and headlines: capitalised there, never names.
_COMMON = frozenset("""
a about after all also although an and another any are as at be because before being both but by can
could did do does during each early earlier eight even every few first five for four from further had has
have he her here his how however i if in instead into is it its last late later many may meanwhile more
most much my new next nine no nor not now of on once one only or other our over own per perhaps please
previously recently said several seven she since six so some still such ten than that the their them
then there these they third this those three though thus to today together two under unlike until up us
was we were what when where whether which while who why will with within without would yet you your
""".split())


_NOT_NAMES = _OPENERS | _COMMON  # words a name never opens with


def _proper(token: str, lower: set[str]) -> bool:
    """A capitalised word is a name unless it is an ordinary word that opens a sentence ("The", "However"):
    one the text also writes in lower case, or a common opener."""
    if any(c.isdigit() for c in token) or any(c.isupper() for c in token[1:]):
        return True
    if len(token) < 2 or token.lower() in lower or token.lower() in _COMMON:
        return False
    return True


def _names(text: str) -> list[str]:
    """Names of two to four capitalised words ("Northwind Labs", "Granite Peak Ventures"), most frequent
    first."""
    found: Counter[str] = Counter()
    for match in re.finditer(r"(?<![A-Za-z0-9])[A-Z][A-Za-z0-9]*(?:[ ][A-Z][A-Za-z0-9]*){1,3}(?![A-Za-z0-9])",
                             text):
        words = match.group(0).split()
        while words and words[0].lower() in _NOT_NAMES:
            words = words[1:]
        if len(words) >= 2:
            found[" ".join(words)] += 1
    return [name for name, _ in found.most_common()]


def _opens_only(token: str, text: str) -> bool:
    """A capitalised word seen once, where a sentence opens ("According", "Existing"): likely not a name."""
    plain = not any(c.isdigit() for c in token) and not any(c.isupper() for c in token[1:])
    return plain and _only_opens(token, text)


def _only_opens(word: str, text: str) -> bool:
    """A capitalised word seen only where a sentence opens ("However", "Eight"): not part of a name."""
    for match in re.finditer(rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])", text):
        if not _SENTENCE_START.search(text[max(0, match.start() - 3):match.start()]):
            return False
    return True


def _inside_name(text: str, match: re.Match[str], names: list[str]) -> bool:
    window = text[max(0, match.start() - 40):match.end() + 40]
    offset = match.start() - max(0, match.start() - 40)
    for name in names:
        for found in re.finditer(re.escape(name), window):
            if found.start() <= offset < found.end():
                return True
    return False


def english_words(text: str, words: LatinWords) -> list[str]:
    """Latin words of a headline or bullet that are not names of the source: English left untranslated."""
    text = _fold(text)
    allowed = set(words.allowed) | {w for name in words.names for w in name.split()}
    out = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        # A figure with its unit ("14GB" for "14 GB") is the number check's to judge.
        if not _LETTER.search(token) or token[0].isdigit() or token in allowed or token in out:
            continue
        out.append(token)
    return out


_HAN_BEFORE = re.compile(r"[\u4e00-\u9fff]{1,4}\s?$")
_HAN_AFTER = re.compile(r"^\s?[\u4e00-\u9fff]{1,4}")


def half_names(text: str, words: LatinWords) -> list[tuple[str, str]]:
    """(the words as they stand in the text, the source's whole name) for each name kept only in part."""
    text = _fold(text)
    out: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token not in words.parts:
            continue
        wholes = [n for n in words.names if token in n.split()]
        if not wholes or any(n in text for n in wholes):
            continue
        whole = wholes[0]
        before = _HAN_BEFORE.search(text[:match.start()])
        after = _HAN_AFTER.search(text[match.end():])
        shown = (before.group(0) if before else "") + token + (after.group(0) if after and not before else "")
        out.append((shown, whole))
    return out
