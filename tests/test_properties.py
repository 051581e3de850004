"""Property-based tests (hypothesis): arbitrary strings and bytes at every function that takes a URL, a
feed body or a page. Nothing but our own error for that input may escape (issue 12, item 1)."""

from __future__ import annotations

import asyncio
import socket
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import write_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_socket import SocketBlockedError
from servers import FakeOpenAI, SiteServer

from summarizer import jinja
from summarizer.cli import cli
from summarizer.config import FetchSettings
from summarizer.errors import ExtractError, FeedError, FetchError
from summarizer.sources import extract
from summarizer.sources.feeds import canonical_url, parse_feed
from summarizer.sources.fetch import Fetcher
from summarizer.text import clean_text, one_line

# URL-ish text: mostly what a careless feed writes, sometimes anything at all.
URL_PARTS = st.sampled_from(["http://", "https://", "file://", "ftp://", "//", "", "http://[", "http://a:"])
URLS = st.one_of(st.text(), st.builds(lambda a, b: a + b, URL_PARTS, st.text()))
PAGES = st.one_of(st.binary(max_size=4000), st.text(max_size=4000).map(lambda t: f"<html><body><p>{t}</p>"))
FEEDS = st.one_of(
    st.binary(max_size=4000),
    st.builds(lambda t, link: (f'<rss version="2.0"><channel><title>{t}</title><item><title>{t}</title>'
                               f"<link>{link}</link></item></channel></rss>")
              .encode("utf-8", "surrogatepass"), st.text(max_size=200), URLS),
    st.builds(lambda t: ('{"version": "https://jsonfeed.org/version/1.1", "items": [' + t + "]}")
              .encode("utf-8", "surrogatepass"), st.text(max_size=300)),
)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(URLS)
def test_canonical_url_never_raises(url: str) -> None:
    assert isinstance(canonical_url(url), str)


@SETTINGS
@given(FEEDS, URLS, st.text(max_size=60))
def test_parse_feed_raises_only_feed_error(body: bytes, url: str, content_type: str) -> None:
    try:
        parsed = parse_feed(body, feed_url=url or "feed", content_type=content_type)
    except FeedError as exc:
        assert "\n" not in str(exc)
        return
    for entry in parsed.entries:
        assert clean_text(entry.title) == entry.title and "\n" not in entry.title


@SETTINGS
@given(PAGES, URLS, st.text(max_size=40))
def test_extraction_raises_only_extract_error(page: bytes | str, url: str, content_type: str) -> None:
    extract.page_title(page)
    extract.html_fragment_to_text(page if isinstance(page, str) else page.decode("utf-8", "replace"))
    extract.not_html(page, content_type)
    try:
        extract.choose_text(url=url, html=page, min_zi=1, content_type=content_type)
    except ExtractError:
        pass


@SETTINGS
@given(URLS)
def test_render_helpers_take_any_url(url: str) -> None:
    assert "\n" not in jinja.link_text(url)
    jinja.link_target(url)
    jinja.inline(url)


@SETTINGS
@given(st.text())
def test_clean_text_leaves_text_xml_can_hold(text: str) -> None:
    root = ET.Element("t")
    root.text = one_line(text)
    parsed = ET.fromstring(ET.tostring(root, encoding="unicode").encode("utf-8"))
    assert (parsed.text or "") == one_line(text).replace("\r", "")


@pytest.fixture(scope="module")
def fetcher_loop() -> Any:
    loop = asyncio.new_event_loop()
    fetcher = Fetcher(FetchSettings(retries=0, timeout=2, deadline=3))
    loop.run_until_complete(fetcher.__aenter__())
    yield fetcher, loop
    loop.run_until_complete(fetcher.__aexit__())
    loop.close()


@SETTINGS
@given(url=URLS)
def test_fetch_raises_only_fetch_error(url: str, fetcher_loop: Any) -> None:
    fetcher, loop = fetcher_loop
    real = socket.getaddrinfo

    def no_dns(host: Any, *args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "lookup blocked in tests")

    socket.getaddrinfo = no_dns  # type: ignore[assignment]
    try:
        loop.run_until_complete(fetcher.get(url, allow_file=False))
    except FetchError as exc:
        assert str(exc)
    except SocketBlockedError:
        pass  # a public address literal got past the policy; pytest-socket keeps it off the network
    finally:
        socket.getaddrinfo = real  # type: ignore[assignment]


def test_a_file_in_tmp_is_read_only_when_allowed(tmp_path: Path, fetcher_loop: Any) -> None:
    fetcher, loop = fetcher_loop
    (tmp_path / "a.html").write_text("<p>x</p>")
    with pytest.raises(FetchError):
        loop.run_until_complete(fetcher.get((tmp_path / "a.html").as_uri()))


# -- a whole digest run ------------------------------------------------------------------------------------

FEED_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(title=FEED_TEXT, link=URLS, extra=st.binary(max_size=300))
def test_a_digest_run_survives_any_feed_item(title: str, link: str, extra: bytes, site: SiteServer,
                                             fake_llm: FakeOpenAI) -> None:
    """One good item and one arbitrary one (title, link, trailing bytes): the run writes its draft."""
    from xml.sax.saxutils import escape

    from test_faults import GOOD_PAGE, RSS, item, rss

    body = rss([item("澄光智能发布家用陪护机器人", site.url(GOOD_PAGE)), item(escape(title), escape(link))])
    site.overrides["/feeds/mixed.xml"] = (200, RSS, body + extra)
    with tempfile.TemporaryDirectory() as tmp:
        config = write_config(Path(tmp), site, fake_llm, feeds=["feeds/mixed.xml"], fetch__retries=0)
        result = CliRunner().invoke(cli, ["digest", "--config", str(config), "--date", "2026-11-20"])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code in (0, 1) and "Traceback" not in result.output


# -- feed.xml: well-formed whatever the model, the feed or a hand edit put in the issue ------------------

ANY_TEXT = st.text(max_size=60)


@SETTINGS
@given(title=ANY_TEXT, headline=ANY_TEXT, emoji=ANY_TEXT, bullet=ANY_TEXT, link=URLS, section=ANY_TEXT)
def test_feed_xml_is_well_formed_whatever_the_text(title: str, headline: str, emoji: str, bullet: str,
                                                   link: str, section: str) -> None:
    from summarizer.digest.parse import ParsedHighlight, ParsedItem
    from summarizer.publish.atom import atom_feed
    from summarizer.publish.issue import PublishedIssue

    item = ParsedItem(line=1, headline=headline, emoji=emoji, bullets=[bullet] * 3, links=[link])
    issue = PublishedIssue(date="2026-11-20", title=title, purpose=bullet,
                           stats=f"原文共计**{len(bullet)}**字",
                           highlights=[ParsedHighlight(1, headline, emoji)], sections=[(section, [item])],
                           markdown=headline, published_at="2026-11-20T08:00:00+00:00")
    for base_url in (None, "https://example.com/"):
        text = atom_feed([issue], title=title, base_url=base_url)
        root = ET.fromstring(text.encode("utf-8"))  # strict: an invalid token raises
        assert root.tag.endswith("feed")
