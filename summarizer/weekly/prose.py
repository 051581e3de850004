"""A weekly item's prose paragraph and short title, and the issue's teaser, written by the model.

Same discipline as a daily summary (``summarize.py``): the reply is validated
(Chinese, lengths, no Markdown) and re-asked with the errors at most
``max_reasks`` times; a valid reply then goes through the trust checks of
``checks.py`` against the item's source (numbers and names grounded, the quote
found, no long copied span), with one re-ask naming the problems; what is
still wrong is kept as flags for the reviewer. Prompts: ``prompts/weekly.j2``
and ``prompts/teaser.j2``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from ..errors import LLMError, SummaryInvalid
from ..items import CheckResult
from ..model.llm import LLMClient, Message
from ..model.prompts import Prompts, as_data
from ..model.replies import parse_model_json
from ..model.summarize import Attempt
from ..model.tokens import fit_to_budget
from ..text import chinese_share, cjk_chars, count_zi, normalize_space
from ..trust.checks import CheckRules, Source, check_summary, grounding
from .select import DailyItem

PROSE_PROMPTS = ("weekly.j2", "teaser.j2", "weekly-reask.j2", "weekly-recheck.j2")
_MARKUP = re.compile(r"[#*`<>|]|\[[^\]]*\]\(|^\s*[-+>]\s|^\s*\d+[.)、]\s")
_SENTENCE_END = re.compile(r"[。！？!?]+[”」』）)]*")


@dataclass(frozen=True)
class ProseRules:
    title_max: int = 24  # 字: the reference's titles run 10 to 20
    paragraph_min: int = 40  # 字: the reference's shortest paragraph has about 40
    paragraph_max: int = 320
    sentences_min: int = 2
    sentences_max: int = 5
    teaser_max: int = 60
    min_chinese_share: float = 0.6


def sentences(text: str) -> int:
    """Sentences of a paragraph: runs ended by 。！？ (closing quotes included), and a tail without one."""
    parts = [p for p in _SENTENCE_END.split(text) if p.strip()]
    return len(parts)


def _rules(info: ValidationInfo) -> ProseRules:
    rules = (info.context or {}).get("rules")
    if not isinstance(rules, ProseRules):
        raise ValueError("validation needs context={'rules': ProseRules}")
    return rules


def _one_line(value: str, what: str, rules: ProseRules, most: int) -> str:
    value = normalize_space(value)
    if "\n" in value or _MARKUP.search(value):
        raise ValueError(f"{what}不能包含Markdown、HTML或换行")
    zi = count_zi(value)
    if zi == 0:
        raise ValueError(f"{what}为空")
    if zi > most:
        raise ValueError(f"{what}为{zi}字，不能超过{most}字")
    if cjk_chars(value) < 2 or chinese_share(value) < rules.min_chinese_share / 2:
        raise ValueError(f"{what}必须用中文写")
    return value


class Prose(BaseModel):
    """One weekly item as the model must return it. Validate with ``context={"rules": ProseRules}``."""

    model_config = ConfigDict(extra="ignore")

    quote: str = ""  # one verbatim source quote; checked, stored, never rendered
    paragraph: str
    title: str

    @field_validator("title")
    @classmethod
    def _title(cls, value: str, info: ValidationInfo) -> str:
        rules = _rules(info)
        return _one_line(value, "标题", rules, rules.title_max)

    @field_validator("paragraph")
    @classmethod
    def _paragraph(cls, value: str, info: ValidationInfo) -> str:
        rules = _rules(info)
        value = normalize_space(value)
        problems = []
        zi = count_zi(value)
        if not rules.paragraph_min <= zi <= rules.paragraph_max:
            problems.append(f"段落为{zi}字，应在{rules.paragraph_min}到{rules.paragraph_max}字之间")
        n = sentences(value)
        if not rules.sentences_min <= n <= rules.sentences_max:
            problems.append(f"段落为{n}句，应为{rules.sentences_min}到{rules.sentences_max}句")
        if chinese_share(value) < rules.min_chinese_share:
            problems.append("段落必须用中文写（专有名词可保留英文）")
        if "\n" in value or _MARKUP.search(value):
            problems.append("段落不能包含Markdown、HTML、列表或换行")
        if problems:
            raise ValueError("；".join(problems))
        return value


class Teaser(BaseModel):
    model_config = ConfigDict(extra="ignore")

    teaser: str

    @field_validator("teaser")
    @classmethod
    def _teaser(cls, value: str, info: ValidationInfo) -> str:
        rules = _rules(info)
        return _one_line(value, "导语", rules, rules.teaser_max)


def parse_reply(raw: str, model: type[BaseModel], rules: ProseRules) -> Any:
    """Validate raw model output. Raises ValueError with Chinese reasons the model can act on."""
    return parse_model_json(raw, model, rules)


def _schema(fields: tuple[str, ...], rules: ProseRules, *, lengths: bool) -> dict[str, Any]:
    """JSON schema of the reply. ``lengths`` (the local model: llama.cpp makes them a grammar) bounds
    each string, in characters; hosted providers' strict modes reject such keywords."""
    properties: dict[str, dict[str, Any]] = {f: {"type": "string"} for f in fields}
    if lengths:
        bounds = {"quote": (4, 40), "title": (4, rules.title_max + 8), "teaser": (8, rules.teaser_max + 10),
                  "paragraph": (rules.paragraph_min * 3 // 2, rules.paragraph_max)}
        for name, spec in properties.items():
            spec.update(minLength=bounds[name][0], maxLength=bounds[name][1])
    return {"type": "object", "properties": properties, "required": list(fields),
            "additionalProperties": False}


@dataclass
class Written:
    """A validated reply (Prose or Teaser) with its checks, and every attempt's cost."""

    value: Any
    check: CheckResult
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def input_tokens(self) -> int:
        return sum(a.input_tokens for a in self.attempts)

    @property
    def output_tokens(self) -> int:
        return sum(a.output_tokens for a in self.attempts)

    def stored(self) -> CheckedProse:
        return CheckedProse(dict(self.value.model_dump()), self.check)


@dataclass(frozen=True)
class CheckedProse:
    """A valid reply's fields (of ``Prose`` or ``Teaser``) with its checks: what the summaries table holds
    for a weekly item, beside the daily summaries (its prompt hash keeps the two apart)."""

    fields: dict[str, str]
    check: CheckResult

    def to_dict(self) -> dict[str, Any]:
        return self.fields | {"checks": self.check.as_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckedProse:
        fields_ = {k: str(v) for k, v in data.items() if k != "checks"}
        return cls(fields_, CheckResult.from_dict(data.get("checks")))


class ProseWriter:
    def __init__(self, client: LLMClient, *, prompts: Prompts, rules: ProseRules, checks: CheckRules,
                 token_budget: int, max_reasks: int = 2, lengths: bool = False) -> None:
        self.lengths = lengths
        self.client, self.prompts, self.rules, self.checks = client, prompts, rules, checks
        self.token_budget, self.max_reasks = token_budget, max_reasks

    def _messages(self, template: str, item: DailyItem, **extra: Any) -> list[Message]:
        body, _ = fit_to_budget(item.text, self.token_budget)
        user = self.prompts.render(template, item=item, text=as_data(body), rules=self.rules,
                                   title=as_data(" ".join(item.source_title.split())), **extra)
        return [{"role": "user", "content": user}]

    async def paragraph(self, item: DailyItem) -> Written:
        """Title and paragraph of one item. Raises LLMError or SummaryInvalid naming the item's URL."""
        source = Source.of(item.source_title, item.text)

        def check(prose: Prose) -> CheckResult:
            if not self.checks.enabled:
                return CheckResult()
            found = check_summary(prose.title, [prose.paragraph], [prose.quote], source, self.checks)
            # The checks number bullets; a weekly item has one paragraph.
            found.problems = [replace(p, message=p.message.replace("第1条要点", "段落"))
                              for p in found.problems]
            return found

        messages = self._messages("weekly.j2", item)
        return await self._ask(item, messages, Prose, check, ("quote", "paragraph", "title"))

    async def teaser(self, item: DailyItem, prose: Prose) -> Written:
        """The issue's one-line teaser, from its top story. Raises LLMError or SummaryInvalid."""
        source = Source.of(item.source_title, item.text)

        def check(teaser: Teaser) -> CheckResult:
            found = grounding(teaser.teaser, source, None, self.checks) if self.checks.enabled else []
            return CheckResult(problems=found)

        messages = self._messages("teaser.j2", item, prose=prose)
        return await self._ask(item, messages, Teaser, check, ("teaser",))

    async def _ask(self, item: DailyItem, messages: list[Message], model: type[BaseModel],
                   check: Callable[[Any], CheckResult], fields: tuple[str, ...]) -> Written:
        schema, attempts = _schema(fields, self.rules, lengths=self.lengths), list[Attempt]()
        best: Written | None = None
        failures = rechecks = 0
        while True:
            try:
                done = await self.client.complete(messages, schema=schema, schema_name="weekly_" + fields[-1],
                                                  retry=len(attempts))
            except LLMError as exc:
                if best is not None:
                    break
                raise LLMError(f"{item.canonical_url}: {exc}") from exc
            attempt = Attempt(done.text, done.input_tokens, done.output_tokens, done.seconds)
            attempts.append(attempt)
            try:
                value = parse_reply(done.text, model, self.rules)
            except ValueError as exc:
                attempt.error = str(exc)
                failures += 1
                if failures > self.max_reasks:
                    break
                again = self.prompts.render("weekly-reask.j2", errors=str(exc), fields=fields)
            else:
                result = check(value)
                if best is None or len(result.problems) <= len(best.check.problems):
                    best = Written(value, result)
                if not result.problems or rechecks >= self.checks.reasks:
                    break
                rechecks += 1
                attempt.error = "核查未通过：" + "；".join(result.flags)
                again = self.prompts.render("weekly-recheck.j2", problems=result.flags, fields=fields)
            messages = messages + [{"role": "assistant", "content": done.text},
                                   {"role": "user", "content": again}]
        if best is None:
            last = attempts[-1]
            raise SummaryInvalid(f"{item.canonical_url}: invalid model output after {len(attempts)} "
                                 f"attempts: {last.error}", attempts=len(attempts), raw=last.raw,
                                 input_tokens=sum(a.input_tokens for a in attempts),
                                 output_tokens=sum(a.output_tokens for a in attempts))
        best.attempts = attempts
        return best


@cache
def prose_prompts() -> Prompts:
    """The weekly's templates, read once: rendered through the same loader as the daily prompts."""
    return Prompts(PROSE_PROMPTS)


def prose_fingerprint(prompts: Prompts, rules: ProseRules, checks: CheckRules, kind: str) -> str:
    """Hash of the weekly templates and their rules: with the input hash and model, the cache key."""
    blob = json.dumps([kind, rules.__dict__, checks.__dict__], ensure_ascii=False, sort_keys=True,
                      default=list)
    return hashlib.sha256((prompts.hash + blob).encode("utf-8")).hexdigest()[:16]


def input_hash(item: DailyItem, extra: str = "") -> str:
    """What the model is given, hashed: the source text and the item as published (edits change it)."""
    given = [item.source_title, item.text, item.headline, list(item.bullets), extra]
    blob = json.dumps(given, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]
