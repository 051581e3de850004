"""Summaries -> one day's digest: selection, sections, highlights (看点) and the stats line (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from ..config import DigestSettings
from ..items import DigestItem

__all__ = ["Digest", "DigestItem", "Stats", "build_digest", "compute_stats"]


@dataclass(frozen=True)
class Stats:
    source_zi: int  # N
    digest_zi: int  # M
    minutes: int  # X
    efficiency_percent: int  # Y


@dataclass
class Digest:
    date: str
    title: str
    purpose: str
    sections: list[tuple[str, list[DigestItem]]]
    stats: Stats
    left_out: list[DigestItem] = field(default_factory=list)
    below_importance: list[DigestItem] = field(default_factory=list)  # under digest.min_importance

    @property
    def items(self) -> list[DigestItem]:
        return [item for _, items in self.sections for item in items]

    @property
    def highlights(self) -> list[DigestItem]:
        """看点: the items flagged as highlights, in their place order."""
        return sorted((i for i in self.items if i.highlight), key=lambda i: i.highlight)


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def compute_stats(source_zi: int, digest_zi: int, reading_speed: int = 400) -> Stats:
    """The 看点 line's numbers, as the reference defines them.

    X = M / speed rounded, at least 1; Y = N / M as a percentage rounded to a
    whole multiple of 100 (104112 / 7945 = 13.10 -> 1300%).
    """
    if digest_zi <= 0:
        return Stats(source_zi, 0, 0, 0)
    minutes = max(1, _half_up(Decimal(digest_zi) / Decimal(reading_speed)))
    ratio = _half_up(Decimal(source_zi) / Decimal(digest_zi))
    return Stats(source_zi, digest_zi, minutes, ratio * 100)


def _rank_key(item: DigestItem) -> tuple[int, str, str]:
    # Most important first; among equals the newest; the URL keeps the order stable.
    return (-item.importance, _invert(item.published or ""), item.canonical_url)


def _highlight_key(item: DigestItem) -> tuple[int, int, str, str]:
    # A story several feeds carried is news more readers expect: each extra feed adds a point, at most two.
    boost = min(item.sources - 1, 2)
    return (-(item.importance + boost), -item.sources, _invert(item.published or ""), item.canonical_url)


def _invert(text: str) -> str:
    return "".join(chr(0x10FFFF - ord(c)) for c in text)


def _select(ranked: list[DigestItem], settings: DigestSettings) -> tuple[dict[str, list[DigestItem]],
                                                                        list[DigestItem]]:
    """Ranked items into their configured sections (unknown sections go to the last) under the caps:
    (items per section, items left out)."""
    names = settings.section_names
    fallback = names[-1]
    per_section: dict[str, list[DigestItem]] = {name: [] for name in names}
    left_out: list[DigestItem] = []
    chosen = 0
    for item in ranked:
        section = item.section if item.section in per_section else fallback
        item.section = section
        if chosen >= settings.max_items or len(per_section[section]) >= settings.max_items_per_section:
            left_out.append(item)
            continue
        per_section[section].append(item)
        chosen += 1
    return per_section, left_out


def build_digest(items: list[DigestItem], settings: DigestSettings, *, date: str) -> Digest:
    """Select items under the caps, group them by configured section, pick 看点, count 字."""
    below = [item for item in items if item.importance < settings.min_importance]
    ranked = sorted((item for item in items if item.importance >= settings.min_importance), key=_rank_key)
    per_section, left_out = _select(ranked, settings)
    sections = [(name, per_section[name]) for name in settings.section_names if per_section[name]]
    selected = [item for _, group in sections for item in group]
    for item in [*selected, *left_out, *below]:
        item.highlight = 0
    for place, item in enumerate(sorted(selected, key=_highlight_key)[: settings.highlights], 1):
        item.highlight = place
    stats = compute_stats(
        sum(item.source_zi for item in selected), sum(item.zi for item in selected), settings.reading_speed
    )
    return Digest(
        date=date,
        title=settings.title,
        purpose=settings.purpose,
        sections=sections,
        stats=stats,
        left_out=left_out,
        below_importance=below,
    )
