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
from datetime import datetime
from importlib import resources
from typing import Any

import jinja2
from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from .checks import CheckResult, CheckRules, Problem, Source, check_summary
from .config import LLMSettings, Section
from .errors import LLMError, SummaryInvalid
from .llm import LLMClient, Message
from .text import chinese_share, cjk_chars, count_zi, find_emoji, has_emoji, normalize_space
from .tokens import count_tokens, fit_to_budget, split_thirds

PROMPT_FILES = ("system.j2", "article.j2", "reask.j2", "recheck.j2")
LOCAL_INPUT_BUDGET = 1200  # article tokens a call of the local model reads
# Trust problems a re-ask of the local model tends to fix: none measured. bench/local_model.py --reask-all on
# the demo: the 1.5B model's re-ask fixed 0 of 5 wrong magnitudes ($40 million as 40亿) and cost a second
# call as long as the first; copied sentences and repeats came back too (issue 14). Flagged instead.
LOCAL_REASK_KINDS: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Article:
    url: str
    canonical_url: str
    title: str
    source: str
    published: datetime | None
    text: str
    zi: int
    text_hash: str


@dataclass(frozen=True)
class Rules:
    sections: tuple[str, ...]
    bullet_min: int = 60
    bullet_max: int = 220
    headline_max: int = 40
    min_chinese_share: float = 0.6

    @classmethod
    def from_settings(cls, llm: LLMSettings, sections: list[Section]) -> "Rules":
        return cls(
            sections=tuple(s.name for s in sections),
            bullet_min=llm.bullet_min_chars,
            bullet_max=llm.bullet_max_chars,
            headline_max=llm.headline_max_chars,
            min_chinese_share=llm.min_chinese_share,
        )


_MARKDOWN = re.compile(r"[#*`\[\]<>|]|^\s*[-+>]\s|^\s*\d+[.)]\s")
# List marks, and the part labels of the prompt a small model echoes ("第一部分：", even "第部分：").
_BULLET_PREFIX = re.compile(r"^\s*(?:[-*•·+]|\d+[.)、]|[（(]?\d+[)）]|第?[一二三123]?(?:部分|条)[：:])\s*")


class Summary(BaseModel):
    """One digest item as the model must return it. Validate with ``context={"rules": Rules}``."""

    model_config = ConfigDict(extra="ignore")

    # One short verbatim source quote per bullet; checked by checks.py, stored, never rendered.
    quotes: list[str] = []
    bullets: list[str]
    headline: str
    emoji: str
    section: str
    importance: int

    @field_validator("quotes", mode="before")
    @classmethod
    def _quotes(cls, value: Any) -> list[str]:
        # A missing or malformed quote list is a trust problem (re-ask, then flag), not a format failure.
        if not isinstance(value, list):
            return []
        return [normalize_space(q) if isinstance(q, str) else "" for q in value]

    @field_validator("headline")
    @classmethod
    def _headline(cls, value: str, info: ValidationInfo) -> str:
        rules = _rules(info)
        value = normalize_space(value)
        if "\n" in value or _MARKDOWN.search(value):
            raise ValueError("标题不能包含Markdown符号或换行")
        if has_emoji(value):
            raise ValueError("标题不能包含emoji，emoji请放在emoji字段")
        zi = count_zi(value)
        if zi == 0:
            raise ValueError("标题为空")
        if zi > rules.headline_max:
            raise ValueError(f"标题为{zi}字，不能超过{rules.headline_max}字")
        if rules.min_chinese_share > 0 and (cjk_chars(value) < 2 or chinese_share(value) < rules.min_chinese_share / 2):
            raise ValueError("标题必须是中文（英文原文也要译成中文）")
        return value

    @field_validator("emoji")
    @classmethod
    def _emoji(cls, value: str) -> str:
        # Decoration, so it is mended rather than re-asked: words beside the emoji are dropped and the
        # first three kept. Only a field with no emoji at all ("AI", written three times by the 1.5B
        # model) is an error.
        found = find_emoji(value)
        if not found:
            raise ValueError("emoji字段必须有1到3个emoji，不能只写文字")
        return "".join(found[:3])

    @field_validator("section")
    @classmethod
    def _section(cls, value: str, info: ValidationInfo) -> str:
        rules = _rules(info)
        value = value.strip()
        if value not in rules.sections:
            raise ValueError(f"分类“{value}”不存在，只能是：{'、'.join(rules.sections)}")
        return value

    @field_validator("importance", mode="before")
    @classmethod
    def _importance(cls, value: Any) -> int:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10:
            raise ValueError("importance必须是1到10的整数")
        return value

    @field_validator("bullets")
    @classmethod
    def _bullets(cls, value: list[str], info: ValidationInfo) -> list[str]:
        rules = _rules(info)
        if len(value) != 3:
            raise ValueError(f"要点必须恰好3条，现在是{len(value)}条")
        cleaned = [normalize_space(_BULLET_PREFIX.sub("", b)) for b in value]
        problems: list[str] = []
        for i, bullet in enumerate(cleaned, 1):
            zi = count_zi(bullet)
            if not rules.bullet_min <= zi <= rules.bullet_max:
                problems.append(f"第{i}条要点为{zi}字，应在{rules.bullet_min}到{rules.bullet_max}字之间")
            if chinese_share(bullet) < rules.min_chinese_share:
                problems.append(f"第{i}条要点不是中文，必须用中文写（专有名词可保留英文）")
            if re.search(r"[#`<>|]|\[[^\]]*\]\(", bullet):
                problems.append(f"第{i}条要点不能包含Markdown或HTML")
            if _repeats_itself(bullet):
                problems.append(f"第{i}条要点把同一句话写了多遍，每句只写一次")
        if len(set(cleaned)) < 3:
            problems.append("三条要点不能重复")
        if problems:
            raise ValueError("；".join(problems))
        return cleaned


