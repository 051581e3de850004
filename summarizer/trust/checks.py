"""Trust checks on one summary against its own source text (pure, deterministic, cheap).

They work the same for every provider, the small local model included, because
nothing here asks a second model:

* grounding: every number (Arabic or Chinese numerals, with 万/亿/千/百分之/%/
  thousand/million/billion folded into one value, so ``200亿美元`` matches
  ``$20 billion``) and every Latin-script name in the headline and bullets must
  occur in the source title or text;
* quotes: each bullet's supporting quote must occur in the source after
  whitespace and punctuation are removed; where it occurs gives the coverage
  (which thirds of the source the quotes come from). A summary without quotes
  (the local model is not asked for them: it paraphrases "verbatim" quotes and
  pays for every token) gets its evidence by alignment instead: for each bullet
  the source sentence sharing the most with it (numbers, names, Chinese words);
* shape: no bullet nearly repeating another, no bullet copying a long source
  span, a headline that shares salient terms with the source.

Chinese-ness of headline and bullets is checked by ``summarize.Summary`` (the
format validator); it is not repeated here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from hanziconv import HanziConv

from ..config import CheckSettings
from ..items import CheckResult, Evidence, Problem
from ..text import chinese_share, sentences
from .latin import LatinWords, english_words, half_names
from .magnitudes import Magnitude, chinese_number, find_magnitudes, scaled_figures, written_figures

# Latin words that are generic vocabulary in Chinese tech writing, not names to ground.
GENERIC_TERMS = frozenset(
    "ai api app apps ceo cto cfo coo cpu gpu npu tpu ipo ar vr xr mr it pc saas paas iaas b2b b2c "
    "llm llms aigc agi ui ux sdk os ok vs kw mw gw gb tb mb kb hz ghz mhz nm ms km kg mah usd rmb "
    "cny eur hk pro max mini plus beta ios".split()
)

_CN_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
_EN_MULT = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9, "trillion": 10**12,
            "k": 1000, "K": 1000, "M": 10**6, "mn": 10**6, "B": 10**9, "bn": 10**9}
_EN_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_EN_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
                  "ninety": 90, "dozen": 12, "hundred": 100, "thousand": 1000})
_EN_ORDINALS = {w: i for i, w in enumerate(
    "zeroth first second third fourth fifth sixth seventh eighth ninth tenth".split()) if i}
_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9

_CN_MULT = "(?:[十百千万亿]{1,3})"
_EN_MULT_RE = (r"(?:\s*(?:[Hh]undred|[Tt]housand|[Mm]illion|[Bb]illion|[Tt]rillion)\b"
               r"|(?:bn|mn|[kKMB])(?![A-Za-z]))")
_ARABIC = re.compile(
    r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?"
    rf"(?:\s*({_CN_MULT})(?![一二两三四五六七八九])|({_EN_MULT_RE}))?"
)
_PERCENT_CN = re.compile(r"百分之([〇零一二两三四五六七八九十百点]+|\d+(?:\.\d+)?)")
_CN_NUMBER = re.compile(
    r"[〇零一二两三四五六七八九十][〇零一二两三四五六七八九十百千万亿]*(?:点[〇零一二三四五六七八九]+[万亿]?)?"
)
_EN_NUMBER_WORD = re.compile(
    r"\b(" + "|".join(sorted(_EN_WORDS, key=len, reverse=True))
    + r")(?:[\s-]+(hundred|thousand|million|billion))?\b",
    re.I,
)
_EN_ORDINAL = re.compile(r"\b(" + "|".join(_EN_ORDINALS) + r")\b", re.I)
_MONTH = re.compile(r"\b(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?", re.I)
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z0-9\u00c0-\u024f]*(?:[-.&'+][A-Za-z0-9\u00c0-\u024f]+)*")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@dataclass(frozen=True)
class CheckRules:
    """Thresholds of the checks; part of the summary cache key (a change re-summarizes)."""

    enabled: bool = True
    reasks: int = 1  # re-asks naming the problems before the item is kept with flags
    copy_max_chars: int = 30  # longest source span (punctuation aside) a bullet may copy verbatim
    duplicate_similarity: float = 0.6  # character-bigram Jaccard above which two bullets repeat each other
    headline_min_overlap: float = 0.4  # share of a Chinese headline's bigrams that must occur in the source
    quote_min_chars: int = 4  # shorter quotes prove nothing and count as not found
    quote_max_chars: int = 40  # asked of the model; the local grammar enforces it
    allowed_terms: tuple[str, ...] = ()  # extra Latin words that need no grounding (lower case)

    @classmethod
    def from_settings(cls, settings: CheckSettings) -> CheckRules:
        return cls(
            enabled=settings.enabled, reasks=settings.reasks, copy_max_chars=settings.copy_max_chars,
            duplicate_similarity=settings.duplicate_similarity,
            headline_min_overlap=settings.headline_min_overlap,
            quote_max_chars=settings.quote_max_chars,
            allowed_terms=tuple(sorted(t.lower() for t in settings.allowed_terms)),
        )


# -- normalisation -------------------------------------------------------------

def squash(text: str) -> str:
    """Folded, lower case, no whitespace or punctuation: what quotes and copies are compared on."""
    return re.sub(r"[\W_]+", "", _nfkc(text).lower())


def _nfkc(text: str) -> str:
    """NFKC (full-width digits and letters become ASCII) and traditional Chinese folded to simplified,
    so a simplified summary of a Big5 article still matches its 萬, 億 and words."""
    return HanziConv.toSimplified(unicodedata.normalize("NFKC", text))


# -- numbers -------------------------------------------------------------------

@dataclass(frozen=True)
class Number:
    raw: str
    value: Decimal
    quantum: Decimal  # half of it is the rounding tolerance: "60%" stands for 59.5 ... 60.5


def _cn_int(text: str) -> int | None:
    """Chinese numeral -> int (一亿五千万, 三百二十, 二〇二六); None if it is not a number."""
    if all(ch in _CN_DIGITS for ch in text):
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    yi = wan = section = number = 0
    for ch in text:
        if ch in _CN_DIGITS:
            number = _CN_DIGITS[ch]
        elif ch in ("十", "百", "千"):
            section += (number or 1) * _CN_UNITS[ch]
            number = 0
        elif ch == "万":
            wan = (wan + section + number) * 10_000
            section = number = 0
        elif ch == "亿":
            yi = (yi + wan + section + number) * 100_000_000
            wan = section = number = 0
        else:
            return None
    return yi + wan + section + number


def _unit_multiplier(unit: str) -> int:
    value = 1
    for ch in unit:
        value *= _CN_UNITS[ch]
    return value


# After a single Chinese digit these make it a figure: dates always; counts only in the source,
# where reading too much costs nothing (一家公司 in a summary must not need a "1" in the source).
_DATE_AFTER = "月日号"
_MEASURE_AFTER = "年个家名位款项次倍天周台辆起条人种件张层代期批届轮元"


def numbers(text: str, *, source: bool = False) -> list[Number]:
    """Every number stated in ``text``, as a value with its rounding quantum.

    ``source`` also reads single Chinese digits before a measure word (九起, 两家).
    """
    text = _nfkc(text)
    taken: list[tuple[int, int]] = []  # spans already read: a later pattern never reads them again
    return [*_percents_cn(text, taken), *_arabic(text, taken), *_chinese(text, taken, source)]


def _free(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    start, end = span
    return all(end <= s or start >= e for s, e in taken)


def _percents_cn(text: str, taken: list[tuple[int, int]]) -> list[Number]:
    found = []
    for match in _PERCENT_CN.finditer(text):
        body = match.group(1)
        value = _decimal(body) if body[0].isdigit() else _cn_decimal(body)
        if value is not None:
            found.append(Number(match.group(0), value, Decimal(1)))
            taken.append(match.span())
    return found


def _arabic(text: str, taken: list[tuple[int, int]]) -> list[Number]:
    found = []
    for match in _ARABIC.finditer(text):
        if not _free(match.span(), taken):
            continue
        whole, frac, cn_unit, en_unit = match.groups()
        base = _decimal(whole.replace(",", "") + (f".{frac}" if frac else ""))
        if base is None:
            continue
        mult = 1
        if cn_unit:
            mult = _unit_multiplier(cn_unit)
        elif en_unit:
            unit = en_unit.strip()
            mult = _EN_MULT[unit.lower() if unit.lower() in _EN_MULT else unit]
        quantum = Decimal(1).scaleb(-len(frac or "")) * mult
        raw = match.group(0).strip()
        if text.startswith("%", match.end()):
            raw += "%"
        found.append(Number(raw, base * mult, quantum))
        taken.append(match.span())
    return found


def _chinese(text: str, taken: list[tuple[int, int]], source: bool) -> list[Number]:
    found = []
    for match in _CN_NUMBER.finditer(text):
        if _free(match.span(), taken):
            number = _chinese_number(text, match, source)
            if number is not None:
                found.append(number)
    return found


def _chinese_number(text: str, match: re.Match[str], source: bool) -> Number | None:
    raw = match.group(0)
    has_digit = any(ch in _CN_DIGITS for ch in raw)
    # Single characters (一, 十) and bare digit pairs (一一, 三三两两) are words, not figures;
    # bare digit strings count only as years (二〇二六年).
    after = text[match.end() : match.end() + 1]
    figure = after in _DATE_AFTER or (source and has_digit and after in _MEASURE_AFTER)
    if len(raw) == 1 and after and figure:
        return Number(raw, Decimal(_CN_DIGITS.get(raw, 10)), Decimal(1))  # 三月, 十日, 九起
    if len(raw) < 2 or not has_digit:
        return None
    if not any(ch in _CN_UNITS for ch in raw) and not text.startswith("年", match.end()):
        return None
    value = _cn_decimal(raw)
    return Number(raw, value, _cn_quantum(raw)) if value is not None else None


def _cn_quantum(raw: str) -> Decimal:
    """Place value of a Chinese numeral's last digit: 两万 -> 10000, 三百二十 -> 10, 三点五亿 -> 10^7."""
    whole, dot, frac = raw.partition("点")
    tail = frac if dot else whole
    unit = Decimal(1)
    while tail and tail[-1] in _CN_UNITS:
        unit *= _CN_UNITS[tail[-1]]
        tail = tail[:-1]
    if dot:
        digits = sum(1 for ch in frac if ch in _CN_DIGITS)
        return Decimal(1).scaleb(-digits) * unit
    return unit


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _cn_decimal(text: str) -> Decimal | None:
    unit = 1
    while text and text[-1] in "万亿" and "点" in text:
        unit *= _CN_UNITS[text[-1]]
        text = text[:-1]
    whole, _, frac = text.partition("点")
    integer = _cn_int(whole) if whole else 0
    if integer is None or any(ch not in _CN_DIGITS for ch in frac):
        return None
    digits = "".join(str(_CN_DIGITS[ch]) for ch in frac)
    return Decimal(f"{integer}.{digits}" if digits else str(integer)) * unit


