"""The section of an article for the bundled model: its own odds for each section, calibrated, plus the
section's cue words in the title and lead.

Named inside its summary, the 1.5B model put 59 % of labelled real pages in the right section, and asked
alone for a letter it leans to the first ones (52 %). Its odds divided by those it gives an article with
no content (contextual calibration) and added to cue words put 78 of 100 labelled pages right, 39 of 50
on the half the two weights were set on and on the other half (bench/local_trust.py --sections).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from ..config import Section
from ..errors import LLMError, ProviderAuthError
from ..items import Article
from .llm import Completion, LLMClient
from .prompts import Prompts, as_data


def _cues(chinese: str, latin: str) -> tuple[str, ...]:
    return (*chinese.split(), *(cue.strip() for cue in latin.split(",")))


# Cue words of the default sections (a configured section's ``cues`` replace them). Latin cues match as
# whole words, either case; Chinese ones anywhere.
DEFAULT_CUES: dict[str, tuple[str, ...]] = {
    "产品介绍": _cues(
        "发布 推出 上线 亮相 首发 开源 新品 新版 正式版 问世 开售 发售 面世 预览版 测试版 新功能 新款",
        "launch, launches, launched, unveil, unveils, unveiled, introduce, introduces, introduced, release, "
        "releases, released, debut, debuts, rolls out, rolled out, now available, beta, preview, "
        "new version, new feature, template, download"),
    "产业资讯": _cues(
        "融资 投资 收购 并购 财报 营收 净利润 利润 亏损 股价 市值 估值 诉讼 起诉 裁员 监管 罚款 反垄断 协议 "
        "签约 订单 份额 出货量 同比 董事 高管 股东 销售额 涨价 降价 产业 行业 企业 公司",
        "raises, funding, investors, acquire, acquires, acquired, acquisition, merger, deal, revenue, "
        "profit, earnings, quarter, shares, stock, valuation, IPO, lawsuit, sues, sued, layoffs, lays off, "
        "regulator, regulation, regulators, antitrust, CEO, chief executive, market, company, companies, "
        "firm, firms, industry, business"),
    "技术教程": _cues(
        "教程 手把手 指南 入门 如何 怎么 步骤 实战 详解 原理 论文 实践 一文 读懂 教你 技巧",
        "how to, tutorial, guide, step-by-step, steps, explained, explainer, quick start, configuring, "
        "configure, install, installation, beginner, tips, walkthrough, hands-on, observe"),
}
LETTERS = "ABCDEFGHIJ"
CUE_WEIGHT = 0.15  # log-odds a cue hit is worth
CATCH_ALL = 1.0  # log-odds the last section (其他: what fits no other) starts with
EMPTY_ARTICLES = (("", ""), ("N/A", "N/A"), ("[标题]", "[正文]"))  # (title, lead): the model's lean
LEAD_CHARS = 600  # of the text the model reads for its choice
CUE_CHARS = 1000  # of the text cue words are counted in


def cues_of(section: Section) -> tuple[str, ...]:
    return tuple(section.cues) if section.cues is not None else DEFAULT_CUES.get(section.name, ())


def _hits(cues: Sequence[str], text: str) -> int:
    count = 0
    for cue in cues:
        if cue.isascii():
            count += len(re.findall(rf"(?<![A-Za-z]){re.escape(cue)}(?![A-Za-z])", text, re.IGNORECASE))
        else:
            count += text.count(cue)
    return count


def cue_scores(title: str, text: str, sections: Sequence[Section]) -> list[int]:
    """Per section: three for each cue in the title (two at most), one for each in the lead (six at most)."""
    lead = text[:CUE_CHARS]
    return [3 * min(2, _hits(cues, title)) + min(6, _hits(cues, lead)) for cues in map(cues_of, sections)]


def choose(odds: Sequence[float], prior: Sequence[float], scores: Sequence[int]) -> int:
    """The index of the section with the best calibrated log-odds plus its cue score."""
    last = len(odds) - 1

    def value(i: int) -> float:
        calibrated = math.log(max(odds[i], 1e-6) / max(prior[i], 1e-6))
        return calibrated + CUE_WEIGHT * scores[i] + (CATCH_ALL if i == last else 0.0)

    return max(range(len(odds)), key=value)


class SectionChooser:
    """The section of each article for one model: its lean (odds on empty articles) is asked once."""

    def __init__(self, client: LLMClient, prompts: Prompts, sections: Sequence[Section]) -> None:
        self.client, self.prompts, self.sections = client, prompts, list(sections)
        self.prior: list[float] | None = None

    async def section_of(self, article: Article) -> tuple[str | None, list[Completion]]:
        """The section the odds and cues choose, None when the server gives no odds (the reply's stays),
        and the calls it took: one, and the three of the model's lean the first time (their cost is the
        run's, so the report counts them)."""
        calls: list[Completion] = []
        try:
            if self.prior is None:  # what the model leans to with nothing to read: divided out
                empty = [await self._odds(title, lead, calls) for title, lead in EMPTY_ARTICLES]
                self.prior = [sum(row) / len(row) for row in zip(*empty, strict=True)]
            odds = await self._odds(article.title, article.text[:LEAD_CHARS], calls)
        except ProviderAuthError:
            raise
        except LLMError:
            return None, calls
        scores = cue_scores(article.title, article.text, self.sections)
        return self.sections[choose(odds, self.prior, scores)].name, calls

    async def _odds(self, title: str, lead: str, calls: list[Completion]) -> list[float]:
        letters = LETTERS[:len(self.sections)]
        prompt = self.prompts.render("section.j2", title=as_data(" ".join(title.split())),
                                     lead=as_data(" ".join(lead.split())), sections=self.sections,
                                     letters=letters)
        odds, call = await self.client.first_token_odds([{"role": "user", "content": prompt}], letters)
        calls.append(call)
        return odds
