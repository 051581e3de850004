"""The bundled model's section: its calibrated odds for each section's letter plus the section's cue words."""

import asyncio
import json
import math

from servers import FakeOpenAI, Reply
from test_summarize import ARTICLE, GOOD, RULES

from summarizer.config import DEFAULT_SECTIONS, Section
from summarizer.model.llm import Endpoint, LLMClient
from summarizer.model.sections import choose, cue_scores, cues_of
from summarizer.model.summarize import Summarizer


def _odds(a: float, b: float, c: float, d: float) -> Reply:
    return Reply("A", top_logprobs={" A": math.log(a), "B": math.log(b), "C": math.log(c), "D": math.log(d),
                                    "的": math.log(0.01)})


def _summarize(fake: FakeOpenAI, *replies: Reply, classify: bool = True) -> tuple[str, list[dict]]:
    fake.push(Reply(json.dumps({**GOOD, "section": "其他"}, ensure_ascii=False)), *replies)
    client = LLMClient(Endpoint("m", fake.base_url, "local"), max_retries=0)
    summarizer = Summarizer(client, rules=RULES, sections=DEFAULT_SECTIONS, token_budget=2000, classify=classify)

    async def go() -> str:
        try:
            return (await summarizer.summarize(ARTICLE)).summary.section
        finally:
            await client.aclose()

    return asyncio.run(go()), fake.requests


def test_cue_words_count_whole_latin_words_and_chinese_anywhere() -> None:
    scores = cue_scores("Acme launches a robot", "The company said it relaunched nothing. 公司发布新品。",
                        DEFAULT_SECTIONS)
    # 产品介绍: "launches" in the title (3), 发布 and 新品 in the lead ("relaunched" is not "launched");
    # 产业资讯: company and 公司 in the lead; 技术教程 and 其他 (no cues): nothing.
    assert scores == [3 + 2, 2, 0, 0]
    assert cues_of(Section(name="自定义")) == () and cues_of(Section(name="产品介绍", cues=["上架"])) == ("上架",)


def test_the_models_lean_is_divided_out_and_the_catch_all_takes_what_fits_nothing() -> None:
    prior = [0.7, 0.1, 0.1, 0.1]  # it says A for an empty article
    assert choose([0.45, 0.45, 0.05, 0.05], prior, [0, 0, 0, 0]) == 1  # raw odds tie; calibrated, B
    assert choose([0.7, 0.1, 0.1, 0.1], prior, [0, 0, 0, 0]) == 3  # no more than its lean: 其他
    assert choose([0.7, 0.1, 0.1, 0.1], prior, [9, 0, 0, 0]) == 0  # unless the cues say so


def test_the_local_summary_takes_the_section_of_odds_and_cues(fake_llm: FakeOpenAI) -> None:
    lean = _odds(0.7, 0.1, 0.1, 0.1)
    section, requests = _summarize(fake_llm, lean, lean, lean, _odds(0.45, 0.45, 0.05, 0.05))
    scores = cue_scores(ARTICLE.title, ARTICLE.text, DEFAULT_SECTIONS)
    expected = DEFAULT_SECTIONS[choose([0.45, 0.45, 0.05, 0.05], [0.7, 0.1, 0.1, 0.1], scores)].name
    assert section == expected and section != "其他"  # not the reply's section
    asked = requests[-1]
    assert asked["max_tokens"] == 1 and asked["logprobs"] is True and asked["top_logprobs"] == 20
    prompt = asked["messages"][0]["content"]
    assert ARTICLE.title in prompt and "D. 其他：" in prompt and prompt.endswith("只回答一个字母。")


def test_the_section_calls_are_counted_with_the_summarys(fake_llm: FakeOpenAI) -> None:
    # The run report's llm line left them out: 7 + 3 calls of about 400 prompt tokens on the demo.
    lean = _odds(0.7, 0.1, 0.1, 0.1)
    fake_llm.push(Reply(json.dumps({**GOOD, "section": "其他"}, ensure_ascii=False)),
                  lean, lean, lean, _odds(0.45, 0.45, 0.05, 0.05))
    client = LLMClient(Endpoint("m", fake_llm.base_url, "local"), max_retries=0)
    summarizer = Summarizer(client, rules=RULES, sections=DEFAULT_SECTIONS, token_budget=2000, classify=True)

    async def go() -> list:
        try:
            first = await summarizer.summarize(ARTICLE)
            fake_llm.push(Reply(json.dumps(GOOD, ensure_ascii=False)), _odds(0.1, 0.1, 0.1, 0.7))
            return [first, await summarizer.summarize(ARTICLE)]
        finally:
            await client.aclose()

    first, second = asyncio.run(go())
    assert len(first.attempts) == 1 and len(first.section_calls) == 4  # the lean's three, then its own
    assert len(second.section_calls) == 1  # the lean is asked once
    assert first.section_calls[-1].raw == "A 0.45 B 0.45 C 0.05 D 0.05"
    assert all(c.input_tokens > 0 for c in first.section_calls)
    assert first.input_tokens == sum(c.input_tokens for c in first.calls) > first.attempts[0].input_tokens


def test_without_odds_from_the_server_the_replys_section_stays(fake_llm: FakeOpenAI) -> None:
    section, requests = _summarize(fake_llm, Reply("A"))
    assert section == "其他" and len(requests) == 2  # one try, then the reply's section
    section, requests = _summarize(fake_llm, classify=False)
    assert section == "其他" and all("logprobs" not in r for r in requests[2:])
