"""An editor's edit goes through the checks a model's output goes through.

The format validator (``summarize.parse_summary``: bullet length, Chinese, no
Markdown, emoji) refuses an edit with its Chinese reasons; the trust checks
(``checks.check_summary``, against the item's source text and quotes) re-check
the edited text, and their problems replace the item's flags, so a flag the edit
fixed goes away and one it introduced must be acknowledged before publishing.
"""

from __future__ import annotations

import json
from dataclasses import replace

from ..config import Settings
from ..errors import ReviewError
from ..items import Problem
from ..model.providers import resolve_provider
from ..model.replies import parse_summary
from ..model.summarize import Rules, Summary, local_rules, source_of
from ..pipeline.articles import article_from_store
from ..pipeline.memory import earlier_item
from ..store import FOLLOW, Store, StoredArticle
from ..trust.checks import CheckRules, Source, check_summary
from .evidence import stored_quotes
from .state import Review

_FIELDS = {"headline": "标题", "bullets": "要点", "emoji": "emoji"}


def _reasons(message: str) -> str:
    """The validator's reasons with field names in Chinese (``bullets: 第1条…`` -> ``要点：第1条…``)."""
    for name, label in _FIELDS.items():
        message = message.replace(f"{name}: ", f"{label}：")
    return message


def checked_edit(review: Review, settings: Settings, ref: str | int, *, headline: str, emoji: str,
                 bullets: list[str]) -> list[Problem]:
    """Validate, trust-check and save an edit; return the item's flags (trust problems) afterwards.

    Raises ReviewError (in Chinese, naming every problem) when the edit breaks the format;
    nothing is saved then.
    """
    item = review.item(ref)
    rules = Rules.from_settings(settings.llm, settings.digest.sections)
    if resolve_provider(settings) == "local":  # held to what the local model is held to
        rules = local_rules(rules)
    # Validated as the model's reply is, with the item's own section and importance (not editable here).
    section = item.section if item.section in rules.sections else rules.sections[0]
    raw = {"headline": headline, "emoji": emoji, "bullets": bullets, "section": section,
           "importance": item.importance}
    try:
        summary = parse_summary(json.dumps(raw, ensure_ascii=False), rules)
    except ValueError as exc:
        raise ReviewError(f"第{item.id}条没有保存：{_reasons(str(exc))}") from exc
    flags = _trust_flags(review, settings, item.canonical_url, item.headline, item.bullets, summary)
    # An acknowledgement stands for the exact problem: one the edit left as it was stays acknowledged.
    acked = [f for f in item.acked if f in flags]
    review.edit(item.id, headline=summary.headline, emoji=summary.emoji, bullets=list(summary.bullets),
                flags=flags, acked=acked)
    return flags


def _trust_flags(review: Review, settings: Settings, url: str, old_headline: str, old_bullets: list[str],
                 summary: Summary) -> list[Problem]:
    """The trust problems of the edited text; the old flags stay when no source text is stored."""
    check_rules = CheckRules.from_settings(settings.checks)
    article = review.store.article(url)
    if article is None or not article.text:
        return list(review.item(url).flags)
    if not check_rules.enabled:
        return []
    quotes = stored_quotes(review.store, url, old_headline, old_bullets)
    result = check_summary(summary.headline, summary.bullets, quotes, _source(review.store, article),
                           check_rules)
    return result.problems


def _source(store: Store, article: StoredArticle) -> Source:
    """What an edit is checked against: the article, and for a 续报 the earlier item's source too."""
    link = store.story_link(article.canonical_url)
    if link is None or link.kind != FOLLOW or link.restored:
        return Source.of(article.title, article.text or "")
    earlier, _ = earlier_item(store, link.earlier_date, link.earlier_url)
    return source_of(replace(article_from_store(article), earlier=earlier))
