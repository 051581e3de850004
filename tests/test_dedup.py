"""One item per story: the grouping itself, and end to end through the pipeline."""

import sqlite3
import time
from pathlib import Path

from click.testing import CliRunner
from conftest import write_config
from servers import FakeOpenAI, SiteServer
from support.fixtures import fixture_bytes

from summarizer.cli import cli
from summarizer.trust.dedup import (
    DedupRules,
    StoryDoc,
    StoryIndex,
    group_stories,
    pair_scores,
    shingles,
    similarity,
    sketch,
)

LAUNCH = ("星河智能在杭州举行发布会，正式推出千亿参数大模型“星图3”。"
          "公司称，新模型在中文阅读理解和代码生成两项评测中均超过上一代，推理成本下降60%。"
          "首席技术官林若溪介绍，“星图3”采用混合专家架构，共有64个专家模块，"
          "每次推理只激活其中8个，吞吐量提升约2.5倍。"
          "API输入价格为每百万token 4元，输出价格为每百万token 12元。")
REWRITE = ("星河智能今天发布了新一代大模型“星图3”，参数规模达到千亿级别。新模型的推理成本比上一代下降60%。"
           "该模型采用混合专家架构，包含64个专家模块，每次推理只激活其中8个。"
           "首席技术官林若溪表示，吞吐量提升了约2.5倍。"
           "“星图3”的API输入价格为每百万token 4元，输出为每百万token 12元。")
EARNINGS = ("星河智能昨日公布第三季度财报，季度营收为58亿元，同比增长42%；净亏损收窄至3.1亿元。"
            "云服务收入达到31亿元，"
            "首次超过硬件业务。首席财务官周明远表示，企业客户数量同比翻了一番，公司计划明年上半年实现单季度盈利。")


def doc(key: str, title: str, text: str, **kw: object) -> StoryDoc:
    return StoryDoc(key=key, title=title, text=text, zi=len(text), **kw)  # type: ignore[arg-type]


def test_shingles_are_characters_in_chinese_and_words_in_english() -> None:
    assert shingles("星图三号", 3) == {"星 图 三", "图 三 号"}
    assert shingles("Northwind unveils the Zephyr chip", 3) == {
        "northwind unveils the", "unveils the zephyr", "the zephyr chip"}


def test_rewrite_is_the_same_story_and_look_alike_is_not() -> None:
    a, b = sketch("星河智能发布“星图3”", LAUNCH), sketch("推理价格再降六成", REWRITE)
    c = sketch("星河智能财报", EARNINGS)
    assert similarity(a, b).containment > 0.2
    assert similarity(a, c).containment < 0.08
    groups = group_stories([doc("https://a.cn/1", "星河智能发布“星图3”", LAUNCH),
                            doc("https://b.cn/2", "推理价格再降六成", REWRITE),
                            doc("https://a.cn/3", "星河智能财报", EARNINGS)])
    assert [g.members for g in groups] == [("https://a.cn/1", "https://b.cn/2"), ("https://a.cn/3",)]


def test_kept_article_does_not_depend_on_order_and_prefers_a_summarized_one() -> None:
    docs = [doc("https://b.cn/2", "t", REWRITE), doc("https://a.cn/1", "t", LAUNCH)]
    assert group_stories(docs) == group_stories(docs[::-1])
    assert group_stories(docs)[0].kept == "https://a.cn/1"  # the longer text
    summarized = [doc("https://b.cn/2", "t", REWRITE, summarized=True), doc("https://a.cn/1", "t", LAUNCH)]
    assert group_stories(summarized)[0].kept == "https://b.cn/2"  # no tokens spent again


def test_pair_scores_count_pairs() -> None:
    groups = group_stories([doc("a", "x", LAUNCH), doc("b", "y", REWRITE), doc("c", "z", EARNINGS)])
    assert pair_scores(groups, {"a": "s1", "b": "s1", "c": "s2"}) == (1.0, 1.0)
    assert pair_scores(groups, {"a": "s1", "b": "s2", "c": "s2"}) == (0.0, 0.0)


