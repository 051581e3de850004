"""Feed bytes -> entries (pure: no I/O).

feedparser does the parsing (RSS 0.9x/1.0/2.0, Atom); ``jsonfeed`` reads
JSON Feed 1.0/1.1. We help feedparser with what it gets wrong: a feed in GBK
or Big5 that declares no encoding would be read as windows-1252, so undeclared
non-UTF-8 bytes are detected first (and undeclared UTF-8 is labelled so).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import charset_normalizer
import feedparser

from ..errors import FeedError
from ..text import clean_text, one_line
from . import jsonfeed
from .jsonfeed import RawEntry

TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "igshid", "spm", "_hsenc", "_hsmi",
    "ref", "ref_src", "source", "from", "share_token", "cmpid", "ncid", "sr_share", "ito",
}


def canonical_url(url: str) -> str:
    """The URL without tracking parameters, fragment, default port or case noise in scheme and host.

    Never raises: a link a feed got wrong (port 99999, a broken IPv6 literal) keeps its own text as
    its key, and fails on its own when it is fetched.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(("utm_", "hmsr", "wt.")) and k.lower() not in TRACKING_PARAMS
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(sorted(query)), ""))


@dataclass(frozen=True)
class Entry:
    feed_name: str
    feed_url: str
    title: str
    url: str
    canonical_url: str
    published: datetime | None
    summary_html: str
    content_html: str  # full text the feed carries, if any


@dataclass
class ParsedFeed:
    title: str
    entries: list[Entry]
    without_link: int = 0
    encoding: str = ""  # the charset the bytes were read in


_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*\?>", re.S)
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""", re.S)


def _charset_from_content_type(content_type: str) -> str | None:
    match = re.search(r"charset\s*=\s*['\"]?([A-Za-z0-9._-]+)", content_type or "", re.I)
    return match.group(1) if match else None


_UTF8 = {"utf-8", "utf8"}
# Charsets in which any byte sequence is "valid", so a wrong label cannot be caught by decoding.
_ANYTHING_GOES = {"iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252", "us-ascii", "ascii"}


def _declared_encoding(content: bytes, content_type: str) -> str | None:
    match = _DECLARED.match(content)
    header = _charset_from_content_type(content_type)
    # The HTTP header wins over the XML declaration (RFC 7303), as feedparser does.
    value = header or (match.group(1).decode("ascii") if match else None)
    return value.lower() if value else None


def _label_fits(content: bytes, declared: str) -> bool:
    """Whether the bytes really are in the declared charset (as far as bytes can tell)."""
    if declared in _ANYTHING_GOES:
        # Non-ASCII bytes that also decode as UTF-8 are almost never real Latin-1 text.
        if content.isascii():
            return True
        try:
            content.decode("utf-8")
            return False
        except UnicodeDecodeError:
            return declared not in {"us-ascii", "ascii"} and not _looks_cjk(content)
    if declared.startswith(("utf-16", "utf-32", "utf16", "utf32")) and content.lstrip()[:2] == b"<?":
        return False  # a one-byte "<?xml" is not UTF-16, whatever the declaration says
    try:
        content.decode(declared)
        return True
    except (UnicodeDecodeError, LookupError):
        return False


def _looks_cjk(content: bytes) -> bool:
    best = charset_normalizer.from_bytes(
        content, cp_isolation=["gb18030", "big5", "shift_jis", "euc_kr"]
    ).best()
    return best is not None and best.encoding not in _ANYTHING_GOES and best.chaos < 0.2


def detect_charset(content: bytes) -> charset_normalizer.CharsetMatch | None:
    """The likeliest charset of undeclared or mislabelled bytes.

    The CJK charsets are tried first and kept when they read cleanly (short Chinese feeds are where a
    full guess goes wrong); otherwise every charset is tried, so KOI8-R, TIS-620, EUC-JP or
    Windows-1255 feeds are not read as Latin-1.
    """
    isolated = charset_normalizer.from_bytes(content, cp_isolation=["gb18030", "big5", "shift_jis", "euc_kr"])
    cjk = isolated.best()
    if cjk is not None and cjk.chaos < 0.1:
        return cjk
    return charset_normalizer.from_bytes(content).best() or cjk


def _normalise_encoding(content: bytes, content_type: str) -> tuple[bytes, str, str | None]:
    """Return (bytes, content_type, detected charset or None) that feedparser will decode correctly.

    Undeclared non-UTF-8 bytes are detected; so are bytes that do not fit a
    declared charset (a GBK feed labelled UTF-8 or ISO-8859-1), which feedparser
    would otherwise turn into mojibake titles.
    """
    declared = _declared_encoding(content, content_type)
    if declared and _label_fits(content, declared):
        return content, content_type, None
    if not declared:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if content.isascii():
                return content, content_type, None
            # Without a label feedparser reads undeclared bytes as Latin-1 (or text/xml as US-ASCII).
            mime = content_type.split(";", 1)[0].strip() or "application/xml"
            return content, f"{mime}; charset=utf-8", "utf-8"
    if declared and declared not in _UTF8:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None:
            body = _XML_DECL.sub(b"", content, count=1)
            return b'<?xml version="1.0" encoding="utf-8"?>' + body, "application/xml; charset=utf-8", "utf-8"
    best = detect_charset(content)
    if best is None:
        return content, content_type, None
    text = str(best)
    body = _XML_DECL.sub(b"", text.encode("utf-8", "replace"), count=1)
    xml = b'<?xml version="1.0" encoding="utf-8"?>' + body
    return xml, "application/xml; charset=utf-8", best.encoding


def _published(entry: feedparser.FeedParserDict) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    return None


def _content_html(entry: feedparser.FeedParserDict) -> str:
    contents = entry.get("content") or []
    best = max((c.get("value", "") for c in contents), key=len, default="")
    return best


def _refuse_empty(parsed: Any, label: str, feed_url: str) -> None:
    """A feed with no entries is fine only if it is a real feed. Raises FeedError saying what it is."""
    # A missing or overridden charset label is feedparser's note, not a broken feed.
    harmless = isinstance(parsed.get("bozo_exception"), feedparser.ThingsNobodyCaresAboutButMe)
    if parsed.get("bozo") and not harmless:
        reason = one_line(str(parsed.get("bozo_exception", "malformed")))[:200]
        raise FeedError(f"feed {label}: not a valid feed ({reason})", url=feed_url)
    if not parsed.get("version"):
        raise FeedError(f"feed {label}: not RSS, Atom or JSON Feed", url=feed_url)


def _link_of(raw: Any) -> str:
    """An entry's link (or its id when that is a URL); "" when it has none."""
    link = str(raw.get("link") or "")
    if not link and str(raw.get("id", "")).startswith(("http://", "https://")):
        link = str(raw["id"])
    if link.startswith("file://") and not link.startswith("file:///"):
        link = "file:///" + link[len("file://"):]  # feedparser's join drops a slash of file:/// URLs
    return link


