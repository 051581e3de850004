"""The trust checks on their own: each one catches its planted fault and passes the faithful summary."""

from decimal import Decimal

import pytest

from summarizer.trust.checks import (
    CheckRules,
    Source,
    Tally,
    check_summary,
    copied_span,
    headline_faithful,
    latin_names,
    numbers,
    quote_position,
    similarity,
    squash,
    supported_number,
)

RULES = CheckRules()
TITLE = "澄光智能发布家用陪护机器人“小澄”，售价 6999 元"
TEXT = (
    "11月19日，苏州机器人公司澄光智能发布首款家用陪护机器人“小澄”，主要面向独居老人和双职工家庭。"
    "澄光智能创始人何意安介绍，小澄内置一个 30 亿参数的对话模型，能够听懂普通话和 4 种方言。\n"
    "在公司内部 2,000 次模拟测试中识别准确率为 97.5%，误报率约为每周 0.3 次。机器人充满电后可连续工作 14 小时。"
    "合作方 Northwind Robotics 提供底盘，芯片来自 Helix-9 系列。\n"
    "行业研究机构估计，国内家用陪护机器人市场 2026 年规模约为 35 亿元。小澄标准版售价 6999 元，将于 12 月 1 日开售，"
    "首批备货 1 万台。"
)
SOURCE = Source.of(TITLE, TEXT)
BULLETS = [
    "苏州公司澄光智能在11月19日发布首款家用陪护机器人小澄，面向独居老人与双职工家庭，内置三十亿参数的对话模型，可听懂普通话和四种方言。",
    "内部两千次模拟测试显示摔倒识别准确率达到97.5%，误报约每周0.3次；底盘由Northwind Robotics提供，芯片采用Helix-9系列，续航14小时。",
    "研究机构估计该市场二〇二六年规模约三十五亿元；小澄标准版定价6999元，12月1日开售，首批备货一万台，后续还有升级版本计划推出。",
]
QUOTES = ["澄光智能发布首款家用陪护机器人", "识别准确率为 97.5%", "小澄标准版售价 6999 元"]
HEADLINE = "澄光智能发布陪护机器人小澄，售价6999元"


def run(**changes: object):
    values = {"headline": HEADLINE, "bullets": BULLETS, "quotes": QUOTES, **changes}
    return check_summary(values["headline"], values["bullets"], values["quotes"], SOURCE, RULES)  # type: ignore[arg-type]


def test_faithful_summary_has_no_problem_and_quotes_cover_all_thirds() -> None:
    result = run()
    assert result.problems == []
    assert (result.quotes_found, result.quotes_total) == (3, 3)
    assert result.thirds == [0, 1, 2] and result.full_coverage


@pytest.mark.parametrize("claim, source", [
    ("200亿美元", "a $20 billion deal"),
    ("20 billion", "投资200亿美元"),
    ("百分之四十二", "up 42%"),
    ("42%", "增长百分之四十二"),
    ("一亿五千万", "150 million users"),
    ("3.5万", "35,000 units"),
    ("1.2亿", "revenue of 123 million"),  # rounded to the claim's precision
    ("三十个", "thirty chips"),
    ("11月20日", "on Nov. 20, 2026"),
    ("第三季度", "in the third quarter"),
    ("二〇二六年", "in 2026"),
    ("4K", "4K screens"),
])
def test_numbers_match_across_units_and_scripts(claim: str, source: str) -> None:
    values = Source.of("", source).values
    assert numbers(claim) or claim == "第三季度"  # an ordinal in Chinese is a word, not a figure to check
    assert all(supported_number(n, values) for n in numbers(claim)), (claim, [n.value for n in numbers(claim)])


def test_words_that_look_like_numerals_are_not_numbers() -> None:
    assert numbers("十分重要，万一失败，第一部分，统一标准，两三个") == []
    assert [n.value for n in numbers("六千九百九十九元")] == [Decimal(6999)]


