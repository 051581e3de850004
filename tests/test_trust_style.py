"""Trust flags block publishing; style notes never do; messages quote the bullet's own words; the local
grammar writes Latin only as the source's names; the model reads each English magnitude in Chinese."""

import re

from summarizer.trust.checks import CheckRules, Source, check_summary
from summarizer.config import DEFAULT_SECTIONS
from summarizer.items import Problem, ReviewItem
from summarizer.model.llm import Endpoint, LLMClient
from summarizer.model.summarize import Article, Rules, Summarizer
from summarizer.model.replies import fit_headline
from summarizer.text import count_zi, text_hash

RULES = Rules(sections=tuple(s.name for s in DEFAULT_SECTIONS))
SOURCE_ZH = "图书馆扫描了2.6万张书页，约8%的书页虫蛀严重，修复团队用了整整三年时间才完成这一项工作。"


def test_a_copy_note_quotes_the_bullet_as_written_not_a_normalised_form() -> None:
    source = Source.of("图书馆整理古籍", SOURCE_ZH)
    bullet = "据介绍，图书馆扫描了2.6万张书页，约8%的书页虫蛀严重，修复团队用了整整三年时间才完成。"
    result = check_summary("图书馆整理古籍", [bullet, "二。", "三。"], [], source, CheckRules(copy_max_chars=12))
    copy = next(p for p in result.problems if p.kind == "copy")
    assert copy.term is not None and copy.term in bullet and "2.6万张" in copy.term
    assert not copy.trust and copy.message in result.notes and copy.message not in result.trust_flags


def test_style_notes_never_block_and_trust_flags_do() -> None:
    note = Problem("copy", "第1条要点：照抄了原文的长句（“……”），请改写", 1, "……")
    flag = Problem("number", "第1条要点：数字“30亿”在原文中找不到", 1, "30亿")
    item = ReviewItem(canonical_url="u", headline="标题", emoji="📰", section="其他", bullets=["a", "b", "c"],
                      importance=5, links=["u"], source="s", source_title="t", source_zi=100, flags=[note, flag])
    assert item.unresolved == [flag] and item.notes == [note]
    data = item.to_json()
    assert data["flags"] == [flag.message] and data["notes"] == [note.message]


def _local() -> Summarizer:
    client = LLMClient(Endpoint("m", "http://127.0.0.1:9/v1", "local"), max_retries=0)
    return Summarizer(client, rules=RULES, sections=DEFAULT_SECTIONS, token_budget=2000, length_constraints=True)


TEXT = ("Kestrel Compute released Tern, a 7B model on AWS, after raising $310 million. However, the runway is "
        "short, analysts said, and Tern trails GPT-4o on most tests. ") * 3


def test_the_local_grammar_writes_latin_only_as_the_sources_names() -> None:
    schema = _local().schema_for(Source.of("Kestrel Compute releases Tern", TEXT))
    pattern = schema["properties"]["bullets"]["items"]["pattern"]
    good = "公司Kestrel Compute发布" + "了" * 30 + "Tern模型，运行在AWS上，参数70亿，" + "落后于GPT-4o。" + "字" * 20
    assert re.fullmatch(pattern, good)
    assert not re.fullmatch(pattern, good.replace("落后于", "runway落后于"))
    assert not re.fullmatch(pattern, good.replace("AWS", "Aws"))  # no camel-casing round it
    assert "runway" not in pattern and "However" not in pattern


def test_a_hosted_model_gets_no_grammar_and_the_local_one_reads_magnitudes_in_chinese() -> None:
    client = LLMClient(Endpoint("m", "http://127.0.0.1:9/v1", "k"), max_retries=0)
    hosted = Summarizer(client, rules=RULES, sections=DEFAULT_SECTIONS, token_budget=2000)
    source = Source.of("t", TEXT)
    assert hosted.schema_for(source) is hosted.schema
    article = Article(url="u", canonical_url="u", title="Kestrel Compute releases Tern", source="s",
                      published=None, text=TEXT, zi=100, text_hash=text_hash(TEXT))
    for summarizer in (hosted, _local()):
        user = summarizer.messages(article)[0][1]["content"]
        assert "$310 million（3.1亿美元）" in user and "7B（70亿）" in user


