"""The weekly's pure parts: keys, link names, stories across days, ranking, prose checks, draft parsing."""

from __future__ import annotations

import json
from datetime import date

import pytest

from summarizer.dates import is_weekly, weekly_key
from summarizer.errors import DraftFormatError
from summarizer.items import Problem
from summarizer.weekly.prose import Prose, ProseRules, Teaser, parse_reply, sentences
from summarizer.weekly.render import WeeklyEntry, WeeklyIssue, parse_weekly, render_weekly
from summarizer.weekly.select import DailyItem, labelled_links, link_kind, rank, stories

LAUNCH = ("星河智能今天发布千亿参数大模型星图3，推理成本比上一代下降百分之六十，面向企业客户开放接口，"
          "首批合作伙伴包括多家银行和制造企业，公司表示新模型在长文本理解和代码生成上都有明显提升。") * 3
EARNINGS = ("星河智能公布第三季度财报，营收同比增长百分之四十二，云服务收入首次超过硬件收入，"
            "管理层表示将继续加大数据中心投入，并计划明年在海外市场推出更多面向中小企业的产品。") * 3


def item(day: str, url: str, text: str, *, importance: int = 5, links: tuple[str, ...] = ()) -> DailyItem:
    return DailyItem(date=day, canonical_url=url, headline="标题", bullets=("要点",), section="产品介绍",
                     importance=importance, links=links or (url,), published=f"{day}T08:00:00+00:00",
                     source="site", source_title=text[:20], text=text)


def test_weekly_key_is_the_iso_week_and_never_a_daily_date() -> None:
    assert weekly_key(date(2026, 11, 22)) == "weekly-2026-W47"
    assert weekly_key(date(2027, 1, 1)) == "weekly-2026-W53"  # ISO year of the last week
    assert is_weekly("weekly-2026-W47") and not is_weekly("2026-11-22") and not is_weekly("weekly-x")


def test_link_lines_are_named_for_what_they_point_to() -> None:
    assert link_kind("https://github.com/a/b") == "代码"
    assert link_kind("https://aigc3d.github.io/motionshop/") == "项目及演示"
    assert link_kind("https://www.bilibili.com/video/BV1") == "视频"
    assert link_kind("https://arxiv.org/abs/1") == "论文"
    assert labelled_links(["https://a.example/x", "https://b.example/y", "https://github.com/a/b"]) == [
        ("网址", "https://a.example/x"), ("相关报道", "https://b.example/y"), ("代码", "https://github.com/a/b")]
    # Beside an episode, the article page is its transcript.
    assert labelled_links(["https://www.xiaoyuzhoufm.com/episode/1", "https://mp.example/s/1"]) == [
        ("音频", "https://www.xiaoyuzhoufm.com/episode/1"), ("文字稿", "https://mp.example/s/1")]


def test_a_story_published_on_two_days_is_one_candidate_with_the_newest_item_and_every_source() -> None:
    monday = item("2026-11-16", "https://a.example/launch", LAUNCH, links=("https://a.example/launch",))
    wednesday = item("2026-11-18", "https://b.example/launch-price", LAUNCH[5:] + "价格公布。",
                     links=("https://b.example/launch-price", "https://c.example/copy"))
    other = item("2026-11-17", "https://a.example/earnings", EARNINGS)
    found = {c.item.canonical_url: c for c in stories([monday, other, wednesday])}
    assert set(found) == {"https://b.example/launch-price", "https://a.example/earnings"}
    launch = found["https://b.example/launch-price"]
    assert launch.links == ("https://b.example/launch-price", "https://c.example/copy", "https://a.example/launch")
    assert launch.days == ("2026-11-18", "2026-11-16") and launch.sources == 3


def test_rank_by_importance_plus_a_bonus_per_source_capped() -> None:
    one = item("2026-11-16", "https://x.example/1", "甲" * 50, importance=7)
    many = item("2026-11-16", "https://x.example/2", "乙" * 50, importance=5,
                links=tuple(f"https://s{n}.example/" for n in range(6)))
    top = item("2026-11-16", "https://x.example/3", "丙" * 50, importance=9)
    ranked = rank(stories([one, many, top]), 2)
    # many: 5 + 3 (capped) = 8 > one's 7; top's 9 stays first.
    assert [c.item.canonical_url for c in ranked] == ["https://x.example/3", "https://x.example/2"]


RULES = ProseRules()
GOOD = ("这个项目把视频里的人物换成三维角色，动作与原片保持一致。"
        "作者做了对比测试，效果接近商业方案。适合想快速尝试的读者。")


def reply(paragraph: str, title: str = "标题") -> str:
    return json.dumps({"quote": "q", "paragraph": paragraph, "title": title}, ensure_ascii=False)