def source_values(text: str) -> list[Decimal]:
    """Every value the source supports: its numbers (bare and scaled), number words, ordinals, month names."""
    values: list[Decimal] = []
    nfkc = _nfkc(text)
    for number in numbers(nfkc, source=True):
        values.append(number.value)
    # A bare figure also stands on its own ("3 亿元" supports "3"), so scaled ones add their base.
    for match in _ARABIC.finditer(nfkc):
        base = _decimal(match.group(1).replace(",", "") + (f".{match.group(2)}" if match.group(2) else ""))
        if base is not None:
            values.append(base)
    for match in _EN_NUMBER_WORD.finditer(nfkc):
        word, scale = match.group(1).lower(), (match.group(2) or "").lower()
        values.append(Decimal(_EN_WORDS[word]) * (_EN_MULT[scale] if scale else 1))
    for match in _EN_ORDINAL.finditer(nfkc):
        values.append(Decimal(_EN_ORDINALS[match.group(1).lower()]))
    for match in _MONTH.finditer(nfkc):
        word = match.group(1).lower()
        if word == "may" and not match.group(0)[0].isupper():
            continue  # the verb
        values.append(Decimal(_MONTHS[word]))
    return values


def supported_number(number: Number, values: Iterable[Decimal]) -> bool:
    tolerance = number.quantum / 2
    return any(abs(v - number.value) <= tolerance for v in values)


