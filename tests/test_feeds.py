from datetime import UTC, datetime

import pytest
from servers import FIXTURES

from summarizer.errors import FeedError
from summarizer.sources.feeds import canonical_url, in_window, parse_feed

HOST = "http://127.0.0.1:9"


def parse(name: str, content_type: str = "application/xml"):
    raw = (FIXTURES / "feeds" / name).read_bytes().replace(b"FIXTURE_HOST", b"127.0.0.1:9")
    return parse_feed(raw, feed_url=f"{HOST}/feeds/{name}", content_type=content_type)


def test_rss2_entries_with_dates_and_canonical_urls() -> None:
    feed = parse("rss2.xml")
    assert feed.title.startswith("数智前沿")
    assert len(feed.entries) == 4
    first = feed.entries[0]
    assert first.title == "数栖科技完成 3 亿元 B 轮融资，押注企业级 AI 数据治理"
    assert first.published == datetime(2026, 11, 20, 9, 5, tzinfo=UTC)
    tracked = feed.entries[1]
    assert "utm_source" in tracked.url
    assert tracked.canonical_url == f"{HOST}/pages/en-1.html"


def test_atom_carries_full_content_and_duplicates_rss_after_canonicalisation() -> None:
    atom = parse("atom.xml")
    by_url = {e.canonical_url: e for e in atom.entries}
    assert f"{HOST}/pages/en-1.html" in by_url  # same story as the RSS item once utm_* is gone
    lab = by_url[f"{HOST}/pages/en-2.html"]
    assert len(lab.content_html) > 2000
    assert "Lisbon" in lab.content_html


def test_gbk_feed_without_declared_encoding_is_decoded() -> None:
    raw = (FIXTURES / "feeds" / "gbk.xml").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert b"encoding" not in raw.split(b"?>", 1)[0]
    feed = parse("gbk.xml", content_type="application/xml")
    assert len(feed.entries) == 2
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in e.title) for e in feed.entries)
    assert "\ufffd" not in feed.title and "Ã" not in feed.title


def test_big5_feed_is_decoded() -> None:
    feed = parse("big5.xml")
    assert len(feed.entries) == 1
    title = feed.entries[0].title
    assert any("\u4e00" <= ch <= "\u9fff" for ch in title) and "\ufffd" not in title


def test_malformed_feed_raises_naming_the_feed() -> None:
    with pytest.raises(FeedError, match="malformed.xml"):
        parse("malformed.xml")


def test_html_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match="not"):
        parse_feed(b"<html><body><p>hello</p></body></html>", feed_url="http://x/feed", feed_name="Some site")


@pytest.mark.parametrize("url, expected", [
    ("HTTPS://Example.COM:443/a?utm_source=x&b=2&a=1#frag", "https://example.com/a?a=1&b=2"),
    ("http://example.com/a?fbclid=1&spm=2&id=7", "http://example.com/a?id=7"),
    ("http://example.com:8080", "http://example.com:8080/"),
])
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_window() -> None:
    feed = parse("rss2.xml")
    end = datetime(2026, 11, 20, 23, 59, tzinfo=UTC)
    start = datetime(2026, 11, 19, 23, 59, tzinfo=UTC)
    inside = [e for e in feed.entries if in_window(e, start, end)]
    assert len(inside) == 3
    assert all("old.html" not in e.url for e in inside)
    assert len([e for e in feed.entries if in_window(e, None, end)]) == 4