def test_prose_validation_names_every_fault_in_chinese() -> None:
    assert sentences(GOOD) == 3
    ok = parse_reply(reply(GOOD, "视频角色替换"), Prose, RULES)
    assert ok.title == "视频角色替换"
    with pytest.raises(ValueError, match="段落为1句，应为2到5句"):
        parse_reply(reply(GOOD.replace("。", "，")), Prose, RULES)
    with pytest.raises(ValueError, match="不能包含Markdown"):
        parse_reply(reply("**加粗**" + GOOD), Prose, RULES)
    with pytest.raises(ValueError, match="标题必须用中文写"):
        parse_reply(reply(GOOD, "Video swap"), Prose, RULES)
    with pytest.raises(ValueError, match="paragraph: 缺少该字段"):
        parse_reply('{"title": "标题"}', Prose, RULES)
    with pytest.raises(ValueError, match="导语为"):
        parse_reply(json.dumps({"teaser": "很长的导语" * 20}), Teaser, RULES)


def issue_doc() -> WeeklyIssue:
    entry = WeeklyEntry(title="标题一", paragraph=GOOD, links=[("网址", "https://a.example/1"),
                                                             ("相关报道", "https://b.example/2")])
    pick = WeeklyEntry(title="标题二", paragraph=GOOD, links=[("网址", "https://c.example/3")],
                       flags=[Problem("flag", "段落：存疑")])
    return WeeklyIssue(format="issue", date="2026-11-22", title="简读 Weekly 第 3 期", category="技术",
                       sections=[("产品介绍", "新产品", [entry])], picks=[pick])


def test_issue_renders_the_reference_shape_and_reads_back() -> None:
    text = render_weekly(issue_doc())
    assert ("## 产品介绍\n\n> 新产品\n\n### 标题一\n\n"
            "> https://a.example/1\n>\n> 相关报道：https://b.example/2\n\n") in text
    assert "## 我在看\n\n### 标题二\n\n> https://c.example/3\n\n" in text
    parsed = parse_weekly(text, fmt="issue")
    assert [(e.title, e.section, e.links) for e in parsed.entries] == [
        ("标题一", "产品介绍", ["https://a.example/1", "https://b.example/2"]),
        ("标题二", "我在看", ["https://c.example/3"])]
    assert parsed.entries[1].flags == ["段落：存疑"] and parsed.entries[0].paragraph == [GOOD]


def test_a_broken_weekly_draft_names_its_line() -> None:
    doc = issue_doc()
    doc.format = "numbered"
    doc.items = [*doc.sections[0][2], *doc.picks]
    text = render_weekly(doc)
    assert "目录：\n\n1、标题一  \n2、标题二\n\n### 1、标题一\n\n网址：https://a.example/1\n" in text
    with pytest.raises(DraftFormatError, match=r"line \d+: expected '### N、标题'"):
        parse_weekly(text.replace("### 2、标题二", "### 标题二"), fmt="numbered")
    with pytest.raises(DraftFormatError, match="'标题一' has no link line"):
        gone = text.replace("网址：https://a.example/1\n", "").replace("相关报道：https://b.example/2", "")
        parse_weekly(gone, fmt="numbered")
    with pytest.raises(DraftFormatError, match="line 1: expected front matter"):
        parse_weekly(text.replace("---\n", "", 1), fmt="numbered")


def test_the_local_model_gets_string_lengths_and_a_hosted_one_a_plain_strict_schema() -> None:
    from summarizer.weekly.prose import _schema

    fields = ("quote", "paragraph", "title")
    hosted = _schema(fields, RULES, lengths=False)
    assert hosted["properties"]["paragraph"] == {"type": "string"} and hosted["required"] == list(fields)
    local = _schema(fields, RULES, lengths=True)["properties"]
    assert local["paragraph"]["minLength"] == 60 and local["paragraph"]["maxLength"] == RULES.paragraph_max
    assert local["title"]["maxLength"] == RULES.title_max + 8


def test_a_story_ranks_by_the_importance_of_its_most_important_day() -> None:
    news = item("2026-11-16", "https://a.example/launch", LAUNCH, importance=9)
    follow_up = item("2026-11-18", "https://b.example/launch-price", LAUNCH[5:] + "价格公布。", importance=3)
    other = item("2026-11-17", "https://a.example/earnings", EARNINGS, importance=8)
    ranked = rank(stories([news, follow_up, other]), 1)
    # 9 (Monday's news) + 1 for the second source beats 8; Wednesday's item, the newest, stands for it.
    assert ranked[0].item.canonical_url == "https://b.example/launch-price" and ranked[0].score == 10
