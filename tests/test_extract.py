import asyncio

import pytest
from servers import FIXTURES
from support.fixtures import fixture_bytes

from summarizer.errors import ExtractError
from summarizer.sources.extract import (
    Extracted,
    Extractor,
    best_candidate,
    candidates,
    choose_text,
    html_fragment_to_text,
    page_text,
    score_candidate,
    skip_reason,
)
from summarizer.sources.extract import doubtful as extract_doubtful
from summarizer.sources.feeds import parse_feed
from summarizer.text import count_zi


def page(name: str) -> bytes:
    return fixture_bytes(f"pages/{name}").replace(b"FIXTURE_HOST", b"127.0.0.1:9")


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


def test_chain_recovers_paragraphs_the_default_mode_drops() -> None:
    # The second half of the article sits in <div class="article-footer">, which trafilatura's default prunes;
    # its short text with a chrome line is doubtful, so readability-lxml is asked too, and wins.
    html = page("chain-footer-div.html")
    bare, _ = page_text(html, url="http://127.0.0.1:9/pages/chain-footer-div.html")
    result = choose_text(url="http://127.0.0.1:9/pages/chain-footer-div.html", html=html, min_zi=100)
    assert "300多家企业参与了内测" not in bare
    assert result.method == "page-readability"
    assert "300多家企业参与了内测" in result.text and "分析人士指出" in result.text
    assert "双十一云服务器特惠" not in result.text  # the ad the default mode kept instead


def test_chain_prefers_the_extractor_without_chrome() -> None:
    # trafilatura keeps an inline "相关阅读" link list and an ad; readability's text, trimmed, has neither.
    url = "http://127.0.0.1:9/pages/chain-related-inline.html"
    result = choose_text(url=url, html=page("chain-related-inline.html"), min_zi=100)
    assert result.method == "page-readability"
    assert "这是快云汽车今年的第二次召回。" in result.text
    for chrome in ("相关阅读", "国产大模型价格战再升级", "分享到", "作者：李明", "双十一"):
        assert chrome not in result.text


def test_scoring_counts_link_lines_and_boilerplate_as_noise() -> None:
    links = {"微信", "微博", "复制链接", "share", "twitter", "copy link"}
    text = ("正文第一段，讲述了一家公司的新产品和价格。\n分享到： 微信 微博 复制链接\n"
            "Share Twitter Copy link\n本站使用Cookie改善体验")
    candidate = score_candidate("page-readability", text, links)
    assert candidate.text == "正文第一段，讲述了一家公司的新产品和价格。"
    assert candidate.trimmed_zi == count_zi(text) - candidate.zi
    assert candidate.score < candidate.zi
    untrimmed = score_candidate("page", text, links, trim=False)
    assert untrimmed.text == text and untrimmed.score == candidate.score


def test_a_line_said_twice_counts_once() -> None:
    # Kept in the text (a forum's names and quoted posts repeat) but not scored twice.
    line = "正文第一段，讲述了一家公司的新产品和价格。"
    once, twice = score_candidate("page-readability", line, set()), score_candidate("page-readability",
                                                                                   f"{line}\n{line}", set())
    assert twice.text == f"{line}\n{line}" and twice.repeated_zi == count_zi(line)
    assert twice.score == once.score


def test_a_teaser_repeated_in_two_containers_is_still_a_teaser() -> None:
    # dragnet (WSJ): an A/B-tested paywall puts the same teaser in two containers. readability-lxml returned
    # it twice, which doubled its score over trafilatura's text and its length past the teaser rule: the
    # digest summarized a paywall teaser.
    url = "http://127.0.0.1:9/pages/teaser-twice.html"
    found, _, _ = candidates(url=url, html=page("teaser-twice.html"))
    assert best_candidate(found).method == "page"  # type: ignore[union-attr]
    with pytest.raises(ExtractError) as info:
        choose_text(url=url, html=page("teaser-twice.html"), min_zi=150)
    assert info.value.skipped and "teaser or paywall" in str(info.value)


def test_best_candidate_breaks_ties_towards_the_default_mode() -> None:
    same = [score_candidate(m, "同样的正文内容，一字不差。", set())
            for m in ("page-readability", "page-recall", "page")]
    assert best_candidate(same).method == "page"  # type: ignore[union-attr]
    assert best_candidate([]) is None


def test_chain_recovers_an_english_article_split_across_containers() -> None:
    url = "http://127.0.0.1:9/pages/chain-en-footer-div.html"
    html = page("chain-en-footer-div.html")
    bare, _ = page_text(html, url=url)
    result = choose_text(url=url, html=html, min_zi=50)
    assert "Marcus Lee" not in bare and "Marcus Lee" in result.text
    assert result.method != "page" and "Advertisement" not in result.text


