"""Story memory across days: a story an earlier issue told is left out, a follow-up is one 续报 item."""

import sqlite3
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner
from conftest import write_config
from servers import FakeOpenAI, SiteServer
from test_weekly import weekly_responder

from summarizer.cli import cli
from summarizer.items import Article, Earlier
from summarizer.model.summarize import source_of
from summarizer.store import Store, StoryLink
from summarizer.trust.checks import CheckRules, grounding
from summarizer.trust.dedup import sketch
from summarizer.trust.memory import Remembered, StoryMemory, moves_on, new_facts

LAUNCH = ("星河智能11月20日在杭州举行发布会，正式推出千亿参数大模型“星图3”。"
          "公司称，新模型在中文阅读理解和代码生成两项评测中均超过上一代，推理成本下降60%。"
          "首席技术官林若溪介绍，“星图3”采用混合专家架构，共有64个专家模块，"
          "每次推理只激活其中8个，吞吐量提升约2.5倍。"
          "API输入价格为每百万token 4元，输出价格为每百万token 12元。")
COPY = ("据报道，星河智能11月20日在杭州举行发布会，正式推出千亿参数大模型“星图3”。"
        "公司称，新模型在中文阅读理解和代码生成两项评测中均超过上一代，推理成本下降60%。"
        "首席技术官林若溪介绍，“星图3”采用混合专家架构，共有64个专家模块，"
        "每次推理只激活其中8个，吞吐量提升约2.5倍。"
        "API输入价格为每百万token 4元，输出价格为每百万token 12元。")
CHIP = ("北辰半导体11月20日发布第二代推理芯片“凌霄2”，采用5纳米工艺，单卡算力达到每秒320万亿次。"
        "公司表示，这款芯片的能效比上一代提高45%，将首先供应给三家云服务商。"
        "北辰半导体董事长顾长河说，量产线已在无锡投产，年产能为12万片晶圆。"
        "分析人士认为，这将缓解国内数据中心的算力紧张。")
CHIP_NEWS = ("11月21日，北辰半导体宣布与云服务商Stratus签约，首批采购8000张“凌霄2”加速卡，合同金额约19亿元。"
             "Stratus首席执行官Maya Lindqvist表示，新集群将于2027年3月在贵阳上线，可支撑每天150亿次调用。"
             "北辰半导体同时宣布，第三代芯片“凌霄3”已进入流片阶段。")
# Background a copy adds: the company's history, new names and figures of years long before the night.
HISTORY = ("星河智能由林若溪等人于2016年在杭州创立，2019年完成由晨曦资本领投的3亿元B轮融资。"
           "2021年，公司发布第一代“星图1”模型，当年注册用户突破300万。")
EARNINGS = ("青禾机器人11月21日公布第三季度财报，季度营收为58亿元，同比增长42%；净亏损收窄至3.1亿元。"
            "服务机器人收入达到31亿元，首次超过工业机器人业务。首席财务官周明远表示，"
            "企业客户数量同比翻了一番，公司计划明年上半年实现单季度盈利。")