def test_wrong_number_is_caught() -> None:
    wrong = BULLETS[1].replace("97.5%", "99.5%")
    result = run(bullets=[BULLETS[0], wrong, BULLETS[2]])
    assert [p.text for p in result.problems] == ["第2条要点：数字“99.5%”在原文中找不到"]
    assert result.unsupported_claims == 1 and result.problems[0].bullet == 2


def test_wrong_scale_is_caught() -> None:
    values = Source.of("", "a $20 billion deal").values
    assert not supported_number(numbers("20亿美元")[0], values)


def test_foreign_name_not_in_source_is_caught() -> None:
    bullet = BULLETS[0].replace("澄光智能", "Anthropic")
    result = run(bullets=[bullet, BULLETS[1], BULLETS[2]])
    assert "第1条要点：名称“Anthropic”在原文中找不到" in result.flags
    assert result.unsupported_claims == 1


def test_generic_latin_words_and_configured_terms_need_no_grounding() -> None:
    assert latin_names("AI芯片与GPU，CEO表示") == []
    assert latin_names("Acme用上了Qwen", allowed=["qwen"]) == ["Acme"]
    assert Source.of("", "Open AI and GPT-4o").has_name("GPT")


def test_fake_quote_is_caught_and_whitespace_punctuation_do_not_matter() -> None:
    assert quote_position("识别 准确率为97.5 %", SOURCE, RULES) is not None
    result = run(quotes=[QUOTES[0], "摔倒识别准确率高达百分之百", QUOTES[2]])
    assert result.flags == ["第2条要点：引文“摔倒识别准确率高达百分之百”在原文中找不到"]
    assert result.quotes_found == 2 and result.thirds == [0, 2] and not result.full_coverage


def test_missing_and_trivial_quotes_are_problems() -> None:
    result = run(quotes=[QUOTES[0], "小澄"])
    assert {p.kind for p in result.problems} == {"quote"}
    assert len(result.problems) == 2  # too short to prove anything, and missing


def test_repeated_bullet_is_caught_even_when_not_identical() -> None:
    near = BULLETS[0].replace("首款", "第一款").replace("。", "！")
    assert similarity(BULLETS[0], near) > RULES.duplicate_similarity
    result = run(bullets=[BULLETS[0], near, BULLETS[2]])
    assert result.flags == ["第2条要点：与第1条要点内容重复"]


def test_copied_long_sentence_is_caught_with_a_configurable_length() -> None:
    copied = "行业研究机构估计，国内家用陪护机器人市场 2026 年规模约为 35 亿元。" + BULLETS[2]
    result = run(bullets=[BULLETS[0], BULLETS[1], copied])
    assert [p.kind for p in result.problems] == ["copy"]
    assert copied_span(copied, SOURCE, 60) is None  # a longer limit lets it through


def test_headline_off_subject_is_caught() -> None:
    assert headline_faithful(HEADLINE, SOURCE, RULES)
    result = run(headline="中程人工智能初学教程")
    assert [p.kind for p in result.problems] == ["headline"]
    english = Source.of("Midjourney v6 lands with better hands", "Midjourney released version 6 today.")
    assert headline_faithful("Midjourney第6版发布", english, RULES)
    assert not headline_faithful("中程AI初学教程", english, RULES)


def test_an_english_title_in_title_case_names_no_subject() -> None:
    # Every word of "Biotech Firms Battle Over Same Day Genomes" is capitalised; the headline names the
    # company of the lead, and one with no name at all has nothing it could be missing.
    forbes = Source.of("Biotech Firms Battle Over Same Day Genomes - Forbes",
                       "Illumina, the leading maker of DNA sequencers, will launch a new machine. " * 3)
    assert headline_faithful("Illumina宣布推出新的DNA测序仪", forbes, RULES)
    implants = Source.of("Cosmetic surgery firms refuse to take out 'toxic' implants",
                         "The biggest cosmetic surgery firms refused to remove PIP implants. " * 3)
    assert headline_faithful("英国美容手术公司拒绝取出有毒植入物", implants, RULES)
    assert not headline_faithful("Tesla发布新车", forbes, RULES)