def _repeats_itself(bullet: str, span: int = 20) -> bool:
    """A span of ``span`` characters (spaces aside) occurring twice: how a small model pads to a length."""
    compact = re.sub(r"\s+", "", bullet)
    return any(compact.find(compact[i : i + span], i + span) != -1 for i in range(len(compact) - 2 * span + 1))


def _rules(info: ValidationInfo) -> Rules:
    if not info.context or "rules" not in info.context:
        raise ValueError("validation needs context={'rules': Rules}")
    rules: Rules = info.context["rules"]
    return rules


_HAN = "[\u4e00-\u9fff]"
_PLAIN = '[^"\\\\\\n]'  # any character but a quote, a backslash or a line break: no JSON escapes needed
_OTHER = '[^"\\\\\\n\u4e00-\u9fff]'  # the same but a Chinese character
_EMOJI_CHARS = "[\u2190-\u21ff\u2300-\u23ff\u24c2\u25a0-\u27bf\u2934\u2935\u2b05-\u2b55\U0001f000-\U0001faff\ufe0f\u200d\u20e3]"
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
    bullets: dict[str, Any] = {"type": "array", "items": bullet}
    headline: dict[str, Any] = {"type": "string"}
    emoji: dict[str, Any] = {"type": "string"}
    quote: dict[str, Any] = {"type": "string"}
    quote_list: dict[str, Any] = {"type": "array", "items": quote}
    importance: dict[str, Any] = {"type": "integer"}
    if lengths:
        importance.update(minimum=1, maximum=10)
        # Short quotes: the local CPU model pays for every token it copies.
        quote.update(minLength=4, maxLength=quote_max)
        quote_list.update(minItems=3, maxItems=3)
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
        # characters: at least the minimum in 字, at most three quarters of the maximum).
        bullet["pattern"] = (
            f"^{_HAN}{{2}}(?:{_OTHER}{{0,{_NAME_RUN}}}{_HAN}){{{rules.bullet_min - 2},{high * 3 // 4 - 2}}}"
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


def clean_output(raw: str) -> str:
    """Strip <think> blocks and ``` fences; keep the outermost JSON object."""
    text = re.sub(r"<think>.*?</think>", "", raw, flags=re.S)
    text = re.sub(r"^.*?</think>", "", text, flags=re.S)  # an unopened think block (some servers drop the tag)
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, flags=re.S)
    if fenced:
        text = fenced.group(1)
    start, end = text.find("{"), text.rfind("}")
    return text[start : end + 1] if start != -1 and end > start else text.strip()


def parse_summary(raw: str, rules: Rules) -> Summary:
    """Validate raw model output. Raises ValueError with Chinese reasons the model can act on."""
    cleaned = clean_output(raw)
    try:
        data = json.loads(cleaned)
    except json.JSONDecodeError as exc:
        raise ValueError(f"输出不是合法的JSON（{exc.msg}，第{exc.pos}个字符）") from exc
    if not isinstance(data, dict):
        raise ValueError("输出必须是一个JSON对象")
    try:
        return Summary.model_validate(data, context={"rules": rules})
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
    """The jinja2 prompt templates in prompts/ and their combined hash (part of the cache key)."""

    def __init__(self) -> None:
        folder = resources.files("summarizer.prompts")
        self._env = jinja2.Environment(
            loader=jinja2.FunctionLoader(lambda name: folder.joinpath(name).read_text("utf-8")),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=False,
            autoescape=False,
        )
        sources = "".join(folder.joinpath(n).read_text("utf-8") for n in PROMPT_FILES)
        self.hash = hashlib.sha256(sources.encode("utf-8")).hexdigest()[:16]

    def render(self, name: str, **values: Any) -> str:
        return self._env.get_template(name).render(**values).strip()


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
    server_seconds: float | None = None  # llama.cpp's own account, when it gives one
    cached: int | None = None  # prompt tokens the server took from its cache


