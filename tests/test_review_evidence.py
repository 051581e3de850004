"""Marking flagged terms and placing quotes: pure functions, on the texts the review page met in a browser."""

from markupsafe import Markup

from summarizer.items import Problem
from summarizer.review.evidence import (
    evidence,
    flag_target,
    flagged_terms,
    locate,
    mark,
    source_html,
    terms_for,
)


def test_a_mark_never_lands_inside_an_escaped_entity() -> None:
    # Before: escaping first, then replacing "3" marked the 3 of &#39; and showed "Larkspur&#39;s".
    shown = mark("Larkspur's \"3\" <b> 3", ["3"])
    assert shown == Markup("Larkspur&#39;s &#34;<mark>3</mark>&#34; &lt;b&gt; <mark>3</mark>")
    assert mark("a & b", ["amp"]) == Markup("a &amp; b")
    assert mark("<mark>", ["mark"]) == Markup("&lt;<mark>mark</mark>&gt;")


def test_numbers_match_whole_numbers_only() -> None:
    assert mark("340 人、3.5 亿、3,000 台、30% 与 3 家", ["3"]) == Markup(
        "340 人、3.5 亿、3,000 台、30% 与 <mark>3</mark> 家")
    assert mark("融资3亿元，估值13亿元", ["3亿元"]) == Markup("融资<mark>3亿元</mark>，估值13亿元")
    assert mark("第3。", ["3"]) == Markup("第<mark>3</mark>。")  # a full stop after a number is not a decimal
    assert mark("OpenAI 与 AI", ["AI"]) == Markup("OpenAI 与 <mark>AI</mark>")
    assert mark("GPT-4o 和 GPT", ["GPT-4o"]) == Markup("<mark>GPT-4o</mark> 和 GPT")


def test_terms_come_from_each_problems_term_by_bullet() -> None:
    flags = [Problem("number", "标题：数字“42%”在原文中找不到", None, "42%"),
             Problem("name", "第2条要点：名称“Larkspur”在原文中找不到", 2, "Larkspur"),
             Problem("quote", "第3条要点：引文“这是一段引文”在原文中找不到", 3, "这是一段引文"),
             Problem("copy", "第1条要点：照抄了原文的长句（“澄光智能发布”…），请改写", 1, "澄光智能发布…"),
             Problem("number", "第1条要点：数字“, ”在原文中找不到", 1, ", "),
             Problem("flag", "金额“3 亿元”与原文表述不一致", None, "3 亿元")]  # from elsewhere: whole item
    terms = flagged_terms(flags)
    assert terms == {0: ["42%"], 2: ["Larkspur"], None: ["3 亿元"]}  # no quote, no copy, no bare ", "
    # A flag line from a review row written before problems were structured: its wording is not parsed.
    assert flagged_terms([Problem.from_dict("第2条要点：名称“Larkspur”在原文中找不到")]) == {}
    assert terms_for(terms, 2) == ["Larkspur", "3 亿元"]
    assert terms_for(terms, 1) == ["3 亿元"]
    assert sorted(terms_for(terms, None)) == sorted(["42%", "Larkspur", "3 亿元"])
    assert [flag_target(f) for f in flags[:3]] == [0, 2, 3] and flag_target(flags[5]) is None


def test_a_quote_is_found_as_the_trust_check_finds_it_and_placed_in_the_original_text() -> None:
    text = "第一段。\n澄光智能发布家用陪护机器人“小澄”，售价 4999 元。\n第三段说 GPT-4o 的事。"
    span = locate("澄光智能发布家用陪护机器人小澄，售价4999", text)
    assert span is not None and text[span[0]:span[1]] == "澄光智能发布家用陪护机器人“小澄”，售价 4999"
    assert locate("gpt 4O", text) is not None  # case, spaces and punctuation aside, as checks.squash compares
    assert locate("不在原文里的话", text) is None
    assert locate("發布家用", "澄光智能发布家用陪护") is not None  # traditional folded to simplified


def test_the_source_places_each_quote_with_an_id_and_escapes_the_rest() -> None:
    text = "<p>开头 3 个</p> 引文在这里 结尾"
    found = evidence(["引文在这里", "", "找不到的"], text)
    assert [e.span is not None for e in found] == [True, False, False]
    html = source_html(text, found, ["3"], item_id=7)
    assert html == Markup('&lt;p&gt;开头 <mark>3</mark> 个&lt;/p&gt; '
                          '<span class="quote" id="q-7-1" tabindex="-1">引文在这里</span> 结尾')


def test_a_summary_without_quotes_shows_the_sentences_alignment_found(tmp_path) -> None:
    # The local model is asked for no quotes; its evidence is aligned and stored with the checks. Before,
    # CheckResult.from_dict dropped it and the review page showed no evidence for any local summary.
    from summarizer.items import CheckedSummary, CheckResult, Summary
    from summarizer.items import Evidence as Aligned
    from summarizer.review.evidence import stored_quotes
    from summarizer.store import Store

    summary = Summary.model_construct(quotes=[], bullets=["甲", "乙", "丙"], headline="标题", emoji="🚀",
                                      section="其他", importance=3)
    check = CheckResult(evidence=[Aligned("第一句在这里。", 0.1), None, Aligned("第三句在这里。", 0.9)])
    with Store(tmp_path / "j.db") as store:
        store.save_summary(canonical_url="u", text_hash="t", prompt_hash="p", model="local:m",
                           data=CheckedSummary(summary, check), input_tokens=1, output_tokens=1, seconds=0.1,
                           attempts=1)
        assert stored_quotes(store, "u", "标题", ["甲", "乙", "丙"]) == ["第一句在这里。", "", "第三句在这里。"]
        loaded = store.summary("u", "t", "p", "local:m")
    assert loaded is not None
    assert [e.sentence if e else None for e in loaded.check.evidence] == ["第一句在这里。", None, "第三句在这里。"]