def test_two_source_words_cannot_be_glued_into_a_new_one() -> None:
    source = Source.of("IP and iPad", "The IP rules cover the IPAD line. " * 5)
    pattern = _local().schema_for(source)["properties"]["bullets"]["items"]["pattern"]
    good = "公司" + "的" * 50 + "IPAD产品线与IP规则" + "字" * 10
    assert re.fullmatch(pattern, good)
    assert not re.fullmatch(pattern, good.replace("IPAD产品", "IPIPAD产品"))
    headline = _local().schema_for(source)["properties"]["headline"]["pattern"]
    assert re.fullmatch(headline, "IPAD新规发布") and not re.fullmatch(headline, "IPIPAD新规发布")


def test_a_headline_keeps_a_spaced_price_whole() -> None:
    headline = _local().schema_for(Source.of("t", "priced at 6999 yuan"))["properties"]["headline"]["pattern"]
    assert re.fullmatch(headline, "澄光智能发布家用陪护机器人“小澄”，售价 6999 元")


def test_the_local_grammar_writes_longer_figures_only_as_the_sources() -> None:
    source = Source.of("Kestrel Compute releases Tern", TEXT + " It has 2,000 users and 12 staff.")
    pattern = _local().schema_for(source)["properties"]["bullets"]["items"]["pattern"]
    good = "公司Kestrel Compute发布" + "了" * 30 + "Tern模型，融资3.1亿美元，用户2000名，" + "员工12人。" + "字" * 20
    assert re.fullmatch(pattern, good)
    assert re.fullmatch(pattern, good.replace("2000名", "2,000名"))
    assert not re.fullmatch(pattern, good.replace("2000名", "2023名"))  # no such figure in the source
    assert not re.fullmatch(pattern, good.replace("2000名", "50000000000名"))
    assert not re.fullmatch(pattern, good.replace("2000名", "20002000名"))  # two figures glued
    assert not re.fullmatch(pattern, good.replace("员工12人", "员工50人"))
    # Small figures too: free digits up to 31 let the 1.5B model write "8" and "3" no source had.
    assert not re.fullmatch(pattern, good.replace("员工12人", "员工31人"))
    assert not re.fullmatch(pattern, good.replace("员工12人", "员工8人"))
    assert re.fullmatch(pattern, good.replace("员工12人", "模型7B"))  # the source's "7B", a name
    # How it looped on the demo's laptop article: "甚至14.  甚至16.  甚至14.  …".
    assert not re.fullmatch(pattern, good.replace("员工12人", "员工12.  人"))
    assert re.fullmatch(pattern, good.replace("员工12人", "员工12 人"))  # as Chinese sources space them
    assert re.fullmatch(pattern, good.replace("员工12人", "员工12。人")) and re.fullmatch(pattern, good)
    headline = _local().schema_for(source)["properties"]["headline"]["pattern"]
    assert re.fullmatch(headline, "Tern融资3.1亿美元") and not re.fullmatch(headline, "Tern融资2023年")


def test_a_figure_and_its_unit_are_written_as_the_source_writes_them() -> None:
    # On the demo's laptop article the 1.5B model wrote "14_GB" and "4.3_GB": after a figure the grammar
    # allowed no space, but allowed "_".
    source = Source.of("t", TEXT + " The laptop has 14 GB of memory and 4.3 GB free. ")
    pattern = _local().schema_for(source)["properties"]["bullets"]["items"]["pattern"]
    good = "公司Kestrel Compute发布" + "了" * 30 + "Tern模型，内存从14 GB降到4.3 GB，" + "落后于GPT-4o。" + "字" * 20
    assert re.fullmatch(pattern, good)
    assert re.fullmatch(pattern, good.replace("4.3 GB，", "4.3 GB"))  # a unit straight before Chinese
    for wrong in ("14_GB", "14 runway", "14 4.3", "14  GB"):
        assert not re.fullmatch(pattern, good.replace("14 GB", wrong)), wrong
    headline = _local().schema_for(source)["properties"]["headline"]["pattern"]
    assert re.fullmatch(headline, "Tern把内存从14 GB降到4.3 GB") and not re.fullmatch(headline, "内存14_GB降到4.3_GB")