@dataclass
class SummaryResult:
    summary: Summary
    attempts: list[Attempt] = field(default_factory=list)
    truncated: bool = False
    check: CheckResult = field(default_factory=CheckResult)  # of the summary kept
    first_check: CheckResult = field(default_factory=CheckResult)  # of the first valid summary, before a re-ask
    check_reasks: int = 0

    @property
    def flags(self) -> list[str]:
        return self.check.flags

    def stored(self) -> dict[str, Any]:
        """The summary JSON as cached: the model's fields, quotes included, plus the check record."""
        return self.summary.model_dump() | {"checks": self.check.as_dict()}

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
        self.rules = rules
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
        self.schema = output_schema(rules, lengths=length_constraints, quote_max=self.checks.quote_max_chars,
                                    quotes=self.ask_quotes)

    def messages(self, article: Article) -> tuple[list[Message], bool]:
        body, truncated = fit_to_budget(article.text, self.token_budget)
        body = as_data(body)
        system = self.prompts.render("system.j2", sections=self.sections, rules=self.rules,
                                     checks=self.checks, quotes=self.ask_quotes)
        user = self.prompts.render(
            "article.j2", title=as_data(" ".join(article.title.split())),
            source=as_data(" ".join(article.source.split())), parts=split_thirds(body), rules=self.rules,
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

    def _language_only(self, raw: str, error: str, source: Source) -> tuple[Summary, CheckResult] | None:
        """A reply whose only fault left is its language: kept with flags rather than lost.

        The validator's own language verdicts (its error text) become the flags,
        so the CJK-share rule lives in one place.
        """
        try:
            summary = parse_summary(raw, replace(self.rules, min_chinese_share=0.0))
        except ValueError:
            return None
        check = self.check(summary, source)
        language = [Problem("language", f"第{n}条要点：不是中文", int(n)) for n in re.findall(r"第(\d+)条要点不是中文", error)]
        if "标题必须是中文" in error:
            language.insert(0, Problem("language", "标题：不是中文"))
        check.problems[:0] = language
        return summary, check

    async def summarize(self, article: Article) -> SummaryResult:
        """Summarize one article. Raises LLMError (provider failed) or SummaryInvalid (every attempt invalid).

        Format errors get up to ``max_reasks`` re-asks; trust problems of a valid
        summary get ``checks.reasks`` more, naming them. The valid summary with the
        fewest problems is kept, its remaining problems as flags.
        """
        messages, truncated = self.messages(article)
        source = Source.of(article.title, article.text)
        attempts: list[Attempt] = []
        best: tuple[Summary, CheckResult] | None = None
        first_check: CheckResult | None = None
        format_failures = check_reasks = 0
        while True:
            try:
                completion = await self.client.complete(messages, schema=self.schema, schema_name="digest_item",
                                                        retry=len(attempts), label=article.title)
            except LLMError as exc:
                if best is not None:
                    break  # a valid summary is already in hand: keep it with its flags
                if attempts:
                    raise SummaryInvalid(
                        f"{article.url}: {exc}", attempts=len(attempts), raw=attempts[-1].raw,
                        input_tokens=sum(a.input_tokens for a in attempts),
                        output_tokens=sum(a.output_tokens for a in attempts),
                    ) from exc
                raise LLMError(f"{article.url}: {exc}") from exc
            attempt = Attempt(completion.text, completion.input_tokens, completion.output_tokens,
                              completion.seconds, server_seconds=completion.server_seconds,
                              cached=completion.cached_tokens)
            attempts.append(attempt)
            try:
                summary = parse_summary(completion.text, self.rules)
            except ValueError as exc:
                attempt.error = str(exc)
                if completion.finish_reason == "length":
                    attempt.error = f"输出被截断（超过最大长度）；{attempt.error}"
                format_failures += 1
                if format_failures > self.max_reasks:
                    if best is None:
                        best = self._language_only(completion.text, attempt.error, source)
                    break
                reask = self.prompts.render("reask.j2", errors=attempt.error, rules=self.rules,
                                            quotes=self.ask_quotes)
            else:
                check = self.check(summary, source)
                first_check = first_check or check
                if best is None or len(check.problems) <= len(best[1].problems):
                    best = (summary, check)
                worth = [p for p in check.problems if self.reask_kinds is None or p.kind in self.reask_kinds]
                if not worth or check_reasks >= self.checks.reasks:
                    break
                check_reasks += 1
                attempt.error = "核查未通过：" + "；".join(check.flags)
                reask = self.prompts.render("recheck.j2", problems=check.flags, rules=self.rules,
                                            checks=self.checks, quotes=self.ask_quotes)
            messages = messages + [
                {"role": "assistant", "content": completion.text},
                {"role": "user", "content": reask},
            ]
        if best is not None:
            return SummaryResult(summary=best[0], attempts=attempts, truncated=truncated, check=best[1],
                                 first_check=first_check or best[1], check_reasks=check_reasks)
        last = attempts[-1]
        raise SummaryInvalid(
            f"{article.url}: invalid model output after {len(attempts)} attempts: {last.error}",
            attempts=len(attempts),
            raw=last.raw,
            input_tokens=sum(a.input_tokens for a in attempts),
            output_tokens=sum(a.output_tokens for a in attempts),
        )
