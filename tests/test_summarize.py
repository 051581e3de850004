import asyncio
import json
import re
from pathlib import Path
from dataclasses import replace

import pytest
from servers import BULLETS, FakeOpenAI, Reply, canned_summary

from summarizer.config import DEFAULT_SECTIONS, Section
from summarizer.errors import LLMError, SummaryInvalid
from summarizer.model.llm import Endpoint, LLMClient
from summarizer.model.replies import clean_output, parse_summary
from summarizer.model.summarize import Article, Rules, Summarizer
from summarizer.model.tokens import split_thirds
from summarizer.sources.extract import choose_text
from summarizer.text import count_zi, text_hash
from summarizer.trust.checks import CheckRules, squash

RULES = Rules(sections=tuple(s.name for s in DEFAULT_SECTIONS))
PAGE = Path(__file__).parent / "fixtures" / "pages" / "zh-1.html"
_TEXT = choose_text(url=PAGE.as_uri(), html=PAGE.read_bytes()).text
ARTICLE = Article(url="http://127.0.0.1/a", canonical_url="http://127.0.0.1/a",
                  title="澄光智能发布家用陪护机器人“小澄”，售价 6999 元", source="测试源",
                  published=None, text=_TEXT, zi=516, text_hash=text_hash(_TEXT))
# A grounded reply: quotes really occur in the page, one from each third.
GOOD = canned_summary(ARTICLE.title, list(RULES.sections), split_thirds(_TEXT))


def good(**changes: object) -> str:
    return json.dumps({**GOOD, **changes}, ensure_ascii=False)


def run(fake: FakeOpenAI, **kwargs: object):
    client = LLMClient(Endpoint("fake-model", fake.base_url, "sk-test"), max_retries=kwargs.pop("max_retries", 0))
    summarizer = Summarizer(client, rules=RULES, sections=DEFAULT_SECTIONS, token_budget=2000, **kwargs)

    async def go():
        try:
            return await summarizer.summarize(ARTICLE)
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_valid_reply_in_one_call(fake_llm: FakeOpenAI) -> None:
    fake_llm.push(Reply(good()))
    result = run(fake_llm)
    assert result.summary.headline == GOOD["headline"]
    assert len(fake_llm.requests) == 1
    request = fake_llm.requests[0]
    assert request["response_format"]["type"] == "json_schema"
    schema = request["response_format"]["json_schema"]["schema"]
    assert schema["required"] == ["quotes", "bullets", "headline", "emoji", "section", "importance"]
    assert schema["properties"]["section"]["enum"] == list(RULES.sections)
    assert "maxItems" not in schema["properties"]["bullets"]  # hosted strict modes reject length constraints
    assert fake_llm.headers[0]["authorization"] == "Bearer sk-test"


def test_local_schema_carries_lengths_for_the_grammar() -> None:
    from summarizer.model.replies import output_schema

    bullets = output_schema(RULES, lengths=True)["properties"]["bullets"]
    assert (bullets["minItems"], bullets["maxItems"]) == (3, 3)
    # Capped at 160 characters (the pattern: 200 Chinese): the local model pays about a second for each ten tokens.
    assert bullets["items"]["minLength"] >= RULES.bullet_min and bullets["items"]["maxLength"] == 160
    quotes = output_schema(RULES, lengths=True, quote_max=40)["properties"]["quotes"]
    assert (quotes["minItems"], quotes["maxItems"], quotes["items"]["maxLength"]) == (3, 3, 40)