def test_worker_processes_give_the_same_text_and_the_same_errors() -> None:
    # A run with many pages extracts in worker processes (both cores); the answer must not change,
    # and a skipped page's error must cross the process boundary with its url and reason.
    extractor = Extractor(processes=2)
    extractor.prepare(Extractor.POOL_MIN_PAGES)
    assert extractor.wait_ready() and extractor.uses_processes
    page = (FIXTURES / "pages" / "zh-1.html").read_bytes()
    teaser = (FIXTURES / "pages" / "teaser.html").read_bytes()

    async def go() -> tuple[Extracted, ExtractError]:
        text = await extractor.choose(url="https://example.cn/zh-1.html", html=page, min_zi=150)
        with pytest.raises(ExtractError) as info:
            await extractor.choose(url="https://example.cn/teaser.html", html=teaser, min_zi=150)
        return text, info.value

    try:
        text, error = asyncio.run(go())
    finally:
        extractor.close()
    assert text == choose_text(url="https://example.cn/zh-1.html", html=page, min_zi=150)
    assert error.skipped and error.url == "https://example.cn/teaser.html" and "teaser or paywall" in str(error)


def test_a_small_run_stays_in_threads() -> None:
    extractor = Extractor(processes=2)
    extractor.prepare(Extractor.POOL_MIN_PAGES - 1)
    assert not extractor.wait_ready() and not extractor.uses_processes


def _english_brief(words: int) -> str:
    base = ("The regional airline said on Tuesday that it would add four routes next spring after demand for "
            "short flights rose sharply during the summer season across the country").split()
    return " ".join((base * (words // len(base) + 1))[:words]) + "."


def test_length_rule_means_the_same_in_both_languages() -> None:
    # A 120-word English brief is an article; a 60-character Chinese teaser is not (issue 13: the old rule
    # counted an English word as one 字 and refused a 93-word brief as "too short").
    assert skip_reason(_english_brief(120), 150) is None
    teaser = "星衡科技今天发布新一代边缘推理芯片，性能较上一代提升三倍，功耗下降四成，首批样片将于下月交付客户。"
    assert len(teaser) < 60
    why = skip_reason(teaser, 150)
    assert why is not None and why.startswith("too short")
    assert skip_reason("据悉" + "新品发布会上公司介绍了多项技术突破" * 12, 150) is None


def test_feed_teaser_ending_in_more_needs_twice_the_length() -> None:
    # rssant fulltext/martinfowler: the feed carries the first 95 words and a "more…" link.
    snippet = _english_brief(95) + " more…"
    why = skip_reason(snippet, 150)
    assert why is not None and why.startswith("teaser or paywall")
    assert skip_reason(_english_brief(95), 150) is None


def test_choose_text_keeps_a_short_english_news_brief() -> None:
    # Three different paragraphs: one said three times is one paragraph to trafilatura (and to the chain).
    words = _english_brief(43).split()
    paras = "".join(f"<p>{' '.join(words[shift:shift + 40])}.</p>" for shift in (0, 1, 2))
    html = f"<html><head><title>Airline adds routes</title></head><body><article>{paras}</article></body></html>"
    result = choose_text(url="https://news.example.com/brief.html", html=html, min_zi=150)
    assert count_zi(result.text) < 150  # refused as "too short" under the old rule


def test_fallback_runs_only_where_the_first_text_looks_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 13: four extractors a page cost 1.75x bare trafilatura; readability-lxml and the link
    # measure now run only on a doubtful text.
    import summarizer.sources.extract as extract

    calls: list[str] = []
    real = extract.readability_text
    monkeypatch.setattr(extract, "readability_text", lambda html: calls.append("readability") or real(html))
    good = choose_text(url="http://127.0.0.1:9/pages/zh-1.html", html=page("zh-1.html"), min_zi=100)
    assert good.method == "page" and calls == []
    choose_text(url="http://127.0.0.1:9/pages/chain-related-inline.html", html=page("chain-related-inline.html"),
                min_zi=100)
    assert calls == ["readability"]


def test_doubtful_texts() -> None:
    article = "\n".join(["这是一段足够长的正文，讲述公司发布的新产品、价格和上市时间，以及业内人士的看法。" * 2] * 5)
    assert extract_doubtful(article) is None
    assert extract_doubtful("只有一句话。") == "short"
    assert extract_doubtful(article + "\n" + "\n".join(["首页", "新闻", "财经", "科技"] * 10)) == "mostly short lines"
    assert extract_doubtful(article + "\n分享到：微信 微博\n相关阅读\n责任编辑：王某") == "page chrome"