def test_duplicate_story_from_two_feeds_is_one_item_with_two_links(tmp_path: Path, site: SiteServer,
                                                                   fake_llm: FakeOpenAI) -> None:
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/dup-a.xml", "feeds/dup-b.xml"])
    args = ["digest", "--config", str(config), "--date", "2026-11-20"]
    # Stories stream: the first copy extracted is summarized at once, a later one is its duplicate. So the
    # rewrite's page is held until the original is with the model (otherwise which copy is kept is a race).
    def original_is_with_the_model() -> None:
        for _ in range(600):  # a safety net against hanging, not a speed check
            if any("星河智能发布千亿参数大模型" in r["messages"][1]["content"] for r in fake_llm.requests):
                return
            time.sleep(0.05)

    site.gates["/pages/dup-xinghe-b.html"] = original_is_with_the_model
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output

    # Three articles, two stories: the rewrite is never sent to the model.
    prompts = [r["messages"][1]["content"] for r in fake_llm.requests]
    assert len(prompts) == 2
    assert not any("推理价格再降六成" in p for p in prompts)
    assert "2 summarized" in result.stderr
    assert "dup-xinghe-b.html: same story as" in result.stderr

    draft = (tmp_path / "output" / "drafts" / "2026-11-20.md").read_text(encoding="utf-8")
    links = [line for line in draft.splitlines() if line.startswith("原文链接:")]
    kept, rewrite, look_alike = (site.url(f"pages/dup-xinghe-{n}.html") for n in ("a", "b", "earnings"))
    assert links.count(f"原文链接:[{kept}]({kept})") == 1
    assert links.count(f"原文链接:[{rewrite}]({rewrite})") == 1
    assert links.count(f"原文链接:[{look_alike}]({look_alike})") == 1  # the look-alike stays its own item
    assert len(links) == 3 and draft.count("\n### ") == 2
    item = next(part for part in draft.split("\n### ") if f"({kept})" in part)
    assert item.index(f"({kept})") < item.index(f"({rewrite})")  # both links under the kept item, kept first

    db = sqlite3.connect(tmp_path / "state" / "jiandu.db")
    rows = dict(db.execute("SELECT url, status || ':' || COALESCE(duplicate_of, '') FROM articles"))
    assert rows[rewrite] == f"duplicate:{kept}"
    assert rows[kept] == "summarized:" and rows[look_alike] == "summarized:"
    # Which extractor won is recorded: the rewrite's page hides half its text from trafilatura's default.
    methods = dict(db.execute("SELECT url, extract_method FROM articles").fetchall())
    assert methods == {kept: "page", rewrite: "page-readability", look_alike: "page-readability"}

    # A second run keeps the same grouping and asks the model nothing.
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0, again.output
    assert len(fake_llm.requests) == 2
    assert (tmp_path / "output" / "drafts" / "2026-11-20.md").read_text(encoding="utf-8") == draft


