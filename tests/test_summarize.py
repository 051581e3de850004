import asyncio
import json

import pytest

from servers import FakeOpenAI, Reply, canned_summary
from summarizer.errors import LLMError, SummaryInvalid
from summarizer.llm import Endpoint, LLMClient
from summarizer.summarize import Article, Rules, Summarizer, clean_output, parse_summary
from summarizer.config import DEFAULT_SECTIONS

RULES = Rules(sections=tuple(s.name for s in DEFAULT_SECTIONS))
GOOD = canned_summary("标题", list(RULES.sections))
ARTICLE = Article(url="http://127.0.0.1/a", canonical_url="http://127.0.0.1/a", title="标题", source="测试源",
                  published=None, text="第一句话。" * 200, zi=1000, text_hash="h")


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
    assert schema["required"] == ["bullets", "headline", "emoji", "section", "importance"]
    assert schema["properties"]["section"]["enum"] == list(RULES.sections)
    assert "maxItems" not in schema["properties"]["bullets"]  # hosted strict modes reject length constraints
    assert fake_llm.headers[0]["authorization"] == "Bearer sk-test"


def test_local_schema_carries_lengths_for_the_grammar() -> None:
    from summarizer.summarize import output_schema

    bullets = output_schema(RULES, lengths=True)["properties"]["bullets"]
    assert (bullets["minItems"], bullets["maxItems"]) == (3, 3)
    assert bullets["items"]["minLength"] >= RULES.bullet_min and bullets["items"]["maxLength"] == RULES.bullet_max


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
    ({"headline": "## 标题里有Markdown"}, "Markdown"),
    ({"headline": "超" * 41}, "不能超过40字"),
    ({"emoji": "rocket"}, "emoji"),
    ({"emoji": "🚀🚀🚀🚀"}, "最多3个"),
    ({"section": "体育"}, "分类"),
    ({"importance": 11}, "importance"),
    ({"bullets": [GOOD["bullets"][0]] * 3}, "不能重复"),
])
def test_validation_reasons(change: dict, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_summary(good(**change), RULES)


def test_bullet_prefixes_and_whitespace_are_normalised() -> None:
    bullets = ["- " + GOOD["bullets"][0], "2. " + GOOD["bullets"][1], GOOD["bullets"][2].replace("，", "，\n")]
    summary = parse_summary(good(bullets=bullets), RULES)
    assert summary.bullets[0] == GOOD["bullets"][0]
    assert summary.bullets[1] == GOOD["bullets"][1]
    assert "\n" not in summary.bullets[2]
