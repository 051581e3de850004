"""How one message of an issue reads on each platform: Markdown, Slack mrkdwn, Telegram HTML, a Feishu post.

Each renderer takes the issue and one chunk (see ``split``) and returns the text or the post content;
``targets`` wraps it in the platform's request body.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from ...digest.parse import ParsedItem
from ...jinja import safe_href, shown_url
from ..issue import PublishedIssue
from .split import Chunk


def _grouped(chunk: Chunk) -> list[tuple[str, list[ParsedItem]]]:
    """The chunk's items under their section headings (a section cut by a message boundary shows twice)."""
    groups: list[tuple[str, list[ParsedItem]]] = []
    for section, item in chunk.items:
        if not groups or groups[-1][0] != section:
            groups.append((section, []))
        groups[-1][1].append(item)
    return groups


def _lines(issue: PublishedIssue, chunk: Chunk, *, heading: Callable[[str], str], bold: Callable[[str], str],
           link: Callable[[str, str], str], bullet: str, text: Callable[[str], str]) -> list[str]:
    """The message as lines, with the platform's own spelling of a heading, bold, a link and a bullet."""
    lines = [heading(text(issue.heading) + chunk.label)]
    if chunk.intro:
        lines += ["", text(issue.stats_plain), "", bold("看点")]
        lines += [f"{bullet}{text(h.headline)} {h.emoji}" for h in issue.highlights]
        if issue.base_url:
            lines += ["", link("阅读全文", issue.url)]
    for section, items in _grouped(chunk):
        lines += ["", bold(f"【{text(section)}】")]
        for item in items:
            lines += ["", bold(f"{text(item.headline)} {item.emoji}")]
            lines += [f"{bullet}{text(b)}" for b in item.bullets]
            if item.sources > 1:
                lines.append(f"热度:{item.sources}个来源")
            if item.follows:  # a chat has no folder to resolve a relative link in: linked under base_url only
                follows = f"续报:接 {text(item.follows_title)}"
                lines.append(link(follows, issue.link(item.follows)) if issue.base_url else follows)
            lines += [link("原文链接", safe_href(target)) for target in item.links]
    return lines


def markdown(issue: PublishedIssue, chunk: Chunk) -> str:
    """DingTalk, WeCom and Discord Markdown."""
    return "\n".join(_lines(issue, chunk, heading=lambda t: f"## {t}", bold=lambda t: f"**{t}**",
                            link=lambda t, u: f"[{t}]({u})", bullet="- ", text=_md_text))


def _md_text(text: str) -> str:
    # Text from the issue cannot open a link or emphasis of its own.
    return re.sub(r"([\[\]*_`])", r"\\\1", text)


def slack_mrkdwn(issue: PublishedIssue, chunk: Chunk) -> str:
    return "\n".join(_lines(issue, chunk, heading=lambda t: f"*{t}*", bold=lambda t: f"*{t}*",
                            link=lambda t, u: f"<{_slack_escape(u)}|{t}>", bullet="• ", text=_slack_escape))


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def telegram_html(issue: PublishedIssue, chunk: Chunk) -> str:
    """Telegram's HTML parse mode: <b> and <a href> only, everything else escaped."""
    return "\n".join(_lines(issue, chunk, heading=lambda t: f"<b>{t}</b>", bold=lambda t: f"<b>{t}</b>",
                            link=lambda t, u: f'<a href="{html.escape(u)}">{t}</a>', bullet="• ",
                            text=lambda t: html.escape(t, quote=False)))


def telegram_length(text: str) -> int:
    """Characters after entity parsing, as Telegram counts them (UTF-16 code units)."""
    visible = html.unescape(re.sub(r"<[^>]+>", "", text))
    return len(visible.encode("utf-16-le")) // 2


def feishu_post(issue: PublishedIssue, chunk: Chunk) -> dict[str, Any]:
    """A Feishu/Lark rich-text post: title, then one paragraph a line of text or links."""
    def text(value: str, *, bold: bool = False) -> list[dict[str, Any]]:
        return [{"tag": "text", "text": value, **({"style": ["bold"]} if bold else {})}]

    def link(label: str, url: str) -> list[dict[str, Any]]:
        href = safe_href(url)
        return [{"tag": "a", "text": f"{label}: {shown_url(href)}", "href": href}]

    rows: list[list[dict[str, Any]]] = []
    if chunk.intro:
        rows += [text(issue.stats_plain), text("看点", bold=True)]
        rows += [text(f"• {h.headline} {h.emoji}") for h in issue.highlights]
        if issue.base_url:
            rows.append(link("阅读全文", issue.url))
    for section, items in _grouped(chunk):
        rows.append(text(f"【{section}】", bold=True))
        for item in items:
            rows.append(text(f"{item.headline} {item.emoji}", bold=True))
            rows += [text(f"• {b}") for b in item.bullets]
            if item.sources > 1:
                rows.append(text(f"热度:{item.sources}个来源"))
            if item.follows:
                rows.append(text(f"续报:接 {item.follows_title}"))
            rows += [link("原文链接", target) for target in item.links]
    return {"post": {"zh_cn": {"title": issue.heading + chunk.label, "content": rows}}}
