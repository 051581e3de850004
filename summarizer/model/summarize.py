"""Article -> validated Chinese summary: prompt, structured call, checks, re-ask.

The model's JSON is validated by ``Summary`` (pydantic). On a validation
error the bad output and the errors go back to the model, at most
``max_reasks`` times; then SummaryInvalid records every attempt. A valid
summary then goes through the trust checks (``checks.py``); problems get one
re-ask that names them (``recheck.j2``), and whatever is still wrong after it
is kept as the item's flags for the reviewer.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from ..config import Section
from ..errors import LLMError, ProviderAuthError, SummaryInvalid
from ..items import Article, CheckedSummary, CheckResult, Rules, Summary, language_problems
from ..jinja import environment
from ..text import chinese_share, clean_data, drop_cut_tail
from ..trust.checks import CheckRules, Source, check_summary
from .llm import Completion, LLMClient, Message
from .tokens import count_tokens, fit_to_budget, split_thirds

__all__ = ["Article", "Rules", "Summary", "Summarizer", "SummaryResult", "Prompts", "prompt_fingerprint",
           "output_schema", "parse_summary", "clean_output", "local_rules"]

PROMPT_FILES = ("system.j2", "article.j2", "reask.j2", "recheck.j2")
# The local model on two cores reads about 35 tokens a second and writes about 10: an article of 800
# tokens and three bullets of 50-75 字 take about a minute (bench/local_model.py). Held to 60-160 字 it
# wrote 450 tokens a reply and padded short bullets by repeating a sentence.
LOCAL_INPUT_BUDGET = 800  # article tokens a call of the local model reads
# Bullets the local model is asked for. Asked 50-100 字 under a grammar cap of 75 Chinese characters,
# the 1.5B model had 9 of 21 demo bullets cut mid-sentence; asked 50-75 under a cap of 93, 3 of 21, in
# the same time an article (bench/local_model.py).
LOCAL_BULLET_ZI = (50, 75)
# Trust problems a re-ask of the local model tends to fix: none measured. bench/local_model.py --reask-all on
# the demo: the 1.5B model's re-ask fixed 0 of 5 wrong magnitudes ($40 million as 40亿) and cost a second
# call as long as the first; copied sentences and repeats came back too (issue 14). Flagged instead.
LOCAL_REASK_KINDS: frozenset[str] = frozenset()


def local_rules(rules: Rules) -> Rules:
    """What a local model's summary is held to: bullets from ``LOCAL_BULLET_ZI``'s minimum."""
    return replace(rules, bullet_min=min(rules.bullet_min, LOCAL_BULLET_ZI[0]))


def local_ask(rules: Rules) -> Rules:
    """What the local model is asked for (prompt and grammar): bullets up to ``LOCAL_BULLET_ZI``'s maximum.

    Accepted up to the configured maximum: the grammar counts Chinese characters, and a bullet with many
    names and figures (each one 字) may go past the asked length; that is no reason to lose it.
    """
    return replace(local_rules(rules), bullet_max=min(rules.bullet_max, LOCAL_BULLET_ZI[1]))


_HAN = "[\u4e00-\u9fff]"
_PLAIN = '[^"\\\\\\n]'  # any character but a quote, a backslash or a line break: no JSON escapes needed
_OTHER = '[^"\\\\\\n\u4e00-\u9fff]'  # the same but a Chinese character
_EMOJI_CHARS = ("[\u2190-\u21ff\u2300-\u23ff\u24c2\u25a0-\u27bf\u2934\u2935\u2b05-\u2b55"
                "\U0001f000-\U0001faff\ufe0f\u200d\u20e3]")
_NAME_RUN = 24  # "Granite Peak Ventures, " fits


def output_schema(rules: Rules, *, lengths: bool = False, quote_max: int = 40,
                  quotes: bool = True) -> dict[str, Any]:
    """JSON schema sent as response_format; quotes, then bullets, come first so the model finds its
    evidence before it writes, and reads before it titles.

    ``lengths`` adds item counts and string lengths. llama.cpp turns them into a
    grammar, which is what makes a small local model write full-length bullets;
    hosted providers' strict modes reject or ignore such constraints, so for them
    the validator and the re-ask enforce the same rules.
    """
    bullet: dict[str, Any] = {"type": "string"}
    headline: dict[str, Any] = {"type": "string"}
    emoji: dict[str, Any] = {"type": "string"}
    quote: dict[str, Any] = {"type": "string"}
    importance: dict[str, Any] = {"type": "integer"}
    bullets: dict[str, Any] = {"type": "array", "items": bullet}
    quote_list: dict[str, Any] = {"type": "array", "items": quote}
    if lengths:
        _add_grammar(rules, quote_max, bullet=bullet, bullets=bullets, headline=headline, emoji=emoji,
                     quote=quote, quotes=quote_list, importance=importance)
    properties: dict[str, Any] = {
        "quotes": quote_list,
        "bullets": bullets,
        "headline": headline,
        "emoji": emoji,
        "section": {"type": "string", "enum": list(rules.sections)},
        "importance": importance,
    }
    if not quotes:
        del properties["quotes"]  # evidence comes from alignment (checks.align)
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _add_grammar(rules: Rules, quote_max: int, *, bullet: dict[str, Any], bullets: dict[str, Any],
                 headline: dict[str, Any], emoji: dict[str, Any], quote: dict[str, Any],
                 quotes: dict[str, Any], importance: dict[str, Any]) -> None:
    """The counts, lengths and patterns llama.cpp turns into a grammar (see ``output_schema``)."""
    importance.update(minimum=1, maximum=10)
    # Short quotes: the local CPU model pays for every token it copies.
    quote.update(minLength=4, maxLength=quote_max)
    quotes.update(minItems=3, maxItems=3)
    # Characters, not 字: punctuation, spaces and figures ("2,000" is one 字, five characters) take
    # a third or more of a small model's bullet, so ask for half as much again. (Twice as much made the
    # 0.5B model pad by repeating one bullet three times.)
    # At most twice the minimum in Chinese characters: the local model writes about ten tokens a
    # second on two cores, and left to the full range it wrote 150-字 bullets (a minute of output).
    low, high = rules.bullet_min * 3 // 2, min(rules.bullet_max, rules.bullet_min * 8 // 3)
    bullet.update(minLength=low, maxLength=high)
    # Chinese all through: two Chinese characters first, then never more than a name's worth of other
    # characters without one. Asked in words only, the 1.5B model answered an English article in
    # English; forced to open in Chinese only, it went on in English after two characters. llama.cpp
    # lets a pattern override the length keywords, so the pattern carries the lengths (in Chinese
    # characters: at least the minimum in 字, at most a quarter past the maximum, so that a sentence the
    # model began near the asked length can end; cut anyway, its tail goes: text.drop_cut_tail).
    bullet["pattern"] = (
        f"^{_HAN}{{2}}(?:{_OTHER}{{0,{_NAME_RUN}}}{_HAN}){{{rules.bullet_min - 2},{high * 5 // 4 - 2}}}"
        f"{_OTHER}{{0,{_NAME_RUN}}}$"
    )
    bullets.update(minItems=3, maxItems=3)
    headline.update(minLength=4, maxLength=rules.headline_max + 8)
    # A headline may open with a Latin name ("OpenAI发布…") but must turn Chinese within 12 characters.
    headline["pattern"] = f"^[A-Za-z0-9 .&+-]{{0,12}}{_HAN}{_PLAIN}{{2,{rules.headline_max + 4}}}$"
    # Unbounded, a small model can loop inside this one string until max_tokens cuts the JSON off.
    # Three emoji with variation selectors or a ZWJ sequence fit in 8 code points; the symbol blocks
    # only, or the 1.5B model writes "AI".
    emoji.update(minLength=1, maxLength=8, pattern=f"^{_EMOJI_CHARS}{{1,8}}$")


def clean_output(raw: str) -> str:
    """Strip <think> blocks and ``` fences; keep the outermost JSON object."""
    text = re.sub(r"<think>.*?</think>", "", raw, flags=re.S)
    # An unopened think block (some servers drop the tag).
    text = re.sub(r"^.*?</think>", "", text, flags=re.S)
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, flags=re.S)
    if fenced:
        text = fenced.group(1)
    start, end = text.find("{"), text.rfind("}")
    return text[start : end + 1] if start != -1 and end > start else text.strip()


def parse_summary(raw: str, rules: Rules) -> Summary:
    """Validate raw model output. Raises ValueError with Chinese reasons the model can act on."""
    summary: Summary = parse_model_json(raw, Summary, rules)
    return summary


def parse_model_json(raw: str, model: type[BaseModel], rules: object) -> Any:
    """Any JSON reply validated as ``model`` (a summary, a weekly's prose), cleaned of control characters.

    Raises ValueError with Chinese reasons the model can act on."""
    cleaned = clean_output(raw)
    try:
        data = json.loads(cleaned)
    except json.JSONDecodeError as exc:
        raise ValueError(f"输出不是合法的JSON（{exc.msg}，第{exc.pos}个字符）") from exc
    if not isinstance(data, dict):
        raise ValueError("输出必须是一个JSON对象")
    data = clean_data(data)  # control characters and bidi overrides never reach storage or output
    try:
        return model.model_validate(data, context={"rules": rules})
    except ValidationError as exc:
        reasons = []
        for err in exc.errors():
            field_name = ".".join(str(p) for p in err["loc"]) or "输出"
            message = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "missing":
                message = "缺少该字段"
            reasons.append(f"{field_name}: {message}")
        raise ValueError("；".join(reasons)) from exc


_DATA_TAG = re.compile(r"<(\s*/?\s*)(article)", re.I)


def as_data(text: str) -> str:
    """Article text that cannot close (or reopen) the prompt's <article> data block."""
    return _DATA_TAG.sub(lambda m: "＜" + m.group(1) + m.group(2), text)


class Prompts:
    """The jinja2 prompt templates in prompts/ and their combined hash (part of the cache key).

    ``files``: the templates a caller renders (the weekly's prose has its own four)."""

    def __init__(self, files: tuple[str, ...] = PROMPT_FILES) -> None:
        folder = resources.files("summarizer.prompts")
        sources = "".join(folder.joinpath(n).read_text("utf-8") for n in files)
        self.hash = hashlib.sha256(sources.encode("utf-8")).hexdigest()[:16]

    def render(self, name: str, **values: Any) -> str:
        return environment().get_template(name).render(**values).strip()


def prompt_fingerprint(prompts: Prompts, rules: Rules, sections: list[Section],
                       checks: CheckRules | None = None) -> str:
    """Hash of the templates and every rule they are rendered with: part of the summary cache key."""
    parts: list[Any] = [rules.__dict__, [s.model_dump() for s in sections]]
    if checks is not None:
        parts.append(checks.__dict__)
    blob = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=list)
    return hashlib.sha256((prompts.hash + blob).encode("utf-8")).hexdigest()[:16]


@dataclass
class Attempt:
    raw: str
    input_tokens: int
    output_tokens: int
    seconds: float
    error: str | None = None
    replayed: bool = False  # answered in an earlier (killed) run, read back from the journal
    server_seconds: float | None = None  # llama.cpp's own account, when it gives one
    cached: int | None = None  # prompt tokens the server took from its cache


class Journal(Protocol):
    """Where each finished call of one article is written at once (``journal.CallJournal``)."""

    def replay(self) -> list[Completion]: ...

    def record(self, attempt: int, completion: Completion) -> None: ...


@dataclass
class SummaryResult:
    summary: Summary
    attempts: list[Attempt] = field(default_factory=list)
    truncated: bool = False
    check: CheckResult = field(default_factory=CheckResult)  # of the summary kept
    first_check: CheckResult = field(
        default_factory=CheckResult
    )  # of the first valid summary, before a re-ask
    check_reasks: int = 0

    @property
    def flags(self) -> list[str]:
        return self.check.flags

    def stored(self) -> CheckedSummary:
        """What the summary cache keeps: the model's fields, quotes included, and the check record."""
        return CheckedSummary(self.summary, self.check)

    @property
    def input_tokens(self) -> int:
        return sum(a.input_tokens for a in self.attempts)

    @property
    def output_tokens(self) -> int:
        return sum(a.output_tokens for a in self.attempts)

    @property
    def seconds(self) -> float:
        return sum(a.seconds for a in self.attempts)


class Summarizer:
    def __init__(self, client: LLMClient, *, rules: Rules, sections: list[Section], token_budget: int,
                 max_reasks: int = 2, prompts: Prompts | None = None, length_constraints: bool = False,
                 checks: CheckRules | None = None) -> None:
        self.client = client
        self.rules = local_rules(rules) if length_constraints else rules  # what a reply is held to
        self.sections = sections
        # The local model (the one that needs length constraints) reads about 35 tokens a second on two
        # cores: every token of the article costs time, and its summary gains little past the budget.
        self.token_budget = min(token_budget, LOCAL_INPUT_BUDGET) if length_constraints else token_budget
        self.max_reasks = max_reasks
        self.prompts = prompts or Prompts()
        self.checks = checks or CheckRules()
        # A small local model paraphrases its "verbatim" quotes and pays for every token it writes, so it
        # is not asked for them: each bullet's evidence is found by alignment (checks.align).
        self.ask_quotes = not length_constraints
        # Trust problems worth a re-ask: the local model's re-asks came back with the same problems.
        self.reask_kinds = LOCAL_REASK_KINDS if length_constraints else None
        # The grammar holds the asked lengths (the local model: 50-93 Chinese characters a bullet).
        self.schema = output_schema(self.asked, lengths=length_constraints,
                                    quote_max=self.checks.quote_max_chars, quotes=self.ask_quotes)

    @property
    def asked(self) -> Rules:
        """What the prompt and the grammar ask for (the local model: shorter bullets than it is held to)."""
        return self.rules if self.ask_quotes else local_ask(self.rules)

    def messages(self, article: Article) -> tuple[list[Message], bool]:
        body, truncated = fit_to_budget(article.text, self.token_budget)
        body = as_data(body)
        system = self.prompts.render("system.j2", sections=self.sections, rules=self.asked,
                                     checks=self.checks, quotes=self.ask_quotes)
        user = self.prompts.render(
            "article.j2", title=as_data(" ".join(article.title.split())),
            source=as_data(" ".join(article.source.split())), parts=split_thirds(body), rules=self.asked,
            english=chinese_share(body) < 0.5, checks=self.checks, quotes=self.ask_quotes,
        )
        return [{"role": "system", "content": system}, {"role": "user", "content": user}], truncated

    def estimate_input_tokens(self, article: Article) -> int:
        messages, _ = self.messages(article)
        return sum(count_tokens(m["content"]) for m in messages)

    def check(self, summary: Summary, source: Source) -> CheckResult:
        """The trust checks of one valid summary (none when checks are disabled)."""
        if not self.checks.enabled:
            return CheckResult()
        quotes = summary.quotes if self.ask_quotes else []
        return check_summary(summary.headline, summary.bullets, quotes, source, self.checks)

    def _language_only(self, raw: str, source: Source) -> tuple[Summary, CheckResult] | None:
        """A reply whose only fault left is its language: kept with flags rather than lost.

        The validator's own language rule (``items.language_problems``) names the flags.
        """
        try:
            summary = parse_summary(raw, replace(self.rules, min_chinese_share=0.0))
        except ValueError:
            return None
        check = self.check(summary, source)
        check.problems[:0] = language_problems(summary.headline, summary.bullets, self.rules)
        return summary, check

    async def summarize(self, article: Article, *, journal: Journal | None = None) -> SummaryResult:
        """Summarize one article. Raises LLMError (provider failed) or SummaryInvalid (every attempt invalid).

        Format errors get up to ``max_reasks`` re-asks; trust problems of a valid
        summary get ``checks.reasks`` more, naming them. The valid summary with the
        fewest problems is kept, its remaining problems as flags.
        """
        messages, truncated = self.messages(article)
        talk = _Conversation(article, messages, Source.of(article.title, article.text), journal=journal,
                             replay=journal.replay() if journal is not None else [])
        while True:
            asked = await self._ask(talk)
            if asked is None:
                break  # the provider failed, but a valid summary is already in hand: keep it with its flags
            completion, replayed = asked
            reask = self._judge(talk, completion, replayed=replayed)
            if reask is None:
                break
            talk.messages = talk.messages + [
                {"role": "assistant", "content": completion.text},
                {"role": "user", "content": reask},
            ]
        if talk.best is not None:
            summary, check = talk.best
            return SummaryResult(summary=summary, attempts=talk.attempts, truncated=truncated, check=check,
                                 first_check=talk.first_check or check, check_reasks=talk.check_reasks)
        tries, last = len(talk.attempts), talk.attempts[-1]
        raise talk.invalid(f"{article.url}: invalid model output after {tries} attempts: {last.error}")

    async def _ask(self, talk: _Conversation) -> tuple[Completion, bool] | None:
        """One call and whether it was replayed from an earlier run's journal (else it is journaled now);
        None when it fails after a valid summary was had. Raises LLMError or SummaryInvalid."""
        number = len(talk.attempts)
        if number < len(talk.replay):
            return talk.replay[number], True
        try:
            completion = await self.client.complete(
                talk.messages, schema=self.schema, schema_name="digest_item", retry=number,
                label=talk.article.title)
        except ProviderAuthError:
            raise  # not about this article: the run stops
        except LLMError as exc:
            if talk.best is not None:
                return None
            if talk.attempts:
                raise talk.invalid(f"{talk.article.url}: {exc}") from exc
            raise LLMError(f"{talk.article.url}: {exc}") from exc
        if talk.journal is not None:
            talk.journal.record(number, completion)
        return completion, False

    def _judge(self, talk: _Conversation, completion: Completion, *, replayed: bool = False) -> str | None:
        """Validate and check one reply; the re-ask to send, or None when the conversation is over."""
        attempt = Attempt(completion.text, completion.input_tokens, completion.output_tokens,
                          completion.seconds, replayed=replayed, server_seconds=completion.server_seconds,
                          cached=completion.cached_tokens)
        talk.attempts.append(attempt)
        try:
            summary = parse_summary(completion.text, self.rules)
        except ValueError as exc:
            attempt.error = str(exc)
            if completion.finish_reason == "length":
                attempt.error = f"输出被截断（超过最大长度）；{attempt.error}"
            talk.format_failures += 1
            if talk.format_failures > self.max_reasks:
                if talk.best is None:
                    talk.best = self._language_only(completion.text, talk.source)
                return None
            return self.prompts.render("reask.j2", errors=attempt.error, rules=self.asked,
                                       quotes=self.ask_quotes)
        if not self.ask_quotes:  # the local model: its grammar cuts a long bullet where Chinese runs out
            summary.bullets = [drop_cut_tail(b, self.rules.bullet_min) for b in summary.bullets]
        check = self.check(summary, talk.source)
        talk.first_check = talk.first_check or check
        if talk.best is None or len(check.problems) <= len(talk.best[1].problems):
            talk.best = (summary, check)
        worth = [p for p in check.problems if self.reask_kinds is None or p.kind in self.reask_kinds]
        if not worth or talk.check_reasks >= self.checks.reasks:
            return None
        talk.check_reasks += 1
        attempt.error = "核查未通过：" + "；".join(check.flags)
        return self.prompts.render("recheck.j2", problems=check.flags, rules=self.asked, checks=self.checks,
                                   quotes=self.ask_quotes)


@dataclass
class _Conversation:
    """One article's exchange with the model: the messages so far, every attempt, the best summary yet."""

    article: Article
    messages: list[Message]
    source: Source
    attempts: list[Attempt] = field(default_factory=list)
    best: tuple[Summary, CheckResult] | None = None
    first_check: CheckResult | None = None
    format_failures: int = 0
    check_reasks: int = 0
    journal: Journal | None = None  # each finished call is written here at once
    replay: list[Completion] = field(default_factory=list)  # calls an earlier, killed run finished

    def invalid(self, message: str) -> SummaryInvalid:
        return SummaryInvalid(message, attempts=len(self.attempts), raw=self.attempts[-1].raw,
                              input_tokens=sum(a.input_tokens for a in self.attempts),
                              output_tokens=sum(a.output_tokens for a in self.attempts))
