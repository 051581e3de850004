"""The item chain, one type per stage, declared once:

    Article  -> Summary (+ CheckResult: its trust Problems) -> DigestItem -> ReviewItem

``Article`` is an extracted page; ``Summary`` is what the model must return
(validated here, with the rules it is validated by); ``DigestItem`` is one item
of a day's digest (its highlight is a flag on it); ``ReviewItem`` is a digest
item under review. Every other shape (the summary cache row, the digest the
run records for review, a review row, the user's ``DATE.json``) is derived
from these with ``to_dict`` / ``from_dict``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from .config import LLMSettings, Section
from .text import (
    chinese_share,
    cjk_chars,
    count_zi,
    cut_loop,
    find_emoji,
    has_emoji,
    loop_start,
    normalize_space,
)


class ArticleStatus(StrEnum):
    """An article's state in the store (a plain string in SQLite)."""

    NEW = "new"  # selected for a run, page not fetched yet
    EXTRACTED = "extracted"  # text stored, not summarized yet
    SUMMARIZED = "summarized"
    DUPLICATE = "duplicate"  # same story as another article of the day (``duplicate_of``)
    SKIPPED = "skipped"  # too short or not an article; the reason is its error
    FAILED = "failed"


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
    earlier: Earlier | None = None  # a follow-up (续报): the published item its story continues


@dataclass(frozen=True)
class Earlier:
    """A published item the article's story continues (trust/memory.py): what the model is told of it,
    and the link a 续报 item gives to it (``DATE.html#anchor``)."""

    date: str
    anchor: str
    headline: str
    item: str = ""  # canonical URL of the item's kept article
    bullets: tuple[str, ...] = ()
    text: str = ""  # the earlier article's text: the checks accept its names and figures too

    @property
    def href(self) -> str:
        return f"{self.date}.html#{self.anchor}"


# -- trust problems ---------------------------------------------------------------


# Problems about how a bullet is written, not whether it is true: shown as notes, never blocking.
STYLE_KINDS = frozenset({"copy", "duplicate", "length"})


@dataclass(frozen=True)
class Problem:
    """One trust problem of a summary: found by checks.py (or the format validator), shown to the
    model in a re-ask and to the reviewer as a flag. ``term`` is the number, name or quote at fault."""

    kind: str  # number | name | quote | duplicate | copy | headline | language | flag (from elsewhere)
    message: str  # one Chinese line for the model and the reviewer
    bullet: int | None = None  # 1-based bullet number; None for the headline
    term: str | None = None

    @property
    def text(self) -> str:  # the name before problems were structured; branches written then still use it
        return self.message

    @property
    def unsupported_claim(self) -> bool:
        return self.kind in {"number", "name", "magnitude", "half_name"}

    @property
    def trust(self) -> bool:
        """A trust problem (a figure, name, quote or headline the source does not bear out) blocks
        publishing until acknowledged; a style note (copied sentence, repeated bullet, length) never does."""
        return self.kind not in STYLE_KINDS

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | str) -> Problem:
        if isinstance(data, str):  # a review row written before problems were structured
            return cls("flag", data)
        return cls(kind=str(data["kind"]), message=str(data["message"]), bullet=data.get("bullet"),
                   term=data.get("term"))


def problems_from(values: list[Any] | None) -> list[Problem]:
    return [p if isinstance(p, Problem) else Problem.from_dict(p) for p in values or []]


@dataclass(frozen=True)
class Evidence:
    """The source sentence a bullet rests on, found by alignment, and where it is (0 = start, 1 = end)."""

    sentence: str
    position: float


