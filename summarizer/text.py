"""Counting 字 and other text measures shared by every stage (pure functions).

The 字 rule is the one Chinese word processors use for 字数:
  * every CJK character (Han ideographs, kana, hangul) counts 1;
  * every run of Latin letters and/or digits (``GPT4``, ``2023``, ``AI``) counts 1
    (a "word"); ``GPT-4.5`` is three runs: ``GPT``, ``4``, ``5``;
  * whitespace, punctuation (ASCII and full-width alike) and emoji count nothing.

Full-width punctuation is left out because the reference issue's own figure
fits that best: its 30 headlines and 90 bullets are 8,229 字 by this rule
against the 7,945 it printed, and 8,958 if punctuation counted.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_CJK = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Han
    "\u3040-\u309f\u30a0-\u30ff"  # kana
    "\uac00-\ud7af"  # hangul
    "\U00020000-\U0002ffff"
)
_CJK_RE = re.compile(f"[{_CJK}]")
# Latin letters incl. accented ones, and digits, but not CJK.
_WORD_RE = re.compile(r"[0-9A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]+")


def count_zi(text: str) -> int:
    """字 of ``text`` by the rule in this module's docstring."""
    return len(_CJK_RE.findall(text)) + len(_WORD_RE.findall(text))


# An English word carries about as much news as two Chinese characters (a translated article has about
# 1.7 characters for each English word); the length rule counts it so, so that a threshold means the same
# in both languages: a 120-word English brief measures 240, a 60-character Chinese teaser 60.
LATIN_WORD_WEIGHT = 2


def article_length(text: str) -> int:
    """Length of an article on one scale for both languages: CJK characters, plus two for each Latin word."""
    return len(_CJK_RE.findall(text)) + LATIN_WORD_WEIGHT * len(_WORD_RE.findall(text))


def cjk_chars(text: str) -> int:
    return len(_CJK_RE.findall(text))


def chinese_share(text: str) -> float:
    """Share of the text's 字 (punctuation aside) that are CJK characters; 0 for empty text."""
    han = cjk_chars(text)
    words = len(_WORD_RE.findall(text))
    total = han + words
    return han / total if total else 0.0


# Where a Chinese sentence may end: a stop, optionally inside closing quotes or brackets.
_SENTENCE_END = re.compile(r"[。！？!?…][」』”’）)]*")


def drop_cut_tail(text: str, min_zi: int) -> str:
    """``text`` back to its last whole sentence when it stops mid-sentence, if that keeps ``min_zi`` 字.

    A grammar that caps a small model's bullet at so many Chinese characters cuts it where the
    characters run out, and the model fills the rest of the string with whatever it may still write:
    "…续航约8小时，Robot can 100% shifts，2", "…支持 INT4 精яд，...". The tail is dropped, not re-asked.
    """
    if ends_sentence(text):
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    if ends and count_zi(text[: ends[-1]]) >= min_zi:
        return text[: ends[-1]]
    return text


def loop_start(text: str, span: int = 20, short: int = 3, window: int = 32) -> int | None:
    """Where ``text`` starts to repeat itself, if it does: a span of ``span`` characters seen again, or one
    of ``short`` characters a fourth time within ``window`` with the same text between two of its repeats
    (spaces and digits aside). That is how a small model pads to a length or loops on ("下载地址1，下载地址2，
    …下载地址22", "DNA”（DNA）“DNA”"); a name used four times in a bullet is not a loop, nor a long Latin
    name twice, nor a list. The index is that of the first repeat."""
    words, at = _words_as_one(text)
    starts = [at[j] for i in range(len(words) - 2 * span + 1)
              if (j := words.find(words[i : i + span], i + span)) != -1]
    kept = [i for i, ch in enumerate(text) if not ch.isspace() and not ch.isdigit()]
    compact = "".join(text[i] for i in kept)
    seen: dict[str, list[int]] = {}
    for i in range(len(compact) - short + 1):
        places = seen.setdefault(compact[i : i + short], [])
        places.append(i)
        if len(places) >= 4 and i - places[-4] < window and _periodic(compact, places[-4:], short):
            starts.append(kept[places[-3]])
            break
    return min(starts) if starts else None


def _periodic(compact: str, places: list[int], short: int) -> bool:
    """Whether what stands between the repeats repeats too ("下载地址1，下载地址2，…", digits aside), as in a
    loop; a list ("线路查询、车次查询、车站查询、售票点查询") has other words between them."""
    gaps = [compact[a + short:b] for a, b in zip(places, places[1:], strict=False)]
    return len(set(gaps)) < len(gaps)