def test_local_bullet_pattern_keeps_chinese_all_through_and_carries_the_lengths() -> None:
    # llama.cpp applies the pattern instead of minLength/maxLength, so it must hold both rules.
    from summarizer.model.replies import output_schema

    item = output_schema(RULES, lengths=True)["properties"]["bullets"]["items"]
    pattern = re.compile(item["pattern"])
    fewest, most = RULES.bullet_min, 200  # Chinese characters: a quarter past the 160 characters asked
    assert pattern.match("星" * fewest) and pattern.match("星" * most)
    assert not pattern.match("星" * (fewest - 1)) and not pattern.match("星" * (most + 1))
    # Names, figures and punctuation between Chinese characters are fine; a run of English is not.
    named = "星河" + "由Granite Peak Ventures领投，估值3.1亿美元。" + "星" * fewest
    assert pattern.match(named)
    assert not pattern.match("星河" + "raised forty million dollars in a round" + "星" * fewest)
    assert not pattern.match("Northwind" + "星" * fewest)  # an English bullet cannot start
    assert not pattern.match("星河" + '星"' * fewest) and not pattern.match("星河" + "星\n" * fewest)  # no escapes
    assert "pattern" not in output_schema(RULES)["properties"]["bullets"]["items"]  # hosted: no grammar
    headline = re.compile(output_schema(RULES, lengths=True)["properties"]["headline"]["pattern"])
    assert headline.match("OpenAI发布新模型") and headline.match("星河智能发布“星图3”")
    assert not headline.match("Northwind Labs Raises $40 Million")


def test_invalid_twice_then_valid_takes_three_requests(fake_llm: FakeOpenAI) -> None:
    fake_llm.push(Reply("not json at all"), Reply(good(bullets=GOOD["bullets"][:2])), Reply(good()))
    result = run(fake_llm)
    assert len(fake_llm.requests) == 3
    assert len(result.attempts) == 3
    # The re-ask carries the bad output and the reason back to the model.
    last = fake_llm.requests[2]["messages"]
    assert last[-2] == {"role": "assistant", "content": good(bullets=GOOD["bullets"][:2])}
    assert "恰好3条" in last[-1]["content"]


def test_invalid_three_times_raises_with_attempts(fake_llm: FakeOpenAI) -> None:
    english = "This bullet is written entirely in English and so it must be rejected by the validator right away ok."
    fake_llm.push(*(Reply(good(bullets=[english] * 3)) for _ in range(3)))
    with pytest.raises(SummaryInvalid) as info:
        run(fake_llm)
    assert info.value.attempts == 3
    assert "不是中文" in str(info.value)
    assert info.value.input_tokens > 0


def test_http_errors_are_retried_by_the_client_then_reported(fake_llm: FakeOpenAI) -> None:
    fake_llm.push(Reply(status=429, headers={"Retry-After": "0"}), Reply(status=500), Reply(good()))
    result = run(fake_llm, max_retries=2)
    assert result.summary.section in RULES.sections
    assert len(fake_llm.requests) == 3

    fake_llm.push(Reply(status=500), Reply(status=500))
    with pytest.raises(LLMError, match="HTTP 500"):
        run(fake_llm, max_retries=1)


def test_json_mode_fallback_is_sent(fake_llm: FakeOpenAI) -> None:
    fake_llm.push(Reply("```json\n" + good() + "\n```"))
    client = LLMClient(Endpoint("m", fake_llm.base_url, "k"), response_format="json_object", max_retries=0)
    summarizer = Summarizer(client, rules=RULES, sections=DEFAULT_SECTIONS, token_budget=2000)
    result = asyncio.run(summarizer.summarize(ARTICLE))
    assert fake_llm.requests[0]["response_format"] == {"type": "json_object"}
    assert result.summary.emoji == GOOD["emoji"]


def test_clean_output_strips_think_and_fences() -> None:
    raw = "<think>let me think {\"a\": 1}</think>\n```json\n{\"b\": 2}\n```"
    assert json.loads(clean_output(raw)) == {"b": 2}