def test_a_figure_takes_wan_or_yi_only_as_a_source_magnitude() -> None:
    # On the demo's laptop article the 1.5B model wrote "14亿" and "4.3亿" for "14 GB" and "4.3 GB".
    source = Source.of("t", TEXT + " The laptop has 14 GB of memory, 4.3 GB free, and 40K users. "
                       "一千二百万 readers.")
    pattern = _local().schema_for(source)["properties"]["bullets"]["items"]["pattern"]
    good = "公司Kestrel Compute发布" + "了" * 30 + "Tern模型，融资3.1亿美元，内存14吉字节，" + "用户4万名。" + "字" * 20
    assert re.fullmatch(pattern, good)
    for wrong in ("14亿", "14 亿", "14万", "14千", "14百", "4.3亿", "310亿", "40万", "3.1万"):
        assert not re.fullmatch(pattern, good.replace("14吉", wrong)), wrong
    assert re.fullmatch(pattern, good.replace("14吉字节", "1200万读者"))  # 一千二百万 in figures
    assert re.fullmatch(pattern, good.replace("14吉", "14，吉"))  # a mark between: no magnitude
    headline = _local().schema_for(source)["properties"]["headline"]["pattern"]
    assert re.fullmatch(headline, "Tern融资3.1亿美元") and not re.fullmatch(headline, "Tern融资14亿美元")
    # A Chinese source's own magnitudes stay writable.
    zh = Source.of("t", "该公司营收3.5万元，用户14 亿人。" * 3)
    pattern = _local().schema_for(zh)["properties"]["bullets"]["items"]["pattern"]
    assert re.fullmatch(pattern, "公司" + "的" * 40 + "营收3.5万元，用户14亿人" + "字" * 10)
    assert re.fullmatch(pattern, "公司" + "的" * 40 + "营收3.5万元，用户14 亿人" + "字" * 10)
    assert not re.fullmatch(pattern, "公司" + "的" * 40 + "营收3.5亿元，用户14万人" + "字" * 10)


def test_between_chinese_characters_only_marks_and_source_words() -> None:
    # The 1.5B model ended a bullet "黎永فن，，，，，，，": Arabic letters and a row of commas.
    source = Source.of("t", SOURCE_ZH)
    pattern = _local().schema_for(source)["properties"]["bullets"]["items"]["pattern"]
    good = "图书馆扫描了2.6万张书页，约8%的书页“虫蛀”严重——" + "修" * 60 + "。"
    assert re.fullmatch(pattern, good)
    assert not re.fullmatch(pattern, good[:-1] + "黎永فن。")
    assert not re.fullmatch(pattern, good[:-1] + "，，，，，，，")
    assert not re.fullmatch(pattern, good.replace("约8%", "约8%（8%）（8%）"))  # how it looped on the demo


def test_a_local_headline_one_power_of_ten_off_is_written_in_the_sources_form(fake_llm) -> None:
    # Seen on a real page: the headline said 45万英镑 for "£45,000".
    import asyncio
    import json

    from servers import Reply

    text = ("The clinic was fined £45,000 by the regulator on Monday after an inspection of its implants. " * 4
            + "It said it would appeal the fine and keep treating patients at its three sites. " * 4)
    article = Article(url="http://127.0.0.1/a", canonical_url="http://127.0.0.1/a", title="Clinic fined £45,000",
                      source="s", published=None, text=text, zi=300, text_hash=text_hash(text))
    bullet = "监管机构在一次检查之后对这家诊所处以罚款，诊所表示将会提出上诉，并且会继续在其三个院区为患者提供治疗服务。"
    reply = {"bullets": [bullet, bullet + "此外还有更多说明。", "诊所" + bullet], "headline": "诊所被罚45万英镑、",
             "emoji": "💷", "section": "产业资讯", "importance": 5}
    fake_llm.push(Reply(json.dumps(reply, ensure_ascii=False)))
    client = LLMClient(Endpoint("m", fake_llm.base_url, "local"), max_retries=0)
    summarizer = Summarizer(client, rules=RULES, sections=DEFAULT_SECTIONS, token_budget=2000,
                            length_constraints=True)
    result = asyncio.run(summarizer.summarize(article))
    assert result.summary.headline == "诊所被罚4.5万英镑"  # and the mark it was cut off after is gone
    assert not [p for p in result.check.problems if p.kind == "magnitude"]


