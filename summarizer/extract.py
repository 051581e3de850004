"""Page -> article text. The only module that imports trafilatura."""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
import trafilatura

from .errors import ExtractError
from .text import count_zi

_PAYWALL = re.compile(r"订阅后阅读|登录后阅读|付费阅读|会员专享|subscribe to (read|continue)|subscribers only|paywall", re.I)
_BLOCK_TAGS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr", "section", "article"}


@dataclass(frozen=True)
class Extracted:
    text: str
    zi: int
    method: str  # "page" or "feed"
    title: str = ""


def html_fragment_to_text(html: str) -> str:
    """Plain text of an HTML fragment (a feed's content), one paragraph a line."""
    if not html.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return re.sub(r"<[^>]+>", " ", html).strip()
    for bad in root.xpath(".//script|.//style"):
        bad.drop_tree()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCK_TAGS:
            el.tail = "\n" + (el.tail or "")
    text = root.text_content()
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def page_text(html: bytes | str, *, url: str) -> tuple[str, str]:
    """(text, title) trafilatura finds in a page; empty text if none."""
    document = trafilatura.bare_extraction(
        html, url=url, include_comments=False, include_tables=True, with_metadata=True
    )
    if document is None:
        return "", ""
    text = (getattr(document, "text", None) or "").strip()
    title = (getattr(document, "title", None) or "").strip()
    return text, title


_MAGIC = {b"%PDF": "a PDF", b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
          b"PK\x03\x04": "a ZIP file", b"RIFF": "a media file"}
_TEXTUAL = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")


def not_html(content: bytes | str | None, content_type: str = "") -> str | None:
    """What the page is when it is not HTML ('a PDF', 'image/png'), else None. Bytes win over the label."""
    if isinstance(content, bytes):
        head = content[:8]
        for magic, what in _MAGIC.items():
            if head.startswith(magic):
                return what
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime and not mime.startswith(_TEXTUAL) and mime != "application/octet-stream":
        return mime
    return None


def choose_text(
    *,
    url: str,
    html: bytes | str | None,
    feed_html: str = "",
    min_zi: int = 200,
    content_type: str = "",
) -> Extracted:
    """The text to summarize: the page's extract, or the feed's full text when that is longer.

    A page that is not HTML (a PDF, an image) is not parsed; the feed's text is used if it has enough.
    Raises ExtractError (``skipped=True``) when the text is too short to summarize.
    """
    kind = not_html(html, content_type) if html else None
    if kind:
        feed = html_fragment_to_text(feed_html)
        if count_zi(feed) >= max(min_zi, 1):
            return Extracted(text=feed, zi=count_zi(feed), method="feed")
        raise ExtractError(f"{url}: the link is {kind}, not an HTML page; nothing to summarize", url=url, skipped=True)
    page, title = page_text(html, url=url) if html else ("", "")
    feed = html_fragment_to_text(feed_html)
    page_zi, feed_zi = count_zi(page), count_zi(feed)
    text, zi, method = (feed, feed_zi, "feed") if feed_zi > page_zi else (page, page_zi, "page")
    if zi == 0:
        raise ExtractError(f"{url}: no article text found (script-only or empty page)", url=url, skipped=True)
    if zi < min_zi:
        why = "teaser or paywall" if _PAYWALL.search(text) or (html and _PAYWALL.search(_as_str(html))) else "too short"
        raise ExtractError(f"{url}: {why}: {zi} 字, fewer than {min_zi}", url=url, skipped=True)
    return Extracted(text=text, zi=zi, method=method, title=title)


def _as_str(html: bytes | str) -> str:
    return html if isinstance(html, str) else html.decode("utf-8", "replace")