# -- names -----------------------------------------------------------------------

def _key(token: str) -> str:
    return re.sub(r"[^0-9a-z\u00c0-\u024f]", "", token.lower())


def latin_names(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """Latin-script words of two or more letters that are not generic vocabulary (AI, GPU, CEO ...)."""
    skip = GENERIC_TERMS | {a.lower() for a in allowed}
    out = []
    for token in _LATIN.findall(_nfkc(text)):
        key = _key(token)
        if len(re.sub(r"[0-9]", "", key)) >= 2 and key not in skip:
            out.append(token)
    return out


@dataclass(frozen=True)
class Source:
    """The source title and text, prepared once for every check of one summary."""

    title: str
    text: str
    squashed: str
    values: tuple[Decimal, ...]
    name_keys: frozenset[str]
    latin_stream: str  # every Latin letter and digit in a row: "Open AI" still supports "OpenAI"
    magnitudes: tuple[Magnitude, ...] = ()  # "$310 million" and its Chinese form 3.1亿美元
    latin: LatinWords = LatinWords((), (), frozenset())  # the Latin words a summary may keep
    figures: tuple[str, ...] = ()  # the digit strings a summary may write (2,000, 3.1 of 3.1亿)
    scaled: tuple[str, ...] = ()  # the figures it may write with 万 or 亿 (3.1亿, the source's 3.5万)

    @classmethod
    def of(cls, title: str, text: str) -> Source:
        both = f"{title}\n{text}"
        tokens = _LATIN.findall(_nfkc(both))
        keys = {_key(t) for t in tokens}
        for token in tokens:  # "GPT-4o" also supports "GPT"
            keys.update(_key(part) for part in re.split(r"[-.&'+]", token))
        magnitudes = tuple(find_magnitudes(_nfkc(both)))
        values = (*source_values(both), *(m.value for m in magnitudes))
        return cls(
            title=title, text=text, squashed=squash(text), values=values,
            magnitudes=magnitudes, latin=LatinWords.of(both), figures=written_figures(_nfkc(both), values),
            scaled=scaled_figures(_nfkc(both), values),
            name_keys=frozenset(k for k in keys if k),
            latin_stream=re.sub(r"[^0-9a-z\u00c0-\u024f]", "", _nfkc(both).lower()),
        )

    @property
    def writable(self) -> tuple[str, ...]:
        """The Latin words the local grammar may write: the source's names, and the jargon it uses. Denied
        "token", the 1.5B model wrote "每秒 60 个 个 个 个…"."""
        lower = _nfkc(self.text).lower()
        jargon = sorted(w for w in JARGON if re.search(rf"(?<![a-z]){w[:5]}", lower))  # token of tokens
        return (*self.latin.allowed, *jargon)

    def has_name(self, token: str) -> bool:
        key = _key(token)
        return key in self.name_keys or (len(key) >= 5 and key in self.latin_stream)


# -- the checks --------------------------------------------------------------------

def _where(bullet: int | None) -> str:
    return "标题" if bullet is None else f"第{bullet}条要点"


def grounding(text: str, source: Source, bullet: int | None, rules: CheckRules) -> list[Problem]:
    """Numbers and Latin names in one headline or bullet that the source does not contain."""
    problems = []
    seen: set[str] = set()
    for number in numbers(text):
        if number.raw not in seen and not supported_number(number, source.values):
            seen.add(number.raw)
            problems.append(_number_problem(number, source, bullet))
    for name in latin_names(text, rules.allowed_terms):
        if name not in seen and not source.has_name(name):
            seen.add(name)
            problems.append(Problem("name", f"{_where(bullet)}：名称“{name}”在原文中找不到", bullet, name))
    return problems


# English that Chinese tech writing uses as it is ("每秒28个token").
JARGON = frozenset({"token", "tokens"})


def _number_problem(number: Number, source: Source, bullet: int | None) -> Problem:
    """An unsupported figure; a magnitude when it is a source figure off by a power of ten (7B as 7亿)."""
    for magnitude in source.magnitudes:
        if _off_by_power(number, magnitude):
            return Problem("magnitude", f"{_where(bullet)}：“{number.raw}”与原文“{magnitude.raw}”"
                           f"（即{magnitude.chinese}）数量级不符", bullet, number.raw)
    return Problem("number", f"{_where(bullet)}：数字“{number.raw}”在原文中找不到", bullet, number.raw)


def _off_by_power(number: Number, magnitude: Magnitude) -> bool:
    if number.raw.endswith(("%", "％")) or number.raw.startswith("百分之"):
        return False  # a share is never an amount: "50%" is not "$500,000" a power of ten off
    ratio = magnitude.value / number.value if number.value else Decimal(0)
    return ratio != 1 and ratio > 0 and ratio.log10() == ratio.log10().to_integral_value()


def fix_magnitudes(text: str, source: Source) -> str:
    """``text`` with each figure that is one source magnitude off by a power of ten ("3100万" for
    "$310 million") written in that magnitude's Chinese form (3.1亿). Only where exactly one source figure
    fits: the local model copies the digits and loses the power of ten, and a re-ask did not fix it."""
    for number in numbers(text):
        if supported_number(number, source.values):
            continue
        fits = {m.value: m for m in source.magnitudes if _off_by_power(number, m)}
        if len(fits) == 1 and number.raw in text:
            text = text.replace(number.raw, chinese_number(next(iter(fits))), 1)
    return text


def latin_problems(text: str, source: Source, bullet: int | None, rules: CheckRules,
                   flagged: set[str]) -> list[Problem]:
    """English words left in a Chinese headline or bullet, and names kept only in part ("北风 Labs")."""
    problems = []
    for shown, whole in half_names(text, source.latin):
        flagged.add(shown.split()[-1])
        problems.append(Problem("half_name", f"{_where(bullet)}：名称“{shown}”只译了一半，"
                                f"原文是“{whole}”：保留原名或不用", bullet, shown))
    skip = GENERIC_TERMS | JARGON | {a.lower() for a in rules.allowed_terms}
    for word in english_words(text, source.latin):
        if word in flagged or _key(word) in skip or any(word in s for s in flagged):
            continue
        problems.append(Problem("english", f"{_where(bullet)}：英文“{word}”不是原文的名称，请译成中文",
                                bullet, word))
    return problems


def quote_position(quote: str, source: Source, rules: CheckRules) -> float | None:
    """Where the quote occurs in the source (0 = start, 1 = end), or None if it does not."""
    needle = squash(quote)
    if len(needle) < rules.quote_min_chars or not source.squashed:
        return None
    index = source.squashed.find(needle)
    if index < 0:
        return None
    return (index + len(needle) / 2) / len(source.squashed)


def bigrams(text: str) -> set[str]:
    s = squash(text)
    return {s[i : i + 2] for i in range(len(s) - 1)}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of character bigrams (punctuation aside)."""
    x, y = bigrams(a), bigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def copied_span(bullet: str, source: Source, limit: int) -> str | None:
    """The first span of ``bullet`` longer than ``limit`` (punctuation aside) found verbatim in the source,
    as the words stand in the bullet ("2.6万张", "8%"), never its squashed form."""
    where = [i for i, ch in enumerate(bullet) for _ in squash(ch)]
    s = "".join(squash(ch) for ch in bullet)
    width = limit + 1
    for i in range(0, max(0, len(s) - width + 1)):
        if s[i : i + width] in source.squashed:
            return bullet[where[i] : where[i + width - 1] + 1]
    return None


def headline_faithful(headline: str, source: Source, rules: CheckRules) -> bool:
    """Cheap subject test: the headline shares salient terms (names, numbers, CJK bigrams) with the source."""
    title_names = {_key(n) for n in latin_names(source.title, rules.allowed_terms)}
    head_names = {_key(n) for n in latin_names(headline, rules.allowed_terms)}
    title_numbers = numbers(source.title)
    head_numbers = numbers(headline)
    title_values = [t.value for t in title_numbers]
    if head_names & title_names or any(supported_number(n, title_values) for n in head_numbers):
        return True
    han = [b for b in bigrams(headline) if _CJK_RUN.fullmatch(b)]
    if chinese_share(source.text) < 0.3:
        return _faithful_to_english(head_names, head_numbers, source, rules)
    if not han:
        return False
    reference = squash(source.title) + "\n" + source.squashed
    return sum(1 for b in han if b in reference) / len(han) >= rules.headline_min_overlap


_LEAD = 600  # characters of an English source's text that name its subject, besides the title


def _faithful_to_english(names: set[str], figures: list[Number], source: Source, rules: CheckRules) -> bool:
    """Chinese words cannot be matched with English ones, only names and figures: the headline shares one
    with the title or the lead, or it names nothing and lacks no subject the source names (a name of the
    title that the text uses again). "Biotech Firms Battle Over Same Day Genomes" names no subject."""
    lead = f"{source.title}\n{source.text[:_LEAD]}"
    if names & {_key(n) for n in latin_names(lead, rules.allowed_terms)}:
        return True
    if any(supported_number(n, [v.value for v in numbers(lead)]) for n in figures):
        return True
    if names:
        return False  # it names something, and nothing the title or the lead names
    allowed = set(source.latin.allowed)
    both = f"{source.title}\n{source.text}"
    subject = [n for n in latin_names(source.title, rules.allowed_terms)
               if n in allowed and len(re.findall(rf"(?<![A-Za-z]){re.escape(n)}(?![A-Za-z])", both)) >= 2]
    return not subject


def _anchors(text: str, rules: CheckRules) -> tuple[set[Decimal], set[str], set[str]]:
    """What a bullet and a source sentence can share: number values, Latin name keys, Chinese bigrams."""
    values = {n.value for n in numbers(text, source=True)}
    names = {_key(n) for n in latin_names(text, rules.allowed_terms)}
    han = {b for b in bigrams(text) if _CJK_RUN.fullmatch(b)}
    return values, names, han


def align(bullets: list[str], source: Source, rules: CheckRules) -> list[Evidence | None]:
    """For each bullet, the source sentence sharing the most with it; None when none shares anything.

    A shared number or name weighs as much as three shared Chinese bigrams: figures and names are
    what make a sentence the one a bullet rests on (and all an English source can share with a Chinese
    bullet). Deterministic, so it works the same for every provider."""
    pieces = [p for p in sentences(source.text) if p.strip() and p != "\n"]
    total = sum(len(p) for p in pieces) or 1
    prepared = []
    seen = 0
    for piece in pieces:
        prepared.append((piece, (seen + len(piece) / 2) / total, _anchors(piece, rules)))
        seen += len(piece)
    found: list[Evidence | None] = []
    for bullet in bullets:
        values, names, han = _anchors(bullet, rules)
        best: tuple[float, Evidence] | None = None
        for piece, position, (s_values, s_names, s_han) in prepared:
            score = 3 * (len(values & s_values) + len(names & s_names)) + len(han & s_han)
            if score > 0 and (best is None or score > best[0]):
                best = (score, Evidence(normalize_quote(piece), position))
        found.append(best[1] if best and best[0] >= 3 else None)
    return found


def normalize_quote(text: str, limit: int = 160) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _aligned(result: CheckResult, bullets: list[str], source: Source, rules: CheckRules) -> set[int]:
    """No quotes asked for: each bullet's evidence is found by alignment, and a bullet that aligns with
    nothing is left to the number and name checks (a Chinese bullet may share no word with an English
    sentence it translates faithfully). Returns the thirds of the source the evidence covers."""
    thirds: set[int] = set()
    result.evidence = align(bullets, source, rules)
    for evidence in result.evidence:
        result.quotes_total += 1
        if evidence is not None:
            result.quotes_found += 1
            thirds.add(min(2, int(evidence.position * 3)))
    return thirds


def _grounded(text: str, source: Source, bullet: int | None, rules: CheckRules) -> list[Problem]:
    found = grounding(text, source, bullet, rules)
    flagged = {p.term for p in found if p.term and p.kind == "name"}
    return found + latin_problems(text, source, bullet, rules, flagged)


def check_summary(headline: str, bullets: list[str], quotes: list[str], source: Source,
                  rules: CheckRules) -> CheckResult:
    """Run every check on one summary; an empty ``problems`` list means it can be trusted as written."""
    result = CheckResult()
    result.problems.extend(_grounded(headline, source, None, rules))
    if not headline_faithful(headline, source, rules):
        result.problems.append(
            Problem("headline", "标题：与原文主题对不上（没有和原文共同的名称、数字或词语）")
        )
    for i, bullet in enumerate(bullets, 1):
        result.problems.extend(_grounded(bullet, source, i, rules))
    thirds = set() if quotes else _aligned(result, bullets, source, rules)
    for i in range(1, len(bullets) + 1 if quotes else 1):
        quote = quotes[i - 1] if i - 1 < len(quotes) else ""
        result.quotes_total += 1
        if not quote.strip():
            result.problems.append(Problem("quote", f"第{i}条要点：缺少原文引文", i))
            continue
        position = quote_position(quote, source, rules)
        if position is None:
            short = quote.strip()[: rules.quote_max_chars]
            result.problems.append(Problem("quote", f"第{i}条要点：引文“{short}”在原文中找不到", i, short))
            continue
        result.quotes_found += 1
        thirds.add(min(2, int(position * 3)))
    result.thirds = sorted(thirds)
    for i in range(len(bullets)):
        for j in range(i):
            if similarity(bullets[i], bullets[j]) >= rules.duplicate_similarity:
                result.problems.append(
                    Problem("duplicate", f"第{i + 1}条要点：与第{j + 1}条要点内容重复", i + 1)
                )
                break
    for i, bullet in enumerate(bullets, 1):
        span = copied_span(bullet, source, rules.copy_max_chars)
        if span is not None:
            result.problems.append(
                Problem(
                    "copy", f"第{i}条要点：照抄了原文的长句（“{span}”），请改写", i, span
                )
            )
    return result


@dataclass
class Tally:
    """Run-level totals of the checks over the items of one digest (or one summarized URL)."""

    items: int = 0
    flagged_items: int = 0
    unsupported_claims: int = 0
    quotes_found: int = 0
    quotes_total: int = 0
    full_coverage_items: int = 0

    def add(self, check: CheckResult) -> None:
        """Add one item's stored check record."""
        self.items += 1
        # Trust flags only, as the draft marks them: style notes (a copied sentence) never block.
        self.flagged_items += 1 if check.trust_flags else 0
        self.unsupported_claims += check.unsupported_claims
        self.quotes_found += check.quotes_found
        self.quotes_total += check.quotes_total
        self.full_coverage_items += 1 if check.full_coverage else 0