def _words_as_one(text: str) -> tuple[str, list[int]]:
    """``text`` without spaces and digits, each Latin word one character (so "而Life Technologies的测序仪"
    twice is a name used twice, not a 20-character loop), and where each character stands in ``text``."""
    chars, at = [], []
    words: dict[str, str] = {}
    for match in re.finditer(r"[A-Za-z]{2,}|[^\s\d]", text):
        token = match.group(0)
        chars.append(words.setdefault(token, chr(0xE000 + len(words))) if len(token) > 1 else token)
        at.append(match.start())
    return "".join(chars), at


def cut_loop(text: str, min_zi: int) -> str:
    """``text`` up to the last whole sentence before it starts repeating itself, if that keeps ``min_zi``
    字; else as it was (and the validator asks again)."""
    start = loop_start(text)
    if start is None:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text[:start])]
    if ends and count_zi(text[: ends[-1]]) >= min_zi:
        return text[: ends[-1]]
    return text


def ends_sentence(text: str) -> bool:
    """True when ``text`` ends with a sentence's stop (closing quotes or brackets after it allowed)."""
    return re.search(_SENTENCE_END.pattern + r"\s*$", text) is not None


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def normalize_space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# Emoji: a base pictograph optionally followed by variation selector / skin tone,
# joined by ZWJ; or a pair of regional indicators (a flag); or a keycap.
_PICTO = (
    "\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u2199\u21a9\u21aa\u231a\u231b\u2328\u23cf\u23e9-\u23f3"
    "\u23f8-\u23fa\u24c2\u25aa\u25ab\u25b6\u25c0\u25fb-\u25fe\u2600-\u27bf\u2934\u2935\u2b05-\u2b07"
    "\u2b1b\u2b1c\u2b50\u2b55\u3030\u303d\u3297\u3299\U0001f000-\U0001faff"
)
_MOD = "\ufe0f\ufe0e\U0001f3fb-\U0001f3ff\u20e3\U000e0020-\U000e007f"
_EMOJI_RE = re.compile(
    f"(?:[\U0001f1e6-\U0001f1ff]{{2}})"
    f"|(?:[0-9#*]\ufe0f?\u20e3)"
    f"|(?:[{_PICTO}][{_MOD}]*(?:\u200d[{_PICTO}][{_MOD}]*)*)"
)


def split_emoji(text: str) -> list[str] | None:
    """The emoji in ``text`` one by one, or None if it holds anything that is not emoji."""
    found = find_emoji(text)
    return found if "".join(found) == re.sub(r"\s+", "", text) else None


def find_emoji(text: str) -> list[str]:
    """The emoji in ``text`` one by one, whatever else it holds."""
    return _EMOJI_RE.findall(re.sub(r"\s+", "", text))


def has_emoji(text: str) -> bool:
    return any(
        _EMOJI_RE.fullmatch(ch) and unicodedata.category(ch) == "So" for ch in text
    ) or bool(re.search("[\U0001f000-\U0001faff]", text))


# Text from strangers made safe to store and print: feeds and models may send any code point. Control
# characters (C0, DEL, C1) break XML and terminals; bidi overrides make a line read differently from what it
# says; lone surrogates cannot be encoded as UTF-8 and would crash the write of a draft. All are dropped.
# C0 controls except tab, newline and carriage return; DEL and C1; bidi embeddings, overrides and
# isolates; lone surrogates; the two non-characters XML forbids.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
_LINE_BREAKS = re.compile(r"[\t\r\n\u2028\u2029\x85]+")


def clean_text(text: str) -> str:
    """``text`` without control characters, bidi overrides and lone surrogates (tab and newlines kept)."""
    return _UNSAFE.sub("", text)


def one_line(text: str) -> str:
    """``text`` cleaned and on one line: for report lines, headlines and error messages."""
    return _LINE_BREAKS.sub(" ", clean_text(text))


def clean_data(value: object) -> object:
    """Every string inside JSON-like data (dicts, lists) cleaned."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_data(v) for v in value]
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_data(v) for k, v in value.items()}
    return value


_SENTENCE_SPLIT = re.compile(r"(?<=[。！？!?；;])|(?<=[.](?=\s))|\n+")


def sentences(text: str) -> list[str]:
    """Split into sentences, keeping each sentence's own punctuation; paragraph breaks are kept as '\\n'."""
    out: list[str] = []
    for para in text.split("\n"):
        parts = [p for p in _SENTENCE_SPLIT.split(para) if p and p.strip()]
        out.extend(parts)
        out.append("\n")
    while out and out[-1] == "\n":
        out.pop()
    return out
