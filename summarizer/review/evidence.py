"""What the review page shows beside each bullet: its supporting quote, where that quote sits in the source,
and the flagged terms, marked on text (never inside escaped HTML).

The terms are the structured problems' own (``Problem.term``, on ``Problem.bullet``); marking itself
(whole numbers and words only) is ``jinja.mark``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup

from ..items import CheckedSummary, Problem, ReviewItem
from ..jinja import flagged_terms as terms_of
from ..jinja import mark, segments, term_spans
from ..store import Store
from ..trust.checks import squash

__all__ = ["Evidence", "ItemView", "evidence", "flag_target", "flagged_terms", "item_view", "locate", "mark",
           "segments", "source_html", "stored_quotes", "term_spans", "terms_for"]


def flag_target(flag: Problem) -> int | None:
    """The bullet a problem is about (1-based), 0 for the headline, None for the whole item.

    The checks give the headline's problems no bullet; a flag from elsewhere (kind "flag", a review row
    written before problems were structured) names no part of the item.
    """
    if flag.bullet is not None:
        return flag.bullet
    return None if flag.kind == "flag" else 0


def flagged_terms(flags: list[Problem]) -> dict[int | None, list[str]]:
    """Terms to mark per target: 0 = headline, n = bullet n, None = anywhere in the item. Longest first."""
    targets = {flag_target(f) for f in flags}
    found = {t: terms_of([f for f in flags if flag_target(f) == t]) for t in targets}
    return {target: terms for target, terms in found.items() if terms}


def terms_for(terms: dict[int | None, list[str]], target: int | None) -> list[str]:
    """The terms to mark on one target: its own and the item-wide ones; every term for the source (None)."""
    if target is None:
        picked = {t for ts in terms.values() for t in ts}
    else:
        picked = set(terms.get(target, [])) | set(terms.get(None, []))
    return sorted(picked, key=lambda t: (-len(t), t))


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
    """The quotes of the stored summary with this item's bullets or headline, else of the newest one.

    A summary asked without quotes (the local model's) has the source sentences that alignment found.
    """
    stored = store.summaries_of(canonical_url)
    for checked in stored:
        summary = checked.summary
        if list(summary.bullets) == bullets or summary.headline == headline:
            return _quotes_of(checked)
    return _quotes_of(stored[0]) if stored else []


def _quotes_of(checked: CheckedSummary) -> list[str]:
    if any(str(q).strip() for q in checked.summary.quotes):
        return [str(q) for q in checked.summary.quotes]
    return [e.sentence if e else "" for e in checked.check.evidence]


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
