"""English magnitudes of a source in their Chinese forms, computed here and never left to the model (pure).

"$310 million" is 3.1亿美元, "7B parameters" 70亿参数, "1.2bn" 12亿, "40K users" 4万用户. A small model
asked to convert million and billion gets the power of ten wrong (7B became 7亿), so the text it reads
carries the Chinese form beside each figure, and the number check accepts exactly the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_SCALE_WORDS = {"thousand": 3, "million": 6, "billion": 9, "trillion": 12,
                "mln": 6, "mn": 6, "bn": 9, "tn": 12}
_SCALE_LETTERS = {"k": 3, "m": 6, "b": 9, "t": 12}
_CURRENCIES = {"US$": "美元", "HK$": "港元", "C$": "加元", "A$": "澳元", "S$": "新加坡元", "$": "美元",
               "€": "欧元", "£": "英镑"}
_CODES = {"usd": "美元", "eur": "欧元", "gbp": "英镑", "dollars": "美元", "euros": "欧元",
          "pounds": "英镑", "yuan": "元", "rmb": "元", "yen": "日元"}
# Counted nouns whose Chinese form is plain; the figure is converted either way.
_NOUNS = {"parameters": "参数", "params": "参数", "users": "用户", "customers": "客户", "downloads": "次下载",
          "subscribers": "订阅用户", "employees": "名员工", "people": "人"}

_CURRENCY_RE = "|".join(re.escape(c) for c in sorted(_CURRENCIES, key=len, reverse=True))
_NUMBER_RE = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_PATTERN = re.compile(
    rf"(?<![\w.,$€£])(?P<currency>{_CURRENCY_RE})?\s?(?P<number>{_NUMBER_RE})"
    r"(?:(?P<glued>[kKmMbBtT]|bn|mn|tn)(?![A-Za-z0-9])"
    r"|\s?(?P<word>thousand|million|billion|trillion|mln|mn|bn|tn)\b)?"
    r"(?:\s(?P<code>USD|EUR|GBP|dollars|euros|pounds|yuan|RMB|yen)\b)?"
    r"(?:\s(?P<noun>parameters|params|users|customers|downloads|subscribers|employees|people)\b)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Magnitude:
    """One English figure of the source: its words as written, its value, and its Chinese form."""

    raw: str
    value: Decimal
    chinese: str
    start: int
    end: int


def chinese_number(value: Decimal) -> str:
    """``value`` in 万 and 亿 as Chinese news writes it: 3.1亿, 4万, 2.5万亿, 8000."""
    for power, unit in ((12, "万亿"), (8, "亿"), (4, "万")):
        if abs(value) >= Decimal(10) ** power:
            return _plain(value.scaleb(-power)) + unit
    return _plain(value)


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _power(match: re.Match[str]) -> int | None:
    """The power of ten a figure's scale says, or None when the figure has no English scale."""
    glued, word = match.group("glued"), match.group("word")
    if word:
        return _SCALE_WORDS[word.lower()]
    if not glued:
        return None
    if glued.lower() in _SCALE_WORDS:
        return _SCALE_WORDS[glued.lower()]
    # A lone letter is a scale only where it cannot be anything else: after a currency ($5m, $1.2B), before
    # a counted noun (40K users), or a capital B after a figure (a model's 7B parameters). 4K video, 5G,
    # 16M colours stay as written.
    if match.group("currency") or match.group("noun") or glued == "B":
        return _SCALE_LETTERS[glued.lower()]
    return None


def find_magnitudes(text: str) -> list[Magnitude]:
    """Every figure with an English scale, a currency or both, whose Chinese form says something new."""
    found = []
    for match in _PATTERN.finditer(text):
        power = _power(match)
        currency = match.group("currency")
        code = match.group("code")
        if power is None and not currency and not code:
            continue
        try:
            base = Decimal(match.group("number").replace(",", ""))
        except InvalidOperation:
            continue
        value = base.scaleb(power or 0)
        if power is None and value < 10_000:
            continue  # "$5" needs no conversion
        unit = _CURRENCIES.get(currency or "", "") or _CODES.get((code or "").lower(), "")
        noun = _NOUNS.get((match.group("noun") or "").lower(), "")
        chinese = chinese_number(value) + (unit or noun)
        raw = match.group(0).strip()
        found.append(Magnitude(raw, value, chinese, match.start(), match.start() + len(match.group(0))))
    return found


def annotate(text: str) -> str:
    """``text`` with each English magnitude followed by its Chinese form: "$310 million（3.1亿美元）"."""
    out, last = [], 0
    for magnitude in find_magnitudes(text):
        out.append(text[last:magnitude.end])
        out.append(f"（{magnitude.chinese}）")
        last = magnitude.end
    out.append(text[last:])
    return "".join(out)


def source_magnitudes(text: str) -> list[Decimal]:
    """The values of the source's English magnitudes, for the number check ("7B" supports 70亿)."""
    return [m.value for m in find_magnitudes(text)]


_DIGITS = re.compile(r"(?<![\d.,])\d+(?:[.,]\d+)*")
_MAX_FIGURES = 120  # the grammar grows with every figure; the most frequent come first


def written_figures(text: str, values: list[Decimal] | tuple[Decimal, ...]) -> tuple[str, ...]:
    """The digit strings a summary of ``text`` may write: the source's own
    ("2,000" and 2000) and the figures of its values in 万 and 亿 (3.1 of 3.1亿美元, 1200 of 一千二百万).
    The 1.5B model wrote a year, "50%" and an eleven-digit figure no source had."""
    counts: dict[str, int] = {}
    for raw in _DIGITS.findall(text):
        for form in (raw, raw.replace(",", "")):
            counts[form] = counts.get(form, 0) + 1
    for value in values:
        for form in (_plain(value), re.sub(r"[^\d.]", "", chinese_number(value))):
            counts.setdefault(form, 0)
    ranked = sorted(counts, key=lambda f: -counts[f])
    return tuple(ranked[:_MAX_FIGURES])


_SCALED = re.compile(r"(?<![\d.,])\d+(?:\.\d+)? ?(?:万亿|万|亿)")
_MAX_SCALED = 40


def scaled_figures(text: str, values: list[Decimal] | tuple[Decimal, ...]) -> tuple[str, ...]:
    """The figures a summary of ``text`` may write with 万 or 亿: the source's own ("3.5万") and its values
    in Chinese form (3.1亿 for "$310 million", 1200万 for 一千二百万). Any other figure with 万 or 亿 is a
    magnitude the source lacks: the 1.5B model wrote "14亿" for "14 GB"."""
    forms: dict[str, None] = {}
    for written in _SCALED.findall(text):  # "30 亿" as Chinese sources space it, and "30亿"
        forms.update(dict.fromkeys((written, written.replace(" ", ""))))
    for value in values:
        form = chinese_number(value)
        if form[-1] in "万亿":
            forms.setdefault(form)
    return tuple(forms)[:_MAX_SCALED]
