"""What the review page shows beside each bullet: its supporting quote, where that quote sits in the source,
and the flagged terms, marked on text (never inside escaped HTML).

The terms come from the trust flags' wording (数字“42%”…, 第2条要点：…). ``flagged_terms`` is the one place
that reads that wording; when flags become structured (kind, bullet, term) only it changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape

from ..checks import squash
from ..store import Store
from .state import ReviewItem

# 数字“3”, 名称“Larkspur”, 金额“3 亿元”: a quoted term. Not 引文“…” (a quote) nor 照抄…（“span…”） (a copy).
_TERM = re.compile(r"(?<!引文)(?<!原文的长句（)[“「]([^”」]{1,40})[”」]")
_WHERE = re.compile(r"^(标题|第(\d+)条要点)[：:]")
_ALNUM = re.compile(r"[0-9A-Za-z\u00c0-\u024f]")


def flag_target(flag: str) -> int | None:
    """The bullet a flag is about (1-based), 0 for the headline, None when it names neither."""
    match = _WHERE.match(flag)
    if match is None:
        return None
    return int(match.group(2)) if match.group(2) else 0


def flagged_terms(flags: list[str]) -> dict[int | None, list[str]]:
    """Terms to mark per target: 0 = headline, n = bullet n, None = anywhere in the item. Longest first."""
    found: dict[int | None, set[str]] = {}
    for flag in flags:
        for term in _TERM.findall(flag):
            term = term.strip()
            # A term with no letter, digit or Chinese character (", ") would mark punctuation everywhere.
            if term and re.search(r"[\w\u4e00-\u9fff]", term):
                found.setdefault(flag_target(flag), set()).add(term)
    return {target: sorted(terms, key=lambda t: (-len(t), t)) for target, terms in found.items()}


def terms_for(terms: dict[int | None, list[str]], target: int | None) -> list[str]:
    """The terms to mark on one target: its own and the item-wide ones; every term for the source (None)."""
    if target is None:
        picked = {t for ts in terms.values() for t in ts}
    else:
        picked = set(terms.get(target, [])) | set(terms.get(None, []))
    return sorted(picked, key=lambda t: (-len(t), t))


def _pattern(term: str) -> str:
    """A term as a regex matching whole numbers and words only: "3" is not found in "340" or "3.5"."""
    body = re.escape(term)
    if _ALNUM.match(term[0]):
        body = r"(?<![0-9A-Za-z\u00c0-\u024f])(?<![0-9][.,])" + body
    if _ALNUM.match(term[-1]):
        body += r"(?![0-9A-Za-z\u00c0-\u024f])(?![.,][0-9])"
    return body


def term_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) of every term in ``text``, longer terms winning."""
    if not terms:
        return []
    regex = re.compile("|".join(_pattern(t) for t in sorted(terms, key=len, reverse=True)))
    return [m.span() for m in regex.finditer(text) if m.end() > m.start()]


def segments(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, inside a span) in order; spans must be sorted and not overlap."""
    out: list[tuple[str, bool]] = []
    at = 0
    for start, end in spans:
        if start > at:
            out.append((text[at:start], False))
        out.append((text[start:end], True))
        at = end
    if at < len(text):
        out.append((text[at:], False))
    return out


def mark(text: str, terms: list[str]) -> Markup:
    """``text`` escaped piece by piece, each flagged term wrapped in <mark>: a mark never splits an entity."""
    return Markup("").join(Markup("<mark>{}</mark>").format(piece) if marked else escape(piece)
                           for piece, marked in segments(text, term_spans(text, terms)))


# -- quotes in the source -----------------------------------------------------------------

@lru_cache(maxsize=64)
def _squash_map(text: str) -> tuple[str, tuple[int, ...]]:
    """``checks.squash(text)`` and, for each of its characters, the index in ``text`` it came from."""
    chars: list[str] = []
    origin: list[int] = []
    seen: dict[str, str] = {}
    for i, ch in enumerate(text):
        # squash works character by character (NFKC, case, simplified Chinese), so this is the same text.
        out = seen.get(ch)
        if out is None:
            out = seen[ch] = squash(ch)
        for piece in out:
            chars.append(piece)
            origin.append(i)
    return "".join(chars), tuple(origin)


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """Where ``quote`` occurs in ``text`` compared as the trust check compares (no spaces or punctuation)."""
    needle = squash(quote)
    if len(needle) < 2:
        return None
    squashed, origin = _squash_map(text)
    at = squashed.find(needle)
    if at < 0:
        return None
    return origin[at], origin[at + len(needle) - 1] + 1


@dataclass(frozen=True)
class Evidence:
    """One bullet's support: the model's quote and where it sits in the source text (None: not found)."""

    bullet: int  # 1-based
    quote: str
    span: tuple[int, int] | None


def stored_quotes(store: Store, canonical_url: str, headline: str, bullets: list[str]) -> list[str]:
    """The quotes of the stored summary with this item's bullets or headline, else of the newest one."""
    summaries = store.summaries_of(canonical_url)
    for data in summaries:
        if data.get("bullets") == bullets or data.get("headline") == headline:
            return [str(q) for q in data.get("quotes") or []]
    return [str(q) for q in (summaries[0].get("quotes") or [])] if summaries else []


def evidence(quotes: list[str], text: str, count: int = 3) -> list[Evidence]:
    return [Evidence(n, quotes[n - 1] if n - 1 < len(quotes) else "",
                     locate(quotes[n - 1], text) if n - 1 < len(quotes) and quotes[n - 1].strip() else None)
            for n in range(1, count + 1)]


def source_html(text: str, found: list[Evidence], terms: list[str], *, item_id: int) -> Markup:
    """The source escaped, each located quote in a <span id="q-ITEM-N"> (a link target), terms marked."""
    spans = sorted((e.span[0], e.span[1], e.bullet) for e in found if e.span)
    parts: list[Markup] = []
    at = 0
    for start, end, bullet in spans:
        if start < at:
            continue  # two quotes overlapping: the first keeps the place
        parts.append(mark(text[at:start], terms))
        parts.append(Markup('<span class="quote" id="q-{}-{}" tabindex="-1">{}</span>').format(
            item_id, bullet, mark(text[start:end], terms)))
        at = end
    parts.append(mark(text[at:], terms))
    return Markup("").join(parts)


SOURCE_MAX_CHARS = 40_000  # the page shows this much of a source; quotes beyond it are shown without a place


@dataclass(frozen=True)
class ItemView:
    """One item as the page shows it: headline and bullets with flagged terms marked, each bullet's quote."""

    headline: Markup
    bullets: list[Markup]
    evidence: list[Evidence]
    source: Markup
    cut: bool  # the source was longer than SOURCE_MAX_CHARS


def item_view(store: Store, item: ReviewItem) -> ItemView:
    terms = flagged_terms(item.unresolved)
    article = store.article(item.canonical_url)
    text = (article.text or "") if article else ""
    cut = len(text) > SOURCE_MAX_CHARS
    shown = text[:SOURCE_MAX_CHARS]
    found = evidence(stored_quotes(store, item.canonical_url, item.headline, item.bullets), shown)
    return ItemView(
        headline=mark(item.headline, terms_for(terms, 0)),
        bullets=[mark(b, terms_for(terms, n)) for n, b in enumerate(item.bullets, 1)],
        evidence=found, source=source_html(shown, found, terms_for(terms, None), item_id=item.id), cut=cut,
    )
