"""Quality of the summaries the pipeline lets through, on labelled fixtures.

    python bench/quality.py [--fixtures bench/fixtures/quality_replies.yaml]

Each fixture is a demo article plus canned model replies, some with planted
faults (a wrong figure, a foreign name, a fake quote, a repeated bullet, a
copied sentence, an off-subject headline, an English bullet). The replies are
served by the fake OpenAI-compatible server from summarizer/testing.py over
loopback and go through the real openai client, the real Summarizer (format
validation, trust checks, re-asks). Prints: format pass rate, unsupported
claims per 100 bullets before and after the re-ask, quote-found rate, coverage
of thirds, how many planted faults the checks caught and how many problems
they raised on clean replies. Then the lines of bench/quality_data.py
(duplicate merging, extraction), if that module is present.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from summarizer.config import DEFAULT_SECTIONS  # noqa: E402
from summarizer.errors import SummarizerError  # noqa: E402
from summarizer.model.llm import Endpoint, LLMClient  # noqa: E402
from summarizer.model.summarize import Article, Rules, Summarizer, SummaryResult  # noqa: E402
from summarizer.sources.extract import choose_text  # noqa: E402
from summarizer.testing import FakeOpenAI, Reply  # noqa: E402
from summarizer.text import text_hash  # noqa: E402
from summarizer.trust.checks import CheckResult  # noqa: E402

FIXTURES = ROOT / "bench" / "fixtures" / "quality_replies.yaml"


# The fixtures plant a number, a name or a language fault; these finer kinds are one of them.
KIND_OF = {"magnitude": "number", "half_name": "name", "english": "language"}


@dataclass
class Case:
    article: Article
    planted: list[str]
    replies: list[dict[str, Any]]
    still: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    case: Case
    result: SummaryResult | None
    requests: int
    first_format_ok: bool
    first_format_error: str | None
    detected: set[str] = field(default_factory=set)  # kinds found in the first reply


def load_cases(path: Path) -> list[Case]:
    cases = []
    for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
        page = ROOT / entry["article"]
        extracted = choose_text(url=page.as_uri(), html=page.read_bytes())
        article = Article(url=page.as_uri(), canonical_url=page.as_uri(), title=extracted.title,
                          source="bench", published=None, text=extracted.text, zi=extracted.zi,
                          text_hash=text_hash(extracted.text))
        cases.append(Case(article, list(entry.get("planted") or []), list(entry["replies"]),
                          list(entry.get("still") or [])))
    return cases


async def run_case(summarizer: Summarizer, fake: FakeOpenAI, case: Case) -> Outcome:
    replies = [json.dumps(r, ensure_ascii=False) for r in case.replies]
    fake.queue.clear()
    fake.push(*(Reply(r) for r in replies))
    fake.responder = lambda body: Reply(replies[-1])
    before = len(fake.requests)
    try:
        result: SummaryResult | None = await summarizer.summarize(case.article)
    except SummarizerError:
        result = None
    requests = len(fake.requests) - before
    first_error = result.attempts[0].error if result else "invalid"
    format_ok = first_error is None or first_error.startswith("核查未通过")
    outcome = Outcome(case, result, requests, format_ok, None if format_ok else first_error)
    if result is not None:
        if format_ok:
            outcome.detected = {KIND_OF.get(p.kind, p.kind) for p in result.first_check.problems}
        elif first_error and "不是中文" in first_error:
            outcome.detected = {"language"}
    return outcome


def per_100(count: int, bullets: int) -> float:
    return 100.0 * count / bullets if bullets else 0.0


def report(outcomes: list[Outcome]) -> list[str]:
    done = [o for o in outcomes if o.result is not None]
    first_valid = [o for o in done if o.first_format_ok]
    return [*_rate_lines(outcomes, done, first_valid), *_fault_lines(outcomes, done),
            *(_case_line(o) for o in outcomes)]


def _checks(items: list[Outcome], *, first: bool) -> list[CheckResult]:
    return [(o.result.first_check if first else o.result.check) for o in items if o.result]


def _bullets(items: list[Outcome]) -> int:
    return sum(len(o.result.summary.bullets) for o in items if o.result)


def _rate_lines(outcomes: list[Outcome], done: list[Outcome], first_valid: list[Outcome]) -> list[str]:
    n = len(outcomes)
    before, after = _checks(first_valid, first=True), _checks(done, first=False)
    full = sum(1 for c in after if c.full_coverage)
    thirds = sum(len(c.thirds) for c in after)
    return [
        f"summaries (labelled fixtures):   {n} articles, {sum(o.requests for o in outcomes)} model requests, "
        f"{sum(o.result.check_reasks for o in done if o.result)} trust re-asks",
        f"format pass rate:                first reply {len(first_valid)}/{n} "
        f"({100 * len(first_valid) / n:.0f}%), "
        f"after re-asks {len(done)}/{n} ({100 * len(done) / n:.0f}%)",
        f"unsupported claims / 100 bullets: before re-ask "
        f"{per_100(sum(c.unsupported_claims for c in before), _bullets(first_valid)):.1f}, "
        f"after {per_100(sum(c.unsupported_claims for c in after), _bullets(done)):.1f}",
        f"quote-found rate:                before re-ask {_rate(before)}, after {_rate(after)}",
        f"coverage of thirds:              {full}/{len(after)} items quote all three thirds, "
        f"{thirds / len(after) if after else 0:.2f} thirds per item",
    ]


def _fault_lines(outcomes: list[Outcome], done: list[Outcome]) -> list[str]:
    planted = sum(len(o.case.planted) for o in outcomes)
    caught = sum(len(set(o.case.planted) & o.detected) for o in outcomes)
    clean = [o for o in outcomes if not o.case.planted]
    false_alarms = sum(len(o.result.first_check.problems) for o in clean if o.result)
    unplanted = sum(len(o.detected - set(o.case.planted)) for o in outcomes)
    return [
        f"planted faults caught:           {caught}/{planted} on the first reply; "
        f"{unplanted} unplanted problem kinds; {false_alarms} problems on {len(clean)} clean replies",
        _flagged_line(outcomes, done),
    ]


def _flagged_line(outcomes: list[Outcome], done: list[Outcome]) -> str:
    after = _checks(done, first=False)
    kept = sum(len(set(o.case.still) & {p.kind for p in o.result.check.problems}) for o in done if o.result)
    expected_kept = sum(len(o.case.still) for o in outcomes)
    unexpected = sum(len([p for p in o.result.check.problems if p.kind not in o.case.still])
                     for o in done if o.result)
    return (f"flagged after the re-ask:        {sum(1 for c in after if c.problems)}/{len(after)} items, "
            f"{sum(len(c.problems) for c in after)} flags; {kept}/{expected_kept} kept faults flagged, "
            f"{unexpected} flags on fixed or clean replies")


def _case_line(o: Outcome) -> str:
    name = Path(o.case.article.url).name
    kinds = ",".join(sorted(o.detected)) or "-"
    left = ",".join(sorted({p.kind for p in o.result.check.problems})) if o.result else "failed"
    spread = ",".join(str(t + 1) for t in o.result.check.thirds) if o.result else "-"
    return (f"  {name:<30} planted {','.join(o.case.planted) or '-':<15} caught {kinds:<15} "
            f"flagged {left or '-':<7} thirds {spread:<6} requests {o.requests}")


def _rate(results: list[CheckResult]) -> str:
    found = sum(c.quotes_found for c in results)
    total = sum(c.quotes_total for c in results)
    return f"{found}/{total} ({100 * found / total:.0f}%)" if total else "n/a"


async def run(path: Path) -> list[str]:
    cases = load_cases(path)
    fake = FakeOpenAI()
    client = LLMClient(Endpoint("fake-model", fake.base_url, "bench"), max_retries=0)
    rules = Rules(sections=tuple(s.name for s in DEFAULT_SECTIONS))
    summarizer = Summarizer(client, rules=rules, sections=DEFAULT_SECTIONS, token_budget=3000)
    try:
        return report([await run_case(summarizer, fake, case) for case in cases])
    finally:
        await client.aclose()
        fake.close()


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", type=Path, default=FIXTURES)
    args = parser.parse_args(argv)
    lines = asyncio.run(run(args.fixtures))
    try:
        import quality_data  # written on the trust-data branch: duplicate merging and extraction
    except ImportError:
        lines.append("(bench/quality_data.py not present: no duplicate-merge or extraction numbers)")
    else:
        lines.extend(quality_data.report())
    for line in lines:
        print(line)
    return lines


if __name__ == "__main__":
    main()
