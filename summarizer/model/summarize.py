"""Article -> validated Chinese summary: prompt, structured call, checks, re-ask.

The model's JSON is validated by ``Summary`` (pydantic). On a validation
error the bad output and the errors go back to the model, at most
``max_reasks`` times; then SummaryInvalid records every attempt. A valid
summary then goes through the trust checks (``checks.py``); problems get one
re-ask that names them (``recheck.j2``), and whatever is still wrong after it
is kept as the item's flags for the reviewer.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ..config import Section
from ..errors import LLMError, ProviderAuthError, SummaryInvalid
from ..items import REPEATED_BULLETS, Article, CheckedSummary, CheckResult, Rules, Summary, language_problems
from ..text import chinese_share, drop_cut_tail
from ..trust.checks import CheckRules, Source, check_summary, fix_magnitudes
from ..trust.magnitudes import annotate
from .llm import Completion, LLMClient, Message
from .prompts import Prompts, as_data
from .replies import fit_headline, output_schema, parse_summary
from .sections import LETTERS, SectionChooser
from .tokens import count_tokens, fit_to_budget, split_thirds

__all__ = ["Article", "Rules", "Summary", "Summarizer", "SummaryResult", "local_rules"]

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


def _mended_end(headline: str) -> str:
    """A local headline without the marks it was cut off after ("…文字识别、AI 、", "…《《")."""
    return re.sub(r"[\s、，,；;：:《（(“‘—-]+$", "", headline) or headline


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
    reply_section: str = ""  # the reply's own, when the section was chosen apart (sections.py)
    section_calls: list[Attempt] = field(default_factory=list)  # the calls that chose it apart

    @property
    def flags(self) -> list[str]:
        return self.check.flags

    @property
    def calls(self) -> list[Attempt]:
        """Every call of this summary: the attempts, then the section's."""
        return [*self.attempts, *self.section_calls]

    def stored(self) -> CheckedSummary:
        """What the summary cache keeps: the model's fields, quotes included, and the check record."""
        return CheckedSummary(self.summary, self.check)

    @property
    def input_tokens(self) -> int:
        return sum(a.input_tokens for a in self.calls)

    @property
    def output_tokens(self) -> int:
        return sum(a.output_tokens for a in self.calls)

    @property
    def seconds(self) -> float:
        return sum(a.seconds for a in self.calls)


def source_of(article: Article) -> Source:
    """What the checks hold a summary to: the article, and for a 续报 also the earlier item's source and
    bullets (its names and figures are the story's, and the bullets may recall them)."""
    earlier = article.earlier
    if earlier is None:
        return Source.of(article.title, article.text)
    both = "\n".join([article.text, earlier.text, earlier.headline, *earlier.bullets])
    return Source.of(article.title, both)


