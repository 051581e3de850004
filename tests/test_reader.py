"""What readers see of the checks: each bullet's source passage as a text-fragment link (DATE.html, both
feeds; the 公众号 HTML as plain text), and the trust line in every published form, over the real CLI."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import unquote

import feedparser
from reviewing import DATE, Day, invoke, make_draft
from servers import FakeOpenAI, SiteServer

from summarizer.digest.parse import parse_digest
from summarizer.publish.reader import sentence_around, text_fragment
from summarizer.store import Store
from summarizer.trust.checks import numbers

FLAG = "数字“42%”在原文中找不到"
EVIDENCE = re.compile(r'<li>([^<]*) <a class="evidence" href="([^"]+)"')


def test_a_text_fragment_is_encoded_as_the_spec_says() -> None:
    # '-', '&' and ',' are the directive's own syntax: always percent-encoded (WICG text fragments, 3.3.1).
    assert text_fragment("https://a.example/p", "GPT-4o & o1, 发布") == (
        "https://a.example/p#:~:text=GPT%2D4o%20%26%20o1%2C%20%E5%8F%91%E5%B8%83")
    # A page that already has a fragment keeps it; the directive follows ':~:'.
    assert text_fragment("https://a.example/p#top", "短句").startswith("https://a.example/p#top:~:text=")
    # A long passage is textStart,textEnd, each cut where a word ends, the two never overlapping.
    long = "团队花了两年时间，收集并整理约 8,000 小时的语音资料，其中近一半是台语和混合语句。"
    directive = text_fragment("https://a.example/p", long).split("#:~:text=")[1]
    start, end = (unquote(part) for part in directive.split(","))
    assert start == "团队花了两年时间，收集并整理约 8,000 小时的语音资料"
    assert end == "其中近一半是台语和混合语句。"
    assert long.startswith(start) and long.endswith(end)
    # No place to cut and too long to give whole: no link rather than one that cannot match.
    assert text_fragment("https://a.example/p", "没" * 60) is None
    assert text_fragment("javascript:alert(1)", "短句") is None


def test_a_quote_cut_inside_a_word_links_its_whole_sentence() -> None:
    text = "第一句。映川科技推出語音助理，辨識準確率達 95%。第三句"
    at = text.index("映川")
    assert sentence_around(text, at, text.index("辨") + 1) == "映川科技推出語音助理，辨識準確率達 95%。"


def _published(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> tuple[Day, str]:
    day = make_draft(tmp_path, site, fake_llm, flags={1: [FLAG]})
    # An editor rewrites one bullet by hand: the checks never saw it, so it must get no link.
    draft = day.draft_md.read_text(encoding="utf-8")
    first = parse_digest(draft).items[0].bullets[0]
    rewritten = "- " + "编辑亲手改写的这一条要点没有经过原文核对，" * 3
    day.draft_md.write_text(draft.replace(f"- {first}", rewritten, 1), encoding="utf-8")
    assert invoke(day, "review", DATE, "--approve-all").exit_code == 0
    published = invoke(day, "publish", DATE, "--ack", "2")
    assert published.exit_code == 0, published.output
    return day, first


def test_each_checked_bullet_links_to_its_passage_in_the_source(tmp_path: Path, site: SiteServer,
                                                                fake_llm: FakeOpenAI) -> None:
    day, _ = _published(tmp_path, site, fake_llm)
    page = (day.output / f"{DATE}.html").read_text(encoding="utf-8")
    linked = EVIDENCE.findall(page)
    issue = parse_digest((day.output / f"{DATE}.md").read_text(encoding="utf-8"))
    bullets = [b for item in issue.items for b in item.bullets]
    assert len(linked) == len(bullets) - 1  # every bullet but the hand-written one
    assert not any(bullet.startswith("编辑亲手改写") for bullet, _ in linked)
    with Store(day.settings.database_path) as store:
        for _, href in linked:
            url, directive = html.unescape(href).split("#:~:text=")
            [article] = [a for a in map(store.article, _canonicals(store)) if a and a.url == url]
            assert article.text
            flat = " ".join(article.text.split())
            parts = [unquote(p) for p in directive.split(",")]
            assert all(p in flat for p in parts), (parts, url)  # the passage is in the page it links to
            assert len(parts) <= 2 and not re.search(r"[-&\s]", directive)  # encoded as the spec says
    feed = feedparser.parse((day.output / "feed.xml").read_bytes())
    assert len(EVIDENCE.findall(feed.entries[0].content[0].value)) == len(linked)
    item = json.loads((day.output / "feed.json").read_text(encoding="utf-8"))["items"][0]
    assert len(EVIDENCE.findall(item["content_html"])) == len(linked)
    wechat = (day.output / f"{DATE}.wechat.html").read_text(encoding="utf-8")
    assert "<a " not in wechat and wechat.count("原文：“") == len(linked)  # the quote, as plain text


def _canonicals(store: Store) -> list[str]:
    return [row[0] for row in store.db.execute("SELECT canonical_url FROM articles")]


def test_the_trust_line_counts_what_was_checked_in_every_form(tmp_path: Path, site: SiteServer,
                                                               fake_llm: FakeOpenAI) -> None:
    day, _ = _published(tmp_path, site, fake_llm)
    markdown = (day.output / f"{DATE}.md").read_text(encoding="utf-8")
    issue = parse_digest(markdown)
    total = sum(len(item.bullets) for item in issue.items)
    linked = len(EVIDENCE.findall((day.output / f"{DATE}.html").read_text(encoding="utf-8")))
    assert issue.trust.startswith(f"本期 {total} 条要点，{linked} 条与原文逐条核对；")
    assert f"{linked} 段引文" in issue.trust and "检查标记 1 处，编辑核实后放行 1 处" in issue.trust
    figures = re.search(r"核对了 (\d+) 个数字、(\d+) 个名称", issue.trust)
    texts = [t for item in issue.items for t in (item.headline, *item.bullets)]
    assert figures is not None and int(figures.group(1)) == sum(len(numbers(t)) for t in texts)
    assert "未经标记" not in issue.trust and "未能核对" not in issue.trust
    for name in (f"{DATE}.html", f"{DATE}.wechat.html", "feed.xml", "feed.json"):
        assert issue.trust in (day.output / name).read_text(encoding="utf-8"), name


def test_a_figure_edited_into_the_draft_by_hand_is_counted_as_unchecked(tmp_path: Path, site: SiteServer,
                                                                        fake_llm: FakeOpenAI) -> None:
    """The draft read back is not re-checked; the trust line runs the number check on what is published."""
    day = make_draft(tmp_path, site, fake_llm)
    draft = day.draft_md.read_text(encoding="utf-8")
    first = parse_digest(draft).items[0].bullets[0]
    edited = draft.replace(f"- {first}", f"- 据称用户已达 4321 万，{first}", 1)
    day.draft_md.write_text(edited, encoding="utf-8")
    assert invoke(day, "review", DATE, "--approve-all").exit_code == 0
    assert invoke(day, "publish", DATE).exit_code == 0
    trust = parse_digest((day.output / f"{DATE}.md").read_text(encoding="utf-8")).trust
    assert trust.endswith("；另有 1 处数字或名称原文未见，未经标记"), trust


def test_the_passage_is_the_one_the_checks_tied_to_this_very_bullet() -> None:
    from summarizer.items import CheckedSummary, CheckResult, Evidence, Summary
    from summarizer.publish.reader import _quote_for

    def stored(bullets: list[str], quotes: list[str], aligned: list[Evidence | None]) -> CheckedSummary:
        summary = Summary.model_construct(quotes=quotes, bullets=bullets, headline="标题", emoji="🚀",
                                          section="其他", importance=5)
        return CheckedSummary(summary, CheckResult(evidence=aligned))

    # The local model gives no quotes: the sentence alignment found is the passage.
    local = stored(["甲", "乙", "丙"], [], [Evidence("甲的原句。", 0.1), None, Evidence("丙的原句。", 0.9)])
    found = [_quote_for([local], n, b) for n, b in enumerate(["甲", "乙", "丙"])]
    assert found == ["甲的原句。", "", "丙的原句。"]
    # A bullet no stored summary has at that place (an editor's rewrite) has no quote at all.
    hosted = stored(["甲", "乙", "丙"], ["q1", "q2", "q3"], [])
    assert _quote_for([hosted], 0, "改写过的甲") == "" and _quote_for([hosted], 1, "甲") == ""
    assert _quote_for([local, hosted], 1, "乙") == ""  # the first summary with this bullet decides
    assert _quote_for([hosted, local], 1, "乙") == "q2"