def parse_feed(
    content: bytes,
    *,
    feed_url: str,
    feed_name: str | None = None,
    content_type: str = "",
    final_url: str | None = None,
    max_items: int = 100,
) -> ParsedFeed:
    """Parse feed bytes (RSS, Atom or JSON Feed) into entries.

    Raises FeedError naming the feed when nothing usable is in it.
    """
    label = one_line(feed_name or feed_url)
    if jsonfeed.looks_like_json(content, content_type):
        text, encoding = _json_text(content)
        raw_entries, feed_title = jsonfeed.parse(text, label=label, base_url=final_url or feed_url)
    else:
        raw_entries, feed_title, encoding = _parse_xml(content, label=label, feed_url=feed_url,
                                                       content_type=content_type, final_url=final_url)
    title = one_line(feed_title).strip() or label
    entries: list[Entry] = []
    without_link = 0
    for raw in raw_entries[:max_items]:
        if not raw.link:
            without_link += 1
            continue
        entries.append(Entry(
            feed_name=feed_name or title, feed_url=feed_url, title=one_line(raw.title).strip(), url=raw.link,
            canonical_url=canonical_url(raw.link), published=raw.published,
            summary_html=clean_text(raw.summary_html), content_html=clean_text(raw.content_html),
        ))
    return ParsedFeed(title=title, entries=entries, without_link=without_link, encoding=encoding)


def _json_text(content: bytes) -> tuple[str | bytes, str]:
    """JSON is UTF-8 (RFC 8259), but a GBK JSON Feed exists: other bytes are decoded as detected."""
    try:
        return content.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        best = detect_charset(content)
        return (str(best), best.encoding) if best is not None else (content, "")


def _parse_xml(content: bytes, *, label: str, feed_url: str, content_type: str,
               final_url: str | None) -> tuple[list[RawEntry], str, str]:
    """(entries, feed title, encoding) of an RSS or Atom document, through feedparser."""
    content, content_type, detected = _normalise_encoding(content, content_type)
    headers = {"content-location": final_url or feed_url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(content, response_headers=headers, sanitize_html=True,
                              resolve_relative_uris=True)
    if not parsed.entries:
        _refuse_empty(parsed, label, feed_url)
    raw_entries = [
        RawEntry(title=raw.get("title") or "", link=_link_of(raw).strip(), published=_published(raw),
                 summary_html=raw.get("summary", "") or "", content_html=_content_html(raw))
        for raw in parsed.entries
    ]
    return raw_entries, str(parsed.feed.get("title", "") or ""), detected or parsed.get("encoding") or ""


def in_window(entry: Entry, start: datetime | None, end: datetime) -> bool:
    """Undated entries count as new: many feeds omit dates, and the store keeps them from repeating."""
    if entry.published is None:
        return True
    if entry.published > end:
        # A little clock skew in a feed is normal; far-future dates are not.
        return (entry.published - end).total_seconds() < 6 * 3600
    return start is None or entry.published >= start