class Summarizer:
    def __init__(self, client: LLMClient, *, rules: Rules, sections: list[Section], token_budget: int,
                 max_reasks: int = 2, prompts: Prompts | None = None, length_constraints: bool = False,
                 checks: CheckRules | None = None, classify: bool = False) -> None:
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
        # The bundled model: the section by its calibrated odds and the source's cue words (sections.py).
        self.chooser = (SectionChooser(client, self.prompts, sections)
                        if classify and 1 < len(sections) <= len(LETTERS) else None)

    @functools.cached_property
    def schema(self) -> dict[str, Any]:
        """The reply's schema; its grammar holds the asked lengths (local: 50-93 字 a bullet)."""
        return output_schema(self.asked, lengths=not self.ask_quotes, quote_max=self.checks.quote_max_chars,
                             quotes=self.ask_quotes)

    def schema_for(self, source: Source) -> dict[str, Any]:
        """The reply's schema for one article: the local grammar writes Latin only as the source's names."""
        if self.ask_quotes:  # a hosted model: its strict mode takes no grammar; the checks hold the rule
            return self.schema
        return output_schema(self.asked, lengths=True, quote_max=self.checks.quote_max_chars,
                             quotes=self.ask_quotes, latin=source.writable,
                             figures=source.figures, scaled=source.scaled)

    @property
    def asked(self) -> Rules:
        """What the prompt and the grammar ask for (the local model: shorter bullets than it is held to)."""
        return self.rules if self.ask_quotes else local_ask(self.rules)

    def messages(self, article: Article) -> tuple[list[Message], bool]:
        body, truncated = fit_to_budget(article.text, self.token_budget)
        body = as_data(annotate(body))  # "$310 million（3.1亿美元）": the model copies, never converts
        system = self.prompts.render("system.j2", sections=self.sections, rules=self.asked,
                                     checks=self.checks, quotes=self.ask_quotes)
        user = self.prompts.render(
            "article.j2", title=as_data(" ".join(article.title.split())),
            source=as_data(" ".join(article.source.split())), parts=split_thirds(body), rules=self.asked,
            english=chinese_share(body) < 0.5, checks=self.checks, quotes=self.ask_quotes,
            earlier=article.earlier, earlier_bullets=[as_data(b) for b in article.earlier.bullets]
            if article.earlier else [],
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
        source = source_of(article)
        talk = _Conversation(article, messages, source, journal=journal, schema=self.schema_for(source),
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
            reply_section, section_calls = summary.section, []
            if self.chooser is not None:
                chosen, calls = await self.chooser.section_of(article)
                summary.section = chosen or summary.section
                section_calls = [Attempt(c.text, c.input_tokens, c.output_tokens, c.seconds) for c in calls]
            return SummaryResult(summary=summary, attempts=talk.attempts, truncated=truncated, check=check,
                                 first_check=talk.first_check or check, check_reasks=talk.check_reasks,
                                 reply_section=reply_section, section_calls=section_calls)
        tries, last = len(talk.attempts), talk.attempts[-1]
        raise talk.invalid(f"{article.url}: invalid model output after {tries} attempts: {last.error}")

    async def _ask(self, talk: _Conversation) -> tuple[Completion, bool] | None:
        """One call and whether it was replayed from an earlier run's journal (else it is journaled now);
        None when it fails after a valid summary was had. Raises LLMError or SummaryInvalid."""
        number = len(talk.attempts)
        if number < len(talk.replay):
            return talk.replay[number], True
        # Once a reply repeated itself, every re-ask after it samples against repeats (local.REPEAT_SAMPLING).
        repeated = any(REPEATED_BULLETS in (a.error or "") for a in talk.attempts)
        try:
            completion = await self.client.complete(
                talk.messages, schema=talk.schema or self.schema, schema_name="digest_item", retry=number,
                label=talk.article.title, repeated=repeated)
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

    def _fitted(self, raw: str) -> str:
        """The local grammar cannot count a headline's Latin names: one too long is cut at a clause."""
        return raw if self.ask_quotes else fit_headline(raw, self.rules.headline_max)

    def _judge(self, talk: _Conversation, completion: Completion, *, replayed: bool = False) -> str | None:
        """Validate and check one reply; the re-ask to send, or None when the conversation is over."""
        attempt = Attempt(completion.text, completion.input_tokens, completion.output_tokens,
                          completion.seconds, replayed=replayed, server_seconds=completion.server_seconds,
                          cached=completion.cached_tokens)
        talk.attempts.append(attempt)
        try:
            summary = parse_summary(self._fitted(completion.text), self.rules)
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
            summary.bullets = [fix_magnitudes(drop_cut_tail(b, self.rules.bullet_min), talk.source)
                               for b in summary.bullets]
            # A headline too: it wrote "45万英镑" for "£45,000".
            summary.headline = fix_magnitudes(_mended_end(summary.headline), talk.source)
        check = self.check(summary, talk.source)
        talk.first_check = talk.first_check or check
        if talk.best is None or len(check.problems) <= len(talk.best[1].problems):
            talk.best = (summary, check)
        worth = [p for p in check.problems if self.reask_kinds is None or p.kind in self.reask_kinds]
        if not worth or talk.check_reasks >= self.checks.reasks:
            return None
        talk.check_reasks += 1
        attempt.error = "核查未通过：" + "；".join(check.flags)
        return self.prompts.render("recheck.j2", problems=check.flags, rules=self.asked,
                                   checks=self.checks, quotes=self.ask_quotes)


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
    schema: dict[str, Any] | None = None  # the reply's schema for this article (Summarizer.schema_for)

    def invalid(self, message: str) -> SummaryInvalid:
        return SummaryInvalid(message, attempts=len(self.attempts), raw=self.attempts[-1].raw,
                              input_tokens=sum(a.input_tokens for a in self.attempts),
                              output_tokens=sum(a.output_tokens for a in self.attempts))