def test_a_local_headline_keeps_room_for_names_and_figures() -> None:
    headline = _local().schema_for(Source.of("t", SOURCE_ZH))["properties"]["headline"]["pattern"]
    assert re.fullmatch(headline, "图" * 35) and not re.fullmatch(headline, "图" * 36)


def test_a_figure_cannot_loop_on_spaces() -> None:
    # The 1.5B model wrote "每秒 60 个 60  60  60  60  60…" until max_tokens cut the reply off.
    source = Source.of("t", "It runs 60 tokens a second on a 6 nm chip with 16GB. " * 3)
    pattern = _local().schema_for(source)["properties"]["bullets"]["items"]["pattern"]
    good = "芯片采用 6 纳米工艺，集成 16GB 内存，运行时每秒可超过 60 个，" + "快" * 50 + "。"
    assert re.fullmatch(pattern, good)
    assert re.fullmatch(pattern, good.replace("60 个", "16GB、60%～6%，共 60 个"))
    assert not re.fullmatch(pattern, good.replace("60 个", "60 个 60  60  60  60个"))
    assert not re.fullmatch(pattern, good.replace("60 个", "6.3 个"))  # no decimal the source lacks
    assert not re.fullmatch(pattern, good.replace("60 个", "6,060 个"))


def test_the_jargon_the_checks_allow_the_grammar_writes() -> None:
    # Denied "token", the 1.5B model wrote "每秒 60 个 个 个 个…" on the demo's chip article.
    source = Source.of("t", "It generates 60 tokens a second on a 6 nm chip. " * 3)
    pattern = _local().schema_for(source)["properties"]["bullets"]["items"]["pattern"]
    good = "芯片采用 6 纳米工艺，运行时每秒可生成 60 个token，" + "快" * 50 + "。"
    assert re.fullmatch(pattern, good) and re.fullmatch(pattern, good.replace("token", "tokens"))
    assert not re.fullmatch(pattern, good.replace("token", "words"))
    assert "token" not in Source.of("t", SOURCE_ZH).writable


def test_a_local_headline_too_long_with_latin_names_is_cut_at_a_clause(fake_llm) -> None:
    # A real page lost its item: the grammar counts Chinese characters only, and a headline with many Latin
    # names ran to 50 字, refused three times.
    import asyncio
    import json

    from servers import Reply

    text = ("Kestrel Compute and Granite Peak Ventures signed a deal with Harborline Capital on Tern. " * 6)
    article = Article(url="http://127.0.0.1/b", canonical_url="http://127.0.0.1/b", title="Kestrel deal",
                      source="s", published=None, text=text, zi=300, text_hash=text_hash(text))
    bullet = "两家公司在周一签署了一项合作协议，双方将共同开发新的模型产品，并且计划在明年年初之前正式向客户推出相关服务。"
    head = "Kestrel Compute与Granite Peak Ventures和Harborline Capital签约合作开发新一代Tern企业模型"
    long = head + "，双方将在明年之前共同推出面向企业客户的全新模型服务产品"
    reply = {"bullets": [bullet, bullet + "此外还有更多说明。", "双方" + bullet], "headline": long,
             "emoji": "🤝", "section": "产业资讯", "importance": 5}
    assert count_zi(long) > RULES.headline_max >= count_zi(head)
    fake_llm.push(Reply(json.dumps(reply, ensure_ascii=False)))
    client = LLMClient(Endpoint("m", fake_llm.base_url, "local"), max_retries=0)
    summarizer = Summarizer(client, rules=RULES, sections=DEFAULT_SECTIONS, token_budget=2000,
                            length_constraints=True)
    result = asyncio.run(summarizer.summarize(article))
    assert [a.error for a in result.attempts] == [None], [a.raw[:300] for a in result.attempts]
    assert result.summary.headline == head and len(fake_llm.requests) == 1  # no re-ask, no item lost
    assert fit_headline("not json", 40) == "not json"
