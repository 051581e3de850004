"""`summarizer review --list` and `--json`: every item with its number, state, section, URLs and flags."""

from __future__ import annotations

import json

from .state import Review

HEADER = f"{'#':>3}  {'status':<8}  {'section':<8}  headline / URL / flags"


def review_lines(review: Review) -> list[str]:
    stats = review.digest().stats
    lines = [f"原文 {stats.source_zi}字 -> {stats.digest_zi}字, {stats.minutes}分钟, "
             f"{stats.efficiency_percent}%", HEADER]
    for item in sorted(review.items.values(), key=lambda i: i.id):
        star = " ⭐" if item.highlight else ""
        lines.append(f"{item.id:>3}  {item.status:<8}  {item.section:<8}  {item.headline} {item.emoji}{star}")
        lines.extend(f"{'':>3}  {'':<8}  {'':<8}  {link}" for link in item.links)
        for flag in item.flags:
            acked = "(acknowledged) " if flag.trust and flag in item.acked else ""
            mark = "⚠️" if flag.trust else "📝 note:"
            lines.append(f"{'':>3}  {'':<8}  {'':<8}  {mark} {acked}{flag.message}")
    return lines


def review_json(review: Review) -> str:
    """The review as one JSON object: date, state, stats and the items by number (for scripts)."""
    stats = review.digest().stats
    # flags / unresolved as lines, as in DATE.json; problems with their kind, bullet and term.
    items = [{"id": i.id, "status": i.status, "section": i.section, "headline": i.headline, "emoji": i.emoji,
              "highlight": i.highlight, "canonical_url": i.canonical_url, "links": i.links,
              "flags": [p.message for p in i.flags if p.trust], "notes": [p.message for p in i.notes],
              "unresolved": [p.message for p in i.unresolved],
              "problems": [p.to_dict() | {"acknowledged": p in i.acked, "trust": p.trust} for p in i.flags],
              "bullets": i.bullets}
             for i in sorted(review.items.values(), key=lambda i: i.id)]
    data = {"date": review.date, "state": review.state, "published_at": review.published_at,
            "stats": {"source_zi": stats.source_zi, "digest_zi": stats.digest_zi, "minutes": stats.minutes,
                      "efficiency_percent": stats.efficiency_percent}, "items": items}
    return json.dumps(data, ensure_ascii=False, indent=2)