def test_a_later_copy_of_a_summarized_story_costs_no_tokens(tmp_path: Path, site: SiteServer,
                                                            fake_llm: FakeOpenAI) -> None:
    # Morning: only the rewrite is out, and it is summarized.
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/dup-b.xml"])
    args = ["digest", "--config", str(config), "--date", "2026-11-20"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    assert len(fake_llm.requests) == 1
    # Evening: the longer original arrives with a look-alike. The summarized rewrite stays the kept article.
    write_config(tmp_path, site, fake_llm, feeds=["feeds/dup-a.xml", "feeds/dup-b.xml"])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert len(fake_llm.requests) == 2  # only the look-alike
    assert "星河智能第三季度营收" in fake_llm.requests[-1]["messages"][1]["content"]
    original, rewrite = site.url("pages/dup-xinghe-a.html"), site.url("pages/dup-xinghe-b.html")
    assert f"dup-xinghe-a.html: same story as {rewrite}" in result.stderr
    draft = (tmp_path / "output" / "drafts" / "2026-11-20.md").read_text(encoding="utf-8")
    item = next(part for part in draft.split("\n### ") if f"({rewrite})" in part)
    assert f"({original})" in item and draft.count("\n### ") == 2


def test_edge_chip_and_xinghe_model_stay_two_stories() -> None:
    # Issue 13: 星衡科技's X3 chip and 星河智能's 星图3 model shared 0.162 containment (bar 0.15) and were
    # merged: whichever arrived second vanished from the digest. The chip article is six times longer.
    from summarizer.sources.extract import choose_text

    root = Path(__file__).resolve().parents[1]
    pages = {"01-edge-chip.html": (root / "examples" / "articles" / "01-edge-chip.html").read_bytes()}
    # The two 星河 pages are bench pages now, served by their test names (tests/support/fixtures.py).
    pages |= {name: fixture_bytes(f"pages/{name}") for name in ("dup-xinghe-a.html", "dup-xinghe-b.html")}
    docs = []
    for name, html in pages.items():
        got = choose_text(url=f"https://example.com/{name}", html=html, min_zi=0)
        docs.append(StoryDoc(key=name, title=got.title, text=got.text, zi=got.zi))
    groups = {frozenset(g.members) for g in group_stories(docs)}
    assert groups == {frozenset({"01-edge-chip.html"}), frozenset({"dup-xinghe-a.html", "dup-xinghe-b.html"})}


def test_site_disclaimer_and_a_long_transcript_do_not_make_a_story() -> None:
    from summarizer.trust.dedup import same_story

    disclaimer = ("免责声明：本文仅代表作者个人观点，与本网无关。其原创性以及文中陈述文字和内容未经本站证实，"
                  "对本文以及其中全部或者部分内容、文字的真实性、完整性、及时性本站不作任何保证或承诺。")
    panda = "成都大熊猫繁育研究基地的一对大熊猫将乘专机飞赴法国博瓦勒动物园，开展为期10年的繁育合作。\n" + disclaimer
    liquor = "茅台酒去年上涨了近50%，公款消费禁令被指难以阻止其年年涨价，业内人士认为效果有限。\n" + disclaimer
    assert not same_story(similarity(sketch("熊猫赴法", panda), sketch("茅台涨价", liquor)))


# Rewrites: another outlet tells the same event in its own words (few shared phrases), with the same names
# and figures, among other articles of the day. The look-alike is the same organisation, another story.
HOSPITAL_BILL = ("Harbor Mercy Hospital in Bridgeport sent a bill for $38.6 million to Dario "
                 "Velasquez, a 31-year-old warehouse clerk who spent four hours in its emergency room "
                 "with a sprained ankle. Velasquez said he almost fainted when he opened the envelope. "
                 "A hospital spokeswoman blamed a coding error in its new billing software and said a "
                 "corrected invoice of $1,240 had been mailed on Tuesday.")
BILL_REWRITE = ("A Connecticut man treated for a sprained ankle was told he owed Harbor Mercy $38.6 "
                "million. Dario Velasquez, 31, thought the letter was a prank until he phoned the "
                "billing office. The Bridgeport hospital has since apologised, blaming glitches after "
                "a software upgrade, and cut the charge to $1,240.")
NURSES_STRIKE = ("Nurses at Harbor Mercy Hospital in Bridgeport voted 412 to 37 to strike from March "
                 "3, saying night shifts have lost 20% of their staff since the hospital moved to new "
                 "scheduling software. A hospital spokeswoman said talks would continue and that "
                 "emergency care would not be affected.")
FUNDING = ("灵犀医疗今日宣布完成5亿元B轮融资，由远山资本领投，老股东青禾创投跟投。创始人苏望舒表示，资"
           "金将用于病理辅助诊断系统“镜台”的多中心临床试验，并在华东新建两个数据中心。灵犀医疗目前与86"
           "家三甲医院合作，累计分析病理切片超过300万张。首批试验将覆盖12个城市。")
FUNDING_REWRITE = ("专注病理影像的灵犀医疗拿到新一轮投资：远山资本牵头，青禾创投继续加注，金额为5亿元。"
                   "据苏望舒介绍，“镜台”接下来要在12个城市的医院做临床验证，两座数据中心也会落地华东。"
                   "截至目前，和灵犀医疗合作的医院共86家，处理过的切片已超300万张。业内人士认为，病理科"
                   "医生长期短缺，基层医院尤其明显，能读片的软件正成为资本追逐的方向。")
SCANNER = ("灵犀医疗发布新一代病理切片扫描仪“镜台S2”，单张切片扫描时间缩短到45秒，售价38万元。苏望舒称"
           "，扫描仪将先在12家合作医院试用，明年上半年批量供货。")
OTHER_EN = [
    ("Storm brings snow to the Midwest",
     "A winter storm dropped up to 14 inches of snow across Iowa and Illinois on Monday, closing schools "
     "and grounding hundreds of flights at Chicago's O'Hare airport."),
    ("Rovers beat United in cup replay",
     "Rovers won the cup replay 3-1 on Wednesday night, with striker Tom Ashby scoring twice before "
     "half-time in front of a crowd of 18,000."),
    ("Court blocks pipeline permit",
     "A federal judge blocked a permit for the 260-mile Cedar Ridge pipeline, ruling that regulators had "
     "not studied the risk to drinking water in two counties."),
    ("Chipmaker opens plant in Arizona",
     "Northwind Labs opened a $2 billion chip plant near Phoenix that will employ 1,500 people and make "
     "processors for cars and data centres from next year."),
    ("Study links sleep to memory",
     "Adults who slept less than six hours a night scored 15% lower on memory tests, according to a study "
     "of 2,300 volunteers published in a sleep research journal."),
]
OTHER_ZH = [
    ("寒潮南下 多地气温骤降",
     "受强冷空气影响，江南和华南大部地区气温将下降8到10摄氏度，气象台发布寒潮蓝色预警，"
     "提醒市民注意防寒保暖。"),
    ("国足热身赛两球取胜",
     "国家男子足球队在热身赛中以2比0战胜对手，两粒进球均来自下半场，主教练赛后表示球队的防守"
     "还需要加强。"),
    ("央行下调存款准备金率",
     "中国人民银行宣布下调金融机构存款准备金率0.25个百分点，预计释放长期资金约5000亿元，"
     "支持实体经济发展。"),
    ("高铁新线年底开通",
     "连接两座省会城市的高速铁路将于年底开通运营，全长420公里，设计时速350公里，沿线设站11座。"),
    ("博物馆推出夜间开放",
     "省博物馆从下月起每周五、周六延长开放至晚上九点，并推出夜间讲解和文创市集等活动，需提前在线预约。"),
]


def _en_day() -> list[StoryDoc]:
    return [doc("https://a.com/bill", "Hospital bills man $38.6 million for a sprained ankle", HOSPITAL_BILL),
            doc("https://b.com/bill", "Sprained ankle, $38.6m invoice: Bridgeport hospital says sorry",
                BILL_REWRITE),
            doc("https://a.com/strike", "Harbor Mercy nurses vote to strike", NURSES_STRIKE),
            *(doc(f"https://c.com/{i}", title, text) for i, (title, text) in enumerate(OTHER_EN))]


def _zh_day() -> list[StoryDoc]:
    return [doc("https://a.cn/fund", "灵犀医疗完成5亿元B轮融资", FUNDING),
            doc("https://b.cn/fund", "病理AI公司灵犀医疗获远山资本领投", FUNDING_REWRITE),
            doc("https://a.cn/scanner", "灵犀医疗发布病理扫描仪镜台S2", SCANNER),
            *(doc(f"https://c.cn/{i}", title, text) for i, (title, text) in enumerate(OTHER_ZH))]


def test_rewrite_with_the_same_names_and_figures_is_one_story_and_the_look_alike_is_not() -> None:
    from summarizer.trust.dedup import same_story
    from summarizer.trust.salience import Day

    for docs in (_en_day(), _zh_day()):
        original, rewrite, look_alike = docs[:3]
        sketches = {d.key: sketch(d.title, d.text) for d in docs}
        day = Day()
        for key, sk in sketches.items():
            day.add(key, sk.terms)
        shared = day.shared(original.key, rewrite.key)
        sim = similarity(sketches[original.key], sketches[rewrite.key], shared=shared)
        # Few shared phrases and unlike titles: the shingle and title rules alone keep the two apart ...
        assert sim.containment < DedupRules().containment and sim.title < DedupRules().title
        assert same_story(sim)  # ... the rare names and the figures they share make them one story
        groups = {frozenset(g.members) for g in group_stories(docs)}
        assert {original.key, rewrite.key} in groups and {look_alike.key} in groups
        assert len(groups) == len(docs) - 1


def test_rewrite_streams_into_the_story_of_the_original() -> None:
    index = StoryIndex()
    docs = _zh_day()
    for d in docs[3:] + docs[:3]:  # the day's other articles first, then original, rewrite, look-alike
        index.add(d.key, sketch(d.title, d.text))
    assert index.story_of(docs[1].key) == docs[0].key and index.story_of(docs[2].key) == docs[2].key


def test_two_articles_alone_merge_only_on_shared_phrases() -> None:
    # Without other articles every shared term is common (in both of the two): the rewrite signals stay low.
    from summarizer.trust.dedup import same_story

    docs = _en_day()
    original, rewrite = (sketch(d.title, d.text) for d in docs[:2])
    assert not same_story(similarity(original, rewrite))


def test_a_site_hot_news_list_does_not_make_two_of_its_articles_one_story() -> None:
    # Real 163 pages: extraction keeps the site's "热点新闻" list under each article (short lines, no full
    # stop); two different stories shared 0.17-0.63 of their shingles through it.
    from summarizer.trust.dedup import body, same_story
    from summarizer.trust.salience import normalize

    hot = "\n".join(["热点新闻", "- 推荐", "- 科技"] + [f"- {i}0{i}5{i}{t}" for i, t in enumerate(
        ["成龙参观张北草原天路当地下通知封路？官方回应", "女子喝醉后惨遭捡尸 酒吧门口竟有人常蹲守",
         "河南马戏团脱逃老虎到动物园时已死亡 死因待鉴定", "高校现天价热水1吨70元 校方已调整为1吨55元",
         "海尔员工被开除背后:规范上百条 有人代打卡被开除", "杭州又现巨响及振动 浙江地震局未监测到地震活动",
         "纽约著名地标华尔街铜牛被砸 引来更多关注", "国庆70周年庆祝活动首次联合演练",
         "四川内江市威远县发生5.4级地震",
         "毕业生考研被在校生指责占用教学资源"])])
    disclaimer = "网友评论仅供其表达个人看法，并不表明网易立场。"
    chips = f"{LAUNCH}\n{disclaimer}\n{hot}"
    police = ("四川江油一社区女民警开展实有人口核查，平均每天拨打100多个电话，被运营商以涉嫌诈骗为由停机。"
              f"\n{disclaimer}\n{hot}")
    assert body(chips) == normalize(LAUNCH)
    chips_sketch, police_sketch = sketch("星河智能发布星图3", chips), sketch("女警打百个电话遭停机", police)
    assert not same_story(similarity(chips_sketch, police_sketch))


def test_a_traditional_mirror_is_a_copy() -> None:
    from hanziconv import HanziConv

    mirror = sketch("星河智能發佈“星圖3”", HanziConv.toTraditional(LAUNCH))
    assert similarity(sketch("星河智能发布“星图3”", LAUNCH), mirror).containment > 0.9


def test_day_keeps_its_sums_as_articles_arrive() -> None:
    # The incremental sums (per article, updated through the postings) equal a direct computation.
    import math

    from summarizer.trust.salience import Day, Shared

    docs = _en_day() + _zh_day()
    weights = {d.key: sketch(d.title, d.text).terms for d in docs}
    day = Day()
    for key, w in weights.items():
        day.add(key, w)
    df = {t: sum(1 for w in weights.values() if t in w) for w in weights.values() for t in w}
    idf = {t: math.log((len(docs) + 1) / (n + 0.5)) for t, n in df.items()}

    def direct(a: str, b: str) -> tuple[float, float]:
        wa, wb = weights[a], weights[b]
        norm = {k: math.sqrt(sum((x * idf[t]) ** 2 for t, x in weights[k].items())) for k in (a, b)}
        dot = sum(wa[t] * wb[t] * idf[t] ** 2 for t in wa.keys() & wb.keys())
        mass = min(sum(idf[t] for t in weights[k]) for k in (a, b))
        return dot / (norm[a] * norm[b]), sum(idf[t] for t in wa.keys() & wb.keys()) / mass

    everyone = day.shared_with_all(docs[0].key)
    for other in docs[1:]:
        got = day.shared(docs[0].key, other.key)
        want = direct(docs[0].key, other.key)
        assert math.isclose(got.cosine, want[0], abs_tol=1e-9)
        assert math.isclose(got.containment, want[1], abs_tol=1e-9)
        streamed = everyone.get(other.key, Shared())  # no term in common: nothing shared
        assert math.isclose(streamed.cosine, got.cosine, abs_tol=1e-9)
        assert math.isclose(streamed.containment, got.containment, abs_tol=1e-9)