@pytest.mark.parametrize("change, reason", [
    ({"bullets": GOOD["bullets"][:2]}, "恰好3条"),
    ({"bullets": ["太短了。", *GOOD["bullets"][1:]]}, "应在60到220字之间"),
    ({"headline": "A headline in English only"}, "标题必须是中文"),
    ({"headline": "火箭发射成功 🚀"}, "不能包含emoji"),
    ({"headline": "超" * 41}, "不能超过40字"),
    ({"emoji": "rocket"}, "emoji"),
    ({"emoji": "AI"}, "不能只写文字"),
    ({"section": "体育"}, "分类"),
    ({"importance": 11}, "importance"),
    ({"bullets": [GOOD["bullets"][0]] * 3}, "不能重复"),
    # How the 0.5B model pads a bullet to its length (seen on zh-1): one clause written again and again.
    ({"bullets": ["价格 6999 元，另需每月 39 元的服务费用于远程视频和紧急呼叫，" * 3, *GOOD["bullets"][1:]]},
     "第1条要点把同一句话写了多遍"),
    # How the 1.5B model counted on in a real page's bullet: no span repeats exactly, the figures change.
    ({"bullets": ["墨迹天气下载地址：" + "，".join(f"[下载地址{i}]" for i in range(1, 12)), *GOOD["bullets"][1:]]},
     "第1条要点把同一句话写了多遍"),
])
def test_validation_reasons(change: dict, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_summary(good(**change), RULES)


def test_a_loop_at_the_end_of_a_bullet_is_cut_at_the_sentence_before_it() -> None:
    # The 1.5B model ended a bullet on a real page "…其“DNA”（DNA）“DNA”（DNA）“DNA（DNA”）".
    looped = GOOD["bullets"][0] + "其“DNA”（DNA）“DNA”（DNA）“DNA（DNA”）"
    assert parse_summary(good(bullets=[looped, *GOOD["bullets"][1:]]), RULES).bullets[0] == GOOD["bullets"][0]


def test_a_name_used_four_times_in_a_bullet_is_not_a_loop() -> None:
    bullet = ("Illumina的测序仪成本较低，但质量可能不如对手的测序仪。Illumina的新机器将提供科学家期望的数据，"
              "而Life Technologies的测序仪则需要更多的运行次数，这种测序仪因此不太受欢迎。")
    assert parse_summary(good(bullets=[bullet, *GOOD["bullets"][1:]]), RULES).bullets[0] == bullet


def test_a_list_of_one_kind_of_thing_is_not_a_loop() -> None:
    # The 1.5B model's first bullet on a real page (Sina, train-ticket apps), refused three times as a loop:
    # "查询、" four times within 32 characters, with another word before each.
    bullet = ("下载地址：【第一部分】：点击【下载地址】即可下载8684火车春运版，提供有两站间线路查询、特定车次查询、"
              "车站线路查询、售票点查询、春运电话订票助手等功能。")
    kept = parse_summary(good(bullets=[bullet, *GOOD["bullets"][1:]]), RULES).bullets[0]
    assert kept == bullet.replace("【第一部分】：", "")  # the prompt's label taken out, not the list


def test_a_long_latin_name_written_twice_is_not_a_loop() -> None:
    # The 1.5B model's third bullet on a real page (Forbes, DNA sequencers), refused three times as a loop:
    # "而Life Technologies的测序仪" is a 20-character span seen twice.
    bullet = ("两台测序仪的主要区别在于质量与成本。Illumina的测序仪成本为740,000美元，而Life Technologies的测序仪"
              "成本仅为150,000美元。Illumina的测序仪提供科学家们期望的精确数据，而Life Technologies的测序仪则提供"
              "更快的数据。")
    assert parse_summary(good(bullets=[bullet, *GOOD["bullets"][1:]]), RULES).bullets[0] == bullet
    looped = GOOD["bullets"][0] + "Tern Tern Tern Tern Tern Tern Tern"  # a word looping is still a loop
    assert parse_summary(good(bullets=[looped, *GOOD["bullets"][1:]]), RULES).bullets[0] == GOOD["bullets"][0]


@pytest.mark.parametrize("headline", ["C#与F#新版发布", "新网关延迟<10ms", "A|B 测试平台开源", "[Beta] 新模型上线",
                                      "**重磅** 芯片发布", "## 标题里有井号"])
def test_markup_characters_are_ordinary_text_not_a_reask(headline: str) -> None:
    # Issue 13: these were refused as Markdown and re-asked until the article failed; jinja.inline
    # neutralises them in the digest instead.
    bullet = GOOD["bullets"][0] + "，对比 C# 与 F# 的 A|B 测试显示延迟<10ms，[详见]附录 #3"
    summary = parse_summary(good(headline=headline, bullets=[bullet, *GOOD["bullets"][1:]]), RULES)
    assert summary.headline == headline and summary.bullets[0] == bullet


def test_emoji_field_is_mended_not_failed() -> None:
    # Decoration: words beside the emoji are dropped and at most three kept, rather than a re-ask.
    assert parse_summary(good(emoji="📚 古籍"), RULES).emoji == "📚"
    assert parse_summary(good(emoji="🚀🚀🚀🚀"), RULES).emoji == "🚀🚀🚀"


def test_local_emoji_pattern_allows_emoji_only() -> None:
    from summarizer.model.replies import output_schema

    pattern = re.compile(output_schema(RULES, lengths=True)["properties"]["emoji"]["pattern"])
    assert all(pattern.match(e) for e in ("📚", "🚀✨", "🕵️‍♂️💰", "🇨🇳", "⚡️"))
    assert not any(pattern.match(e) for e in ("AI", "古籍", "📚古籍", "", '"'))


def test_bullet_prefixes_and_whitespace_are_normalised() -> None:
    bullets = ["- " + GOOD["bullets"][0], "2. " + GOOD["bullets"][1], GOOD["bullets"][2].replace("，", "，\n")]
    summary = parse_summary(good(bullets=bullets), RULES)
    assert summary.bullets[0] == GOOD["bullets"][0]
    assert summary.bullets[1] == GOOD["bullets"][1]
    assert "\n" not in summary.bullets[2]
    # The part labels of the prompt, echoed by a small model (the 1.5B wrote "第部分：" before each bullet).
    echoed = ["第部分：" + GOOD["bullets"][0], "第二部分：" + GOOD["bullets"][1], GOOD["bullets"][2]]
    assert parse_summary(good(bullets=echoed), RULES).bullets[:2] == GOOD["bullets"][:2]
    assert "\n" not in summary.bullets[2]


def test_the_prompts_part_labels_inside_a_bullet_are_taken_out() -> None:
    # The 1.5B model's bullets on two real pages (Sina's app list, a WeChat Python tutorial): 5 of 60
    # bullets of a 20-page run carried the prompt's labels.
    apps = ("下载地址：【第二部分】：点击【下载地址】，可以下载墨迹天气和天气通，提供免费天气信息查询服务，"
            "支持2488个城市天气查询，所选城市的即时天气状况及未来4天的天气概况及最高、最低温度。")
    opener = ("在第一部分，我们看到一个场景，即从 redis.Redis 中持续读取数据，并写入到 MongoDB 中，但想要增加"
              "一个需求，当redis.Redis 读取结束或者读取数据报错的时候，能把当前的时间也写入到MongoDB 中。")
    inside = ("为了实现这个目的，我们可以使用 ExitStack。它可以注册多个回调函数，在退出上下文缩进时执行。"
              "我们先来看一个简单的例子：在第二部分，我们看到一个简单的例子，即使用 ExitStack 注册两个回调函数。")
    bullets = parse_summary(good(bullets=[apps, opener, inside]), RULES).bullets
    assert bullets[0] == apps.replace("【第二部分】：", "")
    assert bullets[1] == opener.removeprefix("在第一部分，")
    assert bullets[2] == inside.replace("在第二部分，", "")
    # A short bullet once its labels are out is kept: it was written to the length with them.
    short = ("下载地址：【第一部分】：点击【下载地址】即可下载8684火车春运版，提供有两站间线路查询、特定车次查询、"
             "车站线路查询、售票点查询、春运电话订票助手等功能。")
    first = parse_summary(good(bullets=[short, *GOOD["bullets"][1:]]), RULES).bullets[0]
    assert count_zi(short) >= RULES.bullet_min > count_zi(first) and "部分" not in first
    kept = ("报告分为第一部分和第二部分，第一部分讲国内市场的规模和增速，第二部分讲三条技术路线的成本，两部分共计"
            "120页，由三家研究机构联合发布，并附有二十家公司的访谈记录。")
    assert parse_summary(good(bullets=[kept, *GOOD["bullets"][1:]]), RULES).bullets[0] == kept


# -- trust checks through the fake server: re-ask once naming the problem, then keep the item with flags --

def bullets_with(index: int, text: str) -> list[str]:
    bullets = list(GOOD["bullets"])
    bullets[index] = text
    return bullets


WRONG_NUMBER = bullets_with(2, "小澄标准版售价7999元，另需每月缴纳服务费用于远程视频和紧急呼叫服务，将在线上开售，首批备货充足，公司还计划明年推出支持上下楼梯的升级版本。")
FOREIGN_NAME = bullets_with(0, "苏州机器人公司与Anthropic合作发布首款家用陪护机器人小澄，主要面向独居老人和双职工家庭，可以提醒老人按时服药，并在检测到摔倒时自动联系家属。")


def test_wrong_number_gets_one_reask_naming_it_and_the_fix_is_kept(fake_llm: FakeOpenAI) -> None:
    fake_llm.push(Reply(good(bullets=WRONG_NUMBER)), Reply(good()))
    result = run(fake_llm)
    assert len(fake_llm.requests) == 2
    reask = fake_llm.requests[1]["messages"][-1]["content"]
    assert "数字“7999”在原文中找不到" in reask and "逐字复制" in reask
    assert result.flags == [] and result.check_reasks == 1
    assert result.first_check.unsupported_claims == 1 and result.check.unsupported_claims == 0
    assert result.attempts[0].error.startswith("核查未通过")


def test_foreign_name_still_there_after_the_reask_is_flagged_not_failed(fake_llm: FakeOpenAI) -> None:
    fake_llm.push(Reply(good(bullets=FOREIGN_NAME)), Reply(good(bullets=FOREIGN_NAME)))
    result = run(fake_llm)
    assert len(fake_llm.requests) == 2  # one re-ask only, however many format re-asks are allowed
    assert result.flags == ["第1条要点：名称“Anthropic”在原文中找不到"]
    assert result.summary.bullets == FOREIGN_NAME
    assert result.stored().to_dict()["checks"]["unsupported_claims"] == 1
    assert result.stored().to_dict()["quotes"] == GOOD["quotes"]


def test_fake_quote_is_reasked_then_flagged(fake_llm: FakeOpenAI) -> None:
    fake = [GOOD["quotes"][0], "小澄获得了国家级大奖", GOOD["quotes"][2]]
    fake_llm.push(Reply(good(quotes=fake)), Reply(good(quotes=fake)))
    result = run(fake_llm)
    assert len(fake_llm.requests) == 2
    assert "引文“小澄获得了国家级大奖”在原文中找不到" in fake_llm.requests[1]["messages"][-1]["content"]
    assert result.flags == ["第2条要点：引文“小澄获得了国家级大奖”在原文中找不到"]
    assert result.check.thirds == [0, 2]


def test_repeated_bullet_is_reasked_then_flagged(fake_llm: FakeOpenAI) -> None:
    repeated = bullets_with(1, BULLETS[0].replace("开篇", "文章开头"))
    fake_llm.push(Reply(good(bullets=repeated)), Reply(good(bullets=repeated)))
    result = run(fake_llm)
    assert len(fake_llm.requests) == 2
    assert result.flags == ["第2条要点：与第1条要点内容重复"]


def test_english_bullet_is_a_format_error_reasked_by_the_validator(fake_llm: FakeOpenAI) -> None:
    english = "Chengguang launched a home care robot for elderly people living alone, priced at 6999 yuan, shipping soon."
    fake_llm.push(Reply(good(bullets=bullets_with(1, english))), Reply(good()))
    result = run(fake_llm)
    assert len(fake_llm.requests) == 2
    assert "第2条要点不是中文" in fake_llm.requests[1]["messages"][-1]["content"]
    assert result.flags == []


def test_invalid_reply_to_the_trust_reask_keeps_the_flagged_summary(fake_llm: FakeOpenAI) -> None:
    fake_llm.push(Reply(good(bullets=WRONG_NUMBER)), Reply("{broken"), Reply("{broken"), Reply("{broken"))
    result = run(fake_llm)
    assert len(fake_llm.requests) == 4  # 1 + the trust re-ask + 2 format re-asks
    assert result.flags == ["第3条要点：数字“7999”在原文中找不到"]


def test_checks_can_be_turned_off(fake_llm: FakeOpenAI) -> None:
    fake_llm.push(Reply(good(bullets=WRONG_NUMBER)))
    result = run(fake_llm, checks=CheckRules(enabled=False))
    assert len(fake_llm.requests) == 1 and result.flags == []


def test_check_rules_and_the_recheck_prompt_change_the_prompt_hash() -> None:
    from summarizer.model.prompts import PROMPT_FILES, Prompts, prompt_fingerprint

    assert "recheck.j2" in PROMPT_FILES
    prompts = Prompts()
    default = prompt_fingerprint(prompts, RULES, DEFAULT_SECTIONS, CheckRules())
    assert default != prompt_fingerprint(prompts, RULES, DEFAULT_SECTIONS, CheckRules(copy_max_chars=50))
    assert default != prompt_fingerprint(prompts, RULES, DEFAULT_SECTIONS)


def test_english_bullet_after_every_reask_is_kept_with_a_language_flag(fake_llm: FakeOpenAI) -> None:
    english = ("Chengguang launched a home care robot for elderly people living alone in Suzhou. It reminds "
               "them to take their medicine, detects falls with radar and a camera, and calls the family. "
               "The standard model costs 6999 yuan plus a monthly service fee for video calls and alerts. "
               "Sales start online on the first of December, with ten thousand units in the first batch.")
    fake_llm.push(*(Reply(good(bullets=bullets_with(1, english), headline="Chengguang robot launch")) for _ in range(3)))
    result = run(fake_llm)
    assert len(fake_llm.requests) == 3  # the format re-asks, no extra trust re-ask
    assert result.flags[:2] == ["标题：不是中文", "第2条要点：不是中文"]
    assert result.summary.bullets[1] == english


def test_other_format_errors_still_fail_the_article(fake_llm: FakeOpenAI) -> None:
    fake_llm.push(*(Reply(good(bullets=bullets_with(1, "太短了。"))) for _ in range(3)))
    with pytest.raises(SummaryInvalid, match="应在60到220字之间"):
        run(fake_llm)


def test_a_seeded_client_sends_its_seed_and_a_new_one_each_re_ask(fake_llm: FakeOpenAI) -> None:
    # The local provider seeds its server (same article, same summary); a re-ask must not repeat the answer
    # it is correcting, so it samples hotter with the next seed.
    fake_llm.push(Reply("not json at all"), Reply(good()))
    client = LLMClient(Endpoint("fake-model", fake_llm.base_url, "sk-test"), max_retries=0, seed=7)
    summarizer = Summarizer(client, rules=RULES, sections=DEFAULT_SECTIONS, token_budget=2000)

    async def go() -> None:
        try:
            await summarizer.summarize(ARTICLE)
        finally:
            await client.aclose()

    asyncio.run(go())
    assert [r["seed"] for r in fake_llm.requests] == [7, 8]
    assert fake_llm.requests[1]["temperature"] > fake_llm.requests[0]["temperature"]
    fake_llm.push(Reply(good()))
    run(fake_llm)
    assert "seed" not in fake_llm.requests[-1]  # hosted providers: no seed unless asked


def test_local_model_is_not_asked_for_quotes_and_its_evidence_is_aligned(fake_llm: FakeOpenAI) -> None:
    # The small local model paraphrased its "verbatim" quotes (7 of 21 found on the demo) and paid for
    # every token of them; alignment finds each bullet's sentence instead.
    reply = {k: v for k, v in GOOD.items() if k != "quotes"} | {"bullets": [
        "苏州机器人公司澄光智能11月19日发布首款家用陪护机器人小澄，面向独居老人和双职工家庭，能在家中自主移动、提醒老人按时服药，检测到摔倒时会联系家属。",
        "小澄的摔倒检测结合毫米波雷达和摄像头，在内部2,000次模拟测试中识别准确率为97.5%，充满电可连续工作14小时，电量低于15%时会自动返回充电座。",
        "小澄标准版售价6999元，每月另收39元服务费，12月1日线上开售，首批备货1万台；公司计划明年推出能上下楼梯的升级版本，进一步扩展家庭使用场景。",
    ]}
    fake_llm.push(Reply(json.dumps(reply, ensure_ascii=False)))
    result = run(fake_llm, length_constraints=True)
    assert len(fake_llm.requests) == 1
    request = fake_llm.requests[0]
    assert "quotes" not in request["response_format"]["json_schema"]["schema"]["required"]
    assert "quotes" not in request["messages"][0]["content"] + request["messages"][1]["content"]
    assert result.flags == [] and result.check.quotes_found == 3 and result.check.thirds == [0, 1, 2]
    assert all(e is not None and squash(e.sentence) in squash(_TEXT) for e in result.check.evidence)
    assert "97.5%" in result.stored().to_dict()["checks"]["evidence"][1]


def test_local_model_gets_no_trust_reask_its_problems_are_flagged(fake_llm: FakeOpenAI) -> None:
    # Measured on the demo: a local re-ask fixed none of the problems it named and cost a second call.
    no_quotes = {k: v for k, v in GOOD.items() if k != "quotes"}
    fake_llm.push(Reply(json.dumps(no_quotes | {"bullets": WRONG_NUMBER}, ensure_ascii=False)))
    result = run(fake_llm, length_constraints=True)
    assert len(fake_llm.requests) == 1 and result.check_reasks == 0
    assert result.flags == ["第3条要点：数字“7999”在原文中找不到"]
    # A hosted model still gets its one re-ask for the same reply.
    fake_llm.push(Reply(json.dumps(GOOD | {"bullets": WRONG_NUMBER}, ensure_ascii=False)), Reply(good()))
    result = run(fake_llm)
    assert len(fake_llm.requests) == 3 and result.flags == []


def test_local_model_is_asked_short_bullets_and_held_to_the_configured_maximum(fake_llm: FakeOpenAI) -> None:
    # Held to 60+ Chinese characters a bullet by the grammar, the 1.5B model padded by repeating a sentence
    # (3 of 7 demo articles failed) and wrote 450 tokens a reply: it is asked for 50-100 字 (prompt and
    # grammar), and a bullet that runs longer with names and figures is still accepted up to the
    # configured maximum (the 0.5B model lost 3 of 7 articles to a 100-字 cap).
    from summarizer.model.summarize import LOCAL_BULLET_ZI

    fake_llm.push(Reply(good()))
    run(fake_llm)
    # 90 different Chinese characters, 3 from a name and 3 English words (96 字), then 13 字 more: 109 字.
    long_bullet = "".join(chr(0x4E00 + 7 * i) for i in range(90)) + "，由Granite Peak Ventures领投"
    bullets = [GOOD["bullets"][0], long_bullet + "，估值3.1亿美元与20亿元人民币。", GOOD["bullets"][2]]
    local_reply = {k: v for k, v in GOOD.items() if k != "quotes"} | {"bullets": bullets}
    fake_llm.push(Reply(json.dumps(local_reply, ensure_ascii=False)))
    result = run(fake_llm, length_constraints=True)
    hosted, local = (r["messages"][0]["content"] for r in fake_llm.requests)
    assert f"每条是一段{RULES.bullet_min + 20}到{RULES.bullet_max - 40}字" in hosted
    low, high = LOCAL_BULLET_ZI
    assert f"每条是一段{low}到{high}字" in local
    grammar = fake_llm.requests[1]["response_format"]["json_schema"]["schema"]
    pattern = re.compile(grammar["properties"]["bullets"]["items"]["pattern"])
    assert pattern.match("星" * low) and not pattern.match("星" * (low - 1))
    # The grammar lets a sentence begun near the asked length end: a quarter more Chinese characters.
    assert pattern.match("星" * (high * 5 // 4)) and not pattern.match("星" * (high * 5 // 4 + 1))
    assert len(fake_llm.requests) == 2 and result.summary.bullets[1].startswith(long_bullet)


def test_the_local_sampler_settings_reach_the_server_in_the_request_body(fake_llm: FakeOpenAI) -> None:
    # llama.cpp reads DRY from the request body; the openai client sends it as extra body fields.
    from summarizer.model.local import SAMPLING
    from summarizer.model.providers import local_sampling

    assert local_sampling() == SAMPLING
    # Digits break runs, so a figure copied from the source is never penalised (DRY made 1999 into 999).
    assert set("0123456789") <= set(SAMPLING["dry_sequence_breakers"])  # type: ignore[arg-type]
    client = LLMClient(Endpoint("fake-model", fake_llm.base_url, "local"), max_retries=0, sampling=SAMPLING)
    summarizer = Summarizer(client, rules=RULES, sections=DEFAULT_SECTIONS, token_budget=2000,
                            length_constraints=True)
    fake_llm.push(Reply(json.dumps({k: v for k, v in GOOD.items() if k != "quotes"}, ensure_ascii=False)))
    asyncio.run(summarizer.summarize(ARTICLE))
    body = fake_llm.requests[0]
    assert {k: body[k] for k in SAMPLING} == SAMPLING
    fake_llm.push(Reply(good()))
    run(fake_llm)  # a hosted client sends none of them
    assert not set(SAMPLING) & set(fake_llm.requests[1])


def test_reasks_after_repeated_bullets_let_dry_penalise_runs_through_digits(fake_llm: FakeOpenAI) -> None:
    # A Traditional-Chinese spec sheet ("P6210", "3G+WIFI", "1.2GHz"): digits broke every DRY run and the
    # 1.5B model wrote one bullet three times in all three attempts, losing the item. The re-ask after
    # such a reply drops the digit breakers; every other call keeps them (DRY turned 1999 into 999).
    from summarizer.model.local import SAMPLING
    from summarizer.model.providers import local_sampling

    client = LLMClient(Endpoint("fake-model", fake_llm.base_url, "local"), max_retries=0,
                       sampling=local_sampling(), repeat_sampling=local_sampling(repeated=True))
    summarizer = Summarizer(client, rules=RULES, sections=DEFAULT_SECTIONS, token_budget=2000,
                            length_constraints=True, max_reasks=3)
    local = {k: v for k, v in GOOD.items() if k != "quotes"}
    long_headline = json.dumps(local | {"headline": "标题" * 40}, ensure_ascii=False)
    fake_llm.push(Reply(long_headline))
    fake_llm.push(Reply(json.dumps(local | {"bullets": [GOOD["bullets"][0]] * 3}, ensure_ascii=False)))
    fake_llm.push(Reply(long_headline))  # the next re-ask fails otherwise: the one after it still samples so
    fake_llm.push(Reply(json.dumps(local, ensure_ascii=False)))
    result = asyncio.run(summarizer.summarize(ARTICLE))
    assert result.summary.bullets == GOOD["bullets"] and len(fake_llm.requests) == 4
    breakers = [r["dry_sequence_breakers"] for r in fake_llm.requests]
    assert breakers[0] == breakers[1] == SAMPLING["dry_sequence_breakers"]  # a long headline: digits kept
    assert breakers[2] == breakers[3] and not set("0123456789") & set(breakers[3]) and "\n" in breakers[3]
    assert {k: fake_llm.requests[3][k] for k in SAMPLING if k != "dry_sequence_breakers"} == {
        k: v for k, v in SAMPLING.items() if k != "dry_sequence_breakers"}


def test_a_local_bullet_cut_by_the_grammar_loses_its_broken_tail(fake_llm: FakeOpenAI) -> None:
    # The grammar caps a local bullet in Chinese characters; past the cap the 1.5B model filled the string
    # with English ("…续航约8小时，Robot can 100% shifts，2"). The tail goes back to the last whole sentence.
    cut = GOOD["bullets"][1] + "电池续航约8小时，Robot can 100% shifts，2"
    local_reply = {k: v for k, v in GOOD.items() if k != "quotes"} | {
        "bullets": [GOOD["bullets"][0], cut, GOOD["bullets"][2]]}
    fake_llm.push(Reply(json.dumps(local_reply, ensure_ascii=False)))
    result = run(fake_llm, length_constraints=True)
    assert result.summary.bullets == GOOD["bullets"] and len(fake_llm.requests) == 1


def test_the_run_gives_the_local_client_the_sampling_against_repeats(tmp_path: Path) -> None:
    # bench/local_trust.py built its client without it and measured the re-ask change as a no-op.
    from summarizer.config import settings_from_dict
    from summarizer.model.providers import Provider, local_sampling

    settings = settings_from_dict({"llm": {"provider": "local"}}, base_dir=tmp_path)
    provider = Provider(settings)
    provider._endpoint = Endpoint("local-model", "http://127.0.0.1:9/v1", "local")  # no server started
    client = asyncio.run(provider.client())
    assert client.sampling == local_sampling() and client.repeat_sampling == local_sampling(repeated=True)
    assert client.repeat_sampling != client.sampling