def test_squash_and_tally() -> None:
    assert squash("Ａ 1，b。") == "a1b"
    tally = Tally()
    tally.add(run())
    tally.add(run(bullets=[BULLETS[0].replace("澄光智能", "Anthropic"), *BULLETS[1:]]))
    assert (tally.items, tally.flagged_items, tally.unsupported_claims, tally.full_coverage_items) == (2, 1, 1, 2)
    copied = "行业研究机构估计，国内家用陪护机器人市场 2026 年规模约为 35 亿元。" + BULLETS[2]
    noted = run(bullets=[BULLETS[0], BULLETS[1], copied])
    assert [p.kind for p in noted.problems] == ["copy"]
    tally.add(noted)  # a style note alone is not a flagged item (the run report counted it as one)
    assert (tally.items, tally.flagged_items) == (3, 1)


def test_single_chinese_digits_count_in_dates_and_in_source_counts_only() -> None:
    assert [n.value for n in numbers("三月五日")] == [Decimal(3), Decimal(5)]
    assert numbers("一家公司发布了两款产品") == []  # a summary's 一家 needs no "1" in the source
    values = Source.of("", "共收到投诉九起，两家公司").values
    assert all(supported_number(n, values) for n in numbers("9起投诉，2家公司"))
    assert not any(supported_number(n, values) for n in numbers("8起投诉"))


def test_chinese_numerals_round_to_their_last_place() -> None:
    values = Source.of("", "共召回 21,430 辆").values
    assert supported_number(numbers("约两万辆")[0], values)
    assert not supported_number(numbers("约三万辆")[0], values)
    assert [n.value for n in numbers("十月十日")] == [Decimal(10), Decimal(10)]


def test_traditional_source_matches_a_simplified_summary() -> None:
    source = Source.of("映川科技發布新一代機器人", "映川科技今日發布新一代倉儲機器人，融資 3 億元，售價為兩萬元。")
    assert all(supported_number(n, source.values) for n in numbers("融资3亿元，售价2万元"))
    assert quote_position("映川科技今日發布新一代倉儲機器人", source, RULES) is not None
    assert quote_position("映川科技今日发布新一代仓储机器人", source, RULES) is not None
    assert headline_faithful("映川科技发布新一代仓储机器人", source, RULES)


def test_without_quotes_each_bullet_is_aligned_to_the_source_sentence_it_rests_on() -> None:
    result = run(quotes=[])
    assert result.problems == []  # no quote asked, so none can be missing
    assert (result.quotes_found, result.quotes_total) == (3, 3) and result.thirds == [0, 1, 2]
    assert "澄光智能发布首款家用陪护机器人" in result.evidence[0].sentence
    assert "97.5%" in result.evidence[1].sentence
    assert "6999" in result.evidence[2].sentence
    assert result.as_dict()["evidence"] == [e.sentence for e in result.evidence]


def test_alignment_crosses_languages_by_figures_and_names() -> None:
    source = Source.of("Northwind raises money", (
        "The weather was mild in Boston on Monday. "
        "Northwind Robotics said it raised $20 billion from Granite Peak Ventures. "
        "It plans to hire 300 engineers next year."))
    bullets = ["机器人公司Northwind Robotics宣布从Granite Peak Ventures融资200亿美元，用于扩大生产。",
               "公司计划明年招聘300名工程师。", "天气很好。"]
    evidence = check_summary("Northwind融资200亿美元", bullets, [], source, RULES).evidence
    assert evidence[0] is not None and "Granite Peak" in evidence[0].sentence
    assert evidence[1] is not None and "300 engineers" in evidence[1].sentence
    assert evidence[2] is None  # shares no figure, name or word with any sentence: no evidence claimed
