import pytest

from servers import FIXTURES
from summarizer.errors import ExtractError
from summarizer.extract import choose_text, html_fragment_to_text
from summarizer.feeds import parse_feed
from summarizer.text import count_zi


def page(name: str) -> bytes:
    return (FIXTURES / "pages" / name).read_bytes().replace(b"FIXTURE_HOST", b"127.0.0.1:9")


@pytest.mark.parametrize("name", ["zh-1.html", "zh-2.html", "en-1.html", "zh-gbk.html", "zh-big5.html"])
def test_article_text_without_boilerplate(name: str) -> None:
    result = choose_text(url=f"http://127.0.0.1:9/pages/{name}", html=page(name), min_zi=100)
    assert result.method == "page"
    assert result.zi == count_zi(result.text) > 150
    assert "\ufffd" not in result.text
    # Footer and comment boilerplate are gone.
    assert "©" not in result.text and "版权所有" not in result.text and "All rights reserved" not in result.text


def test_feed_full_text_wins_when_longer_than_the_page() -> None:
    feed = parse_feed((FIXTURES / "feeds" / "atom.xml").read_bytes(), feed_url="http://127.0.0.1:9/feeds/atom.xml")
    entry = next(e for e in feed.entries if "en-2" in e.url)
    result = choose_text(url=entry.url, html=page("en-2.html"), feed_html=entry.content_html, min_zi=100)
    assert result.method == "feed"
    page_only = choose_text(url=entry.url, html=page("en-2.html"), min_zi=100)
    assert result.zi > page_only.zi


def test_teaser_is_skipped_with_reason() -> None:
    with pytest.raises(ExtractError) as info:
        choose_text(url="http://127.0.0.1:9/pages/teaser.html", html=page("teaser.html"), min_zi=200)
    assert info.value.skipped
    assert "teaser" in str(info.value) and "teaser.html" in str(info.value)


def test_script_only_page_is_skipped() -> None:
    with pytest.raises(ExtractError) as info:
        choose_text(url="http://127.0.0.1:9/pages/script-only.html", html=page("script-only.html"), min_zi=200)
    assert info.value.skipped


def test_fragment_to_text_keeps_paragraphs() -> None:
    text = html_fragment_to_text("<p>第一段。</p><p>Second <b>para</b>.</p><script>x()</script>")
    assert text == "第一段。\nSecond para."