def page(title: str, *paragraphs: str) -> tuple[int, dict[str, str], bytes]:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    html = (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<article><h1>{title}</h1>{body}</article></body></html>")
    return 200, {"Content-Type": "text/html; charset=utf-8"}, html.encode("utf-8")


def feed(site: SiteServer, day: str, entries: list[tuple[str, str]]) -> tuple[int, dict[str, str], bytes]:
    items = "".join(f"<item><title>{title}</title><link>{site.url(path)}</link>"
                    f"<pubDate>{day} 2026 08:00:00 +0000</pubDate></item>" for title, path in entries)
    xml = (f"<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel><title>科技</title>{items}"
           "</channel></rss>")
    return 200, {"Content-Type": "application/rss+xml; charset=utf-8"}, xml.encode("utf-8")


def run(config: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--config", str(config)])
    import traceback
    assert result.exit_code == 0, "".join(traceback.format_exception(result.exception))
    return result.output


def test_two_nights_leave_out_a_told_story_and_mark_a_follow_up(tmp_path: Path, site: SiteServer,
                                                                  fake_llm: FakeOpenAI) -> None:
    pages = {
        "/n1/launch.html": page("星河智能发布千亿参数大模型“星图3”", LAUNCH),
        "/n1/chip.html": page("北辰半导体发布推理芯片“凌霄2”", CHIP),
        "/n2/copy.html": page("星河智能推出“星图3”大模型", COPY, HISTORY),
        "/n2/chip-news.html": page("北辰半导体“凌霄2”获Stratus大单", CHIP, CHIP_NEWS),
        "/n2/chip-news-copy.html": page("“凌霄2”获8000张订单", CHIP, CHIP_NEWS, "（本文转载自芯闻网）"),
        "/n2/earnings.html": page("青禾机器人第三季度营收增长42%", EARNINGS),
    }
    site.overrides.update(pages)
    site.overrides["/feeds/night.xml"] = feed(site, "Fri, 20 Nov", [
        ("星河智能发布千亿参数大模型“星图3”", "n1/launch.html"),
        ("北辰半导体发布推理芯片“凌霄2”", "n1/chip.html")])
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/night.xml"], digest__min_article_chars=60)
    run(config, "digest", "--date", "2026-11-20")
    run(config, "review", "2026-11-20", "--approve-all")
    run(config, "publish", "2026-11-20", "--no-push")
    published = (tmp_path / "output" / "2026-11-20.html").read_text(encoding="utf-8")
    assert 'id="item-1"' in published and 'id="item-2"' in published
    chip_anchor = next(line for line in published.splitlines() if "北辰" in line and "<h3" in line)
    anchor = chip_anchor.split('id="')[1].split('"')[0]

    site.overrides["/feeds/night.xml"] = feed(site, "Sat, 21 Nov", [
        ("星河智能推出“星图3”大模型", "n2/copy.html"),
        ("北辰半导体“凌霄2”获Stratus大单", "n2/chip-news.html"),
        ("“凌霄2”获8000张订单", "n2/chip-news-copy.html"),
        ("青禾机器人第三季度营收增长42%", "n2/earnings.html")])
    calls = len(fake_llm.requests)
    result = CliRunner().invoke(cli, ["digest", "--config", str(config), "--date", "2026-11-21"])
    assert result.exit_code == 0, result.output
    report = result.stderr
    copy, news = site.url("n2/copy.html"), site.url("n2/chip-news.html")
    assert f"already published: {copy} (2026-11-20)" in report
    prompts = list(dict.fromkeys(r["messages"][1]["content"] for r in fake_llm.requests[calls:]))
    assert len(prompts) == 2  # the follow-up (once for its two copies) and the new page; never the copy
    follow = next(p for p in prompts if "凌霄2" in p)
    assert "续报" in follow and "<earlier>" in follow  # the model is given the earlier item's bullets
    assert not any("星图3" in p for p in prompts)

    draft = (tmp_path / "output" / "drafts" / "2026-11-21.md").read_text(encoding="utf-8")
    assert draft.count("\n### ") == 2
    assert f"({copy})" not in draft
    item = next(part for part in draft.split("\n### ") if "chip-news" in part)
    assert f"(2026-11-20.html#{anchor})" in item and "续报:[2026-11-20 " in item
    assert item.count("原文链接:") == 2  # one item for both copies of the follow-up
    other = next(part for part in draft.split("\n### ") if "earnings" in part)
    assert "续报" not in other

    db = sqlite3.connect(tmp_path / "state" / "jiandu.db")
    kinds = dict(db.execute("SELECT canonical_url, kind FROM story_links"))
    kept = db.execute("SELECT url FROM articles WHERE url LIKE '%chip-news%' "
                      "AND status = 'summarized'").fetchone()[0]
    assert kinds[copy] == "repeat" and kinds[kept] == "follow" and news.startswith(kept[:-12])
    assert db.execute("SELECT COUNT(*) FROM published_stories WHERE date = '2026-11-20'").fetchone()[0] == 2

    # A re-run of the night keeps every decision and asks the model nothing.
    asked = len(fake_llm.requests)
    again = CliRunner().invoke(cli, ["digest", "--config", str(config), "--date", "2026-11-21"])
    assert again.exit_code == 0, again.output
    assert len(fake_llm.requests) == asked
    assert f"already published: {copy} (2026-11-20)" in again.stderr
    assert (tmp_path / "output" / "drafts" / "2026-11-21.md").read_text(encoding="utf-8") == draft

    # Published, the 续报 item links the earlier issue's item on the page too.
    run(config, "review", "2026-11-21", "--approve-all")
    run(config, "publish", "2026-11-21", "--no-push")
    html = (tmp_path / "output" / "2026-11-21.html").read_text(encoding="utf-8")
    assert f'href="2026-11-20.html#{anchor}"' in html
    wechat = (tmp_path / "output" / "2026-11-21.wechat.html").read_text(encoding="utf-8")
    assert "续报:接 2026-11-20 " in wechat

    # The week: the chip story ran on both days, one item with its days; the launch ran once.
    fake_llm.responder = weekly_responder
    run(config, "weekly", "--from", "2026-11-16", "--to", "2026-11-22", "--format", "numbered")
    weekly = (tmp_path / "output" / "drafts" / "weekly-2026-W47.md").read_text(encoding="utf-8")
    assert weekly.count("\n### ") == 3  # launch, chip (two days), earnings
    chip = next(part for part in weekly.split("\n### ") if "chip" in part)
    assert "报道日期：2026-11-20、2026-11-21" in chip
    assert chip.count("n1/chip.html") == 1 and "chip-news" in chip
    assert weekly.count("报道日期") == 1


def test_a_story_link_is_kept_and_can_be_restored(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        store.save_story_link(StoryLink("https://a.cn/1", "2026-11-21", "repeat", "2026-11-20", "https://b.cn/1"))
        store.restore_story("https://a.cn/1")
        link = store.story_link("https://a.cn/1")
        assert link is not None and link.restored


def test_a_copy_adds_nothing_and_a_follow_up_adds_facts() -> None:
    assert new_facts(COPY, [LAUNCH]) == []
    assert not moves_on(COPY, [LAUNCH])
    fresh = new_facts(f"{CHIP}\n{CHIP_NEWS}", [CHIP])
    assert len(fresh) == 3 and all("凌霄" in s or "Stratus" in s for s in fresh)
    assert moves_on(f"{CHIP}\n{CHIP_NEWS}", [CHIP])


def test_sentences_set_in_years_long_before_the_night_are_background_not_news() -> None:
    later = f"{COPY}{HISTORY}"
    assert len(new_facts(later, [LAUNCH])) == 2  # new names and figures, in 2016-2021
    assert not moves_on(later, [LAUNCH], year=2026)
    assert moves_on(later, [LAUNCH], year=2021)  # in 2021, 2019 and 2021 are still news
    recent = "2024年，公司发布第一代“星图1”模型，当年注册用户突破300万，2019年曾获融资。"
    assert len(new_facts(f"{COPY}{recent}", [LAUNCH], year=2026)) == 1  # a recent year is enough


def test_a_capitalised_word_opening_an_english_sentence_is_not_a_name() -> None:
    earlier = "Illumina said on Tuesday that its new sequencer would bring the cost down to $1,000."
    later = ("Illumina said on Tuesday that its new sequencer would bring the cost down to $1,000. "
             "Until recently, he said, sequencing a genome took a week -- now it takes hours.")
    assert new_facts(later, [earlier]) == []


def test_memory_matches_a_published_story_and_not_another() -> None:
    memory = StoryMemory([
        Remembered("https://a.cn/1", "https://a.cn/1", "2026-11-20", sketch("星图3", LAUNCH)),
        Remembered("https://a.cn/2", "https://a.cn/2", "2026-11-20", sketch("凌霄2", CHIP))])
    found = memory.match("https://c.cn/1", sketch("星河智能推出“星图3”大模型", COPY))
    assert found is not None and found.item == "https://a.cn/1"
    assert memory.match("https://c.cn/2", sketch("青禾机器人财报", EARNINGS)) is None
    follow = memory.match("https://c.cn/3", sketch("凌霄2获大单", f"{CHIP}\n{CHIP_NEWS}"))
    assert follow is not None and follow.item == "https://a.cn/2"


def test_the_checks_of_a_follow_up_accept_the_earlier_source_too() -> None:
    earlier = Earlier("2026-11-20", "item-2", "北辰半导体发布“凌霄2”", "https://a.cn/chip",
                      ("“凌霄2”单卡算力达到每秒320万亿次。",), CHIP)
    article = Article(url="https://b.cn/news", canonical_url="https://b.cn/news", title="“凌霄2”获大单",
                      source="b", published=None, text=CHIP_NEWS, zi=len(CHIP_NEWS), text_hash="x")
    bullet = "北辰半导体的“凌霄2”单卡算力为每秒320万亿次，Stratus首批采购8000张，合同金额约19亿元。"
    alone = grounding(bullet, source_of(article), 1, CheckRules())
    assert [p.term for p in alone] == ["320万亿"]  # the figure of yesterday's page, not today's
    assert grounding(bullet, source_of(replace(article, earlier=earlier)), 1, CheckRules()) == []