@dataclass
class CheckResult:
    """The trust checks of one summary, stored with it."""

    problems: list[Problem] = field(default_factory=list)
    quotes_found: int = 0
    quotes_total: int = 0
    thirds: list[int] = field(default_factory=list)  # 0, 1, 2: beginning, middle, end of the source
    evidence: list[Evidence | None] = field(default_factory=list)  # by alignment, when no quotes were given

    @property
    def flags(self) -> list[str]:
        return [p.message for p in self.problems]

    @property
    def trust_flags(self) -> list[str]:
        return [p.message for p in self.problems if p.trust]

    @property
    def notes(self) -> list[str]:
        return [p.message for p in self.problems if not p.trust]

    @property
    def unsupported_claims(self) -> int:
        return sum(1 for p in self.problems if p.unsupported_claim)

    @property
    def full_coverage(self) -> bool:
        return len(self.thirds) == 3

    def as_dict(self) -> dict[str, object]:
        """What is stored with the summary JSON."""
        return {
            "problems": [p.to_dict() for p in self.problems],
            "flags": self.flags,
            "unsupported_claims": self.unsupported_claims,
            "quotes_found": self.quotes_found,
            "quotes_total": self.quotes_total,
            "thirds": self.thirds,
            **({"evidence": [e.sentence if e else "" for e in self.evidence]} if self.evidence else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> CheckResult:
        data = data or {}
        # A cache row written before problems were structured has only the flag lines.
        problems = problems_from(data["problems"]) if "problems" in data else problems_from(data.get("flags"))
        # Where an aligned sentence sat in the source is not stored; the review page finds it again.
        evidence = [Evidence(str(s), -1.0) if s else None for s in data.get("evidence") or []]
        return cls(problems=problems, quotes_found=int(data.get("quotes_found") or 0),
                   quotes_total=int(data.get("quotes_total") or 0), thirds=list(data.get("thirds") or []),
                   evidence=evidence)


# -- the model's summary ------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    sections: tuple[str, ...]
    bullet_min: int = 60
    bullet_max: int = 220
    headline_max: int = 40
    min_chinese_share: float = 0.6

    @classmethod
    def from_settings(cls, llm: LLMSettings, sections: list[Section]) -> Rules:
        return cls(
            sections=tuple(s.name for s in sections),
            bullet_min=llm.bullet_min_chars,
            bullet_max=llm.bullet_max_chars,
            headline_max=llm.headline_max_chars,
            min_chinese_share=llm.min_chinese_share,
        )


# List marks, and the part labels of the prompt a small model echoes ("第一部分：", even "第部分：").
_BULLET_PREFIX = re.compile(r"^\s*(?:[-*•·+]|\d+[.)、]|[（(]?\d+[)）]|第?[一二三123]?(?:部分|条)[：:])\s*")
# The same labels inside a bullet: the prompt's own marks ("【第一部分】：") and a sentence that opens by
# naming the part ("在第二部分，我们看到…"): the prompt's division of the text, never a fact of it.
_PART_LABEL = re.compile(r"【第[一二三123]部分】[：:]?"
                         r"|(?:^|(?<=[，,。：:；;！？]))\s*在?第[一二三123]部分[中里]?[，,：:]")
HEADLINE_NOT_CHINESE = "标题必须是中文（英文原文也要译成中文）"
REPEATED_BULLETS = "三条要点不能重复"


def headline_is_chinese(value: str, rules: Rules) -> bool:
    """The validator's language rule for a headline (the one place it is written)."""
    return rules.min_chinese_share <= 0 or (
        cjk_chars(value) >= 2 and chinese_share(value) >= rules.min_chinese_share / 2)


def bullet_is_chinese(bullet: str, rules: Rules) -> bool:
    return chinese_share(bullet) >= rules.min_chinese_share


def language_problems(headline: str, bullets: list[str], rules: Rules) -> list[Problem]:
    """What the validator with ``rules`` would reject as not Chinese, as trust problems."""
    found = [Problem("language", "标题：不是中文")] if not headline_is_chinese(headline, rules) else []
    return found + [Problem("language", f"第{n}条要点：不是中文", n)
                    for n, bullet in enumerate(bullets, 1) if not bullet_is_chinese(bullet, rules)]


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
        # Markup characters are ordinary text here ("C#", "延迟<10ms", "A|B 测试"): jinja.inline neutralises
        # them in the Markdown, so they cost no re-ask. Line breaks are folded into spaces.
        value = normalize_space(value)
        if has_emoji(value):
            raise ValueError("标题不能包含emoji，emoji请放在emoji字段")
        zi = count_zi(value)
        if zi == 0:
            raise ValueError("标题为空")
        if zi > rules.headline_max:
            raise ValueError(f"标题为{zi}字，不能超过{rules.headline_max}字")
        if not headline_is_chinese(value, rules):
            raise ValueError(HEADLINE_NOT_CHINESE)
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
        # A loop at the end is cut off at the sentence before it, if enough is left; else it is re-asked.
        cleaned = [cut_loop(normalize_space(_BULLET_PREFIX.sub("", b)), rules.bullet_min) for b in value]
        problems = [p for i, bullet in enumerate(cleaned, 1) for p in _bullet_problems(i, bullet, rules)]
        # Measured with the labels: the local grammar holds a bullet to its length as written, so a bullet
        # the labels' removal makes short would be asked for again, and written with them again.
        cleaned = [normalize_space(_PART_LABEL.sub("", b)) for b in cleaned]
        if len(set(cleaned)) < 3:
            problems.append(REPEATED_BULLETS)
        if problems:
            raise ValueError("；".join(problems))
        return cleaned


def _bullet_problems(i: int, bullet: str, rules: Rules) -> list[str]:
    problems = []
    zi = count_zi(bullet)
    if not rules.bullet_min <= zi <= rules.bullet_max:
        problems.append(f"第{i}条要点为{zi}字，应在{rules.bullet_min}到{rules.bullet_max}字之间")
    if not bullet_is_chinese(bullet, rules):
        problems.append(f"第{i}条要点不是中文，必须用中文写（专有名词可保留英文）")
    if loop_start(bullet) is not None:
        problems.append(f"第{i}条要点把同一句话写了多遍，每句只写一次")
    return problems


def _rules(info: ValidationInfo) -> Rules:
    if not info.context or "rules" not in info.context:
        raise ValueError("validation needs context={'rules': Rules}")
    rules: Rules = info.context["rules"]
    return rules


@dataclass(frozen=True)
class CheckedSummary:
    """A valid summary with its trust checks: what the summary cache holds."""

    summary: Summary
    check: CheckResult

    def to_dict(self) -> dict[str, Any]:
        return self.summary.model_dump() | {"checks": self.check.as_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckedSummary:
        # Validated when it was stored, under the same rules (they are part of the cache key).
        fields_ = {k: data[k] for k in Summary.model_fields if k in data}
        return cls(Summary.model_construct(**fields_), CheckResult.from_dict(data.get("checks")))


# -- the digest and its review ------------------------------------------------------


@dataclass
class DigestItem:
    canonical_url: str
    headline: str
    emoji: str
    section: str
    bullets: list[str]
    importance: int
    links: list[str]
    source: str
    source_title: str
    source_zi: int
    published: str | None = None
    # Unresolved trust problems; rendered as REVIEW_MARKER lines in the draft only.
    flags: list[Problem] = field(default_factory=list)
    highlight: int = 0  # 0: not in 看点; otherwise its place in the 看点 list
    sources: int = 1  # feeds that carried this story (the kept article and its merged copies); 热度
    # 续报: the earlier issue's item this one continues, as a relative link ("2026-11-20.html#item-2"),
    # and that item's date and headline as the link's text.
    follows: str = ""
    follows_title: str = ""
    # A weekly item: the daily issues its story ran in, oldest first (shown when more than one).
    days: list[str] = field(default_factory=list)

    @property
    def zi(self) -> int:
        """字 of the item's own text: headline and bullets (emoji count nothing)."""
        return count_zi(self.headline) + sum(count_zi(b) for b in self.bullets)

    @classmethod
    def of(cls, article: Article, summary: Summary, *, links: list[str], flags: list[Problem],
           published: str | None = None, sources: int = 1) -> DigestItem:
        earlier = article.earlier
        return cls(canonical_url=article.canonical_url, headline=summary.headline, emoji=summary.emoji,
                   section=summary.section, bullets=list(summary.bullets), importance=summary.importance,
                   links=links, source=article.source, source_title=article.title, source_zi=article.zi,
                   published=published, flags=list(flags), sources=sources,
                   follows=earlier.href if earlier else "",
                   follows_title=f"{earlier.date} {earlier.headline}" if earlier else "")

    def to_dict(self) -> dict[str, Any]:
        """Every field, problems included: what the store keeps."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DigestItem:
        return cls(**_known(cls, data))

    def to_json(self) -> dict[str, Any]:
        """The item in the user's DATE.json: flags as lines, 字 counted, highlight in the digest's list."""
        data = self.to_dict()
        data.pop("highlight")
        data.pop("days")  # a weekly's
        if not self.follows:  # only a 续报 says which earlier item it continues
            data.pop("follows")
            data.pop("follows_title")
        data["flags"] = [p.message for p in self.flags if p.trust]
        data["notes"] = [p.message for p in self.flags if not p.trust]
        data["zi"] = self.zi
        return data


PENDING, APPROVED, DROPPED = "pending", "approved", "dropped"


@dataclass
class ReviewItem(DigestItem):
    id: int = 0
    position: int = 0
    status: str = PENDING
    acked: list[Problem] = field(default_factory=list)  # flags the reviewer has acknowledged

    @property
    def unresolved(self) -> list[Problem]:
        """Trust flags not yet acknowledged: what keeps the item from publishing (notes never do)."""
        return [f for f in self.flags if f.trust and f not in self.acked]

    @property
    def notes(self) -> list[Problem]:
        return [f for f in self.flags if not f.trust]

    @classmethod
    def under_review(cls, item: DigestItem, *, item_id: int, position: int) -> ReviewItem:
        return cls(**(_fields(item) | {"id": item_id, "position": position}))

    def digest_item(self, *, with_flags: bool = True) -> DigestItem:
        data = _fields(self, DigestItem) | {"flags": self.unresolved if with_flags else []}
        return DigestItem(**data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReviewItem:
        return cls(**_known(cls, data))


def _fields(item: DigestItem, kind: type[DigestItem] = DigestItem) -> dict[str, Any]:
    """The item's own values of ``kind``'s fields (lists copied)."""
    return {f.name: _copy(getattr(item, f.name)) for f in fields(kind)}


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def _known(kind: type[DigestItem], data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(kind)}
    values = {k: v for k, v in data.items() if k in names}
    for name in ("flags", "acked"):
        if name in values:
            values[name] = problems_from(values[name])
    return values


# A feed's HTTP cache validators (ETag, Last-Modified): sent by sources/fetch.py, kept by the store.
@dataclass(frozen=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None
