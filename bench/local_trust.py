"""Can an editor trust the bundled model's draft? Measured on real pages, not the demo.

    python bench/local_trust.py [--pages 24] [--demo] [--model qwen2.5-coder-1.5b] [--realdata DIR]

Runs the real code (llama.cpp server + openai client + validation + trust checks) on pages of
bench/fixtures/sections.yaml: real third-party pages from ../shared/realdata (Chinese and English news,
English business news with figures among them) whose right section was labelled by hand (the file's
header says how). ``--demo`` runs the seven demo articles instead. Prints per page its section (model /
label), flags and notes, then: items with trust flags, unsupported claims per 100 bullets, bullets with
English words, magnitude errors, section accuracy with its confusion, and seconds an article.
``--sections`` chooses only the section of every labelled page (100 of them, as the run does: the model's
calibrated odds and the cue words, model/sections.py), split into the half the weights were set on and
the held-out half.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from realdata import located  # noqa: E402

from summarizer.config import DEFAULT_SECTIONS  # noqa: E402
from summarizer.errors import SummarizerError  # noqa: E402
from summarizer.model.llm import Endpoint, LLMClient  # noqa: E402
from summarizer.model.local import LocalServer, ensure_model  # noqa: E402
from summarizer.model.prompts import Prompts  # noqa: E402
from summarizer.model.providers import local_sampling  # noqa: E402
from summarizer.model.sections import SectionChooser  # noqa: E402
from summarizer.model.summarize import Article, Rules, Summarizer  # noqa: E402
from summarizer.sources.extract import choose_text  # noqa: E402
from summarizer.text import text_hash  # noqa: E402
from summarizer.trust.checks import GENERIC_TERMS, JARGON, Source  # noqa: E402
from summarizer.trust.latin import english_words  # noqa: E402

LABELS = ROOT / "bench" / "fixtures" / "sections.yaml"


def spread(group: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pages round-robin over their sections, so that every section is run."""
    by: dict[str, list[dict[str, Any]]] = {}
    for page in group:
        by.setdefault(page["section"], []).append(page)
    out: list[dict[str, Any]] = []
    while any(by.values()):
        out.extend(by[name].pop(0) for name in list(by) if by[name])
    return out


def by_language(real: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    english = [p for p in real if p["lang"] == "en"]
    figures = [p for p in english if p.get("figures")][:6]
    return spread([p for p in real if p["lang"] == "zh"]), figures + spread([p for p in english
                                                                            if p not in figures])


def pick(pages: list[dict[str, Any]], n: int, demo: bool) -> list[dict[str, Any]]:
    """``n`` labelled pages, alternating Chinese and English; six English ones with figures first."""
    if demo:
        return [p for p in pages if p.get("demo")]
    zh, en = by_language([p for p in pages if not p.get("demo")])
    mixed = [p for pair in zip(zh, en, strict=False) for p in pair]
    return (mixed + zh[len(en):] + en[len(zh):])[:n]


def article(page: dict[str, Any], realdata: Path) -> Article | None:
    path = ROOT / page["path"] if page.get("demo") else realdata / page["path"]
    try:
        ex = choose_text(url=path.as_uri(), html=path.read_bytes())
    except SummarizerError:
        return None  # a teaser the run would skip too
    if not ex.text.strip():
        return None
    return Article(url=path.as_uri(), canonical_url=path.as_uri(), title=ex.title, source="bench",
                   published=None, text=ex.text, zi=ex.zi, text_hash=text_hash(ex.text))


async def run(items: list[tuple[dict[str, Any], Article]], model: str) -> list[dict[str, Any]]:
    rules = Rules(sections=tuple(s.name for s in DEFAULT_SECTIONS))
    rows = []
    with LocalServer(model_path=ensure_model(model), slots=1) as server:
        client = LLMClient(Endpoint(model, server.base_url, "local"), max_retries=0, timeout=1800, seed=0,
                           on_tokens=lambda _: None, sampling=local_sampling(),
                           repeat_sampling=local_sampling(repeated=True))  # as providers.Provider has them
        summarizer = Summarizer(client, rules=rules, sections=DEFAULT_SECTIONS, token_budget=3000,
                                length_constraints=True, classify=True)
        for page, art in items:
            began = time.monotonic()
            try:
                result = await summarizer.summarize(art)
            except SummarizerError as exc:
                print(f"  {page['path'][-58:]}: FAILED {str(exc)[-300:]}", flush=True)
                print(f"      last reply: {getattr(exc, 'raw', '')[:600]}", flush=True)
                rows.append({"page": page, "failed": True, "seconds": time.monotonic() - began})
                continue
            row = measure(page, art, result, time.monotonic() - began)
            rows.append(row)
            print_row(row)
        await client.aclose()
    return rows


def _magnitude_errors(problems: list[Any], source: Source) -> int:
    return sum(1 for p in problems if p.kind == "magnitude" or _wrong_scale(p, source))


def _wrong_scale(problem: Any, source: Source) -> bool:
    term = problem.term or ""
    digits = re.sub(r"\s*[万亿].*", "", term)
    return problem.kind == "number" and bool(re.search(r"\d\s?[万亿]", term)) and digits in source.figures


def measure(page: dict[str, Any], art: Article, result: Any, seconds: float) -> dict[str, Any]:
    source = Source.of(art.title, art.text)
    problems = result.check.problems
    texts = [result.summary.headline, *result.summary.bullets]
    return {
        "page": page, "failed": False, "seconds": seconds, "section": result.summary.section,
        "reply_section": result.reply_section,
        "trust": [p for p in problems if p.trust], "notes": [p for p in problems if not p.trust],
        "claims": sum(1 for p in problems if p.unsupported_claim and p.bullet is not None),
        # As the check counts them: jargon Chinese keeps ("token") and generic terms ("AI") are not English.
        "english": [w for t in texts for w in english_words(t, source.latin)
                    if w.lower() not in JARGON | GENERIC_TERMS],
        # The magnitude check's finds, and a source figure given a 万/亿 it does not have ("14亿" for 14 GB),
        # which the number check flags as a figure not in the source.
        "magnitudes": _magnitude_errors(problems, source),
        "bullets": result.summary.bullets, "headline": result.summary.headline,
        "evidence": [e.sentence if e is not None else None for e in result.check.evidence],
    }


def print_row(row: dict[str, Any]) -> None:
    page = row["page"]
    mark = "ok" if row["section"] == page["section"] else "WRONG"
    print(f"  {page['path'][-58:]:<58} {row['seconds']:>5.0f}s  {row['section']}/{page['section']} {mark}"
          f"  trust {len(row['trust'])}  notes {len(row['notes'])}", flush=True)
    print(f"      {row['headline']}")
    for bullet, evidence in zip(row["bullets"], row["evidence"] or [None] * 3, strict=False):
        print(f"      - {bullet}")
        print(f"        ↳ {evidence[:160] if evidence else '(no aligned source sentence)'}")
    for problem in row["trust"]:
        print(f"      ⚠️ {problem.message}")
    if row["english"]:
        print(f"      English words: {row['english']}")


def report(rows: list[dict[str, Any]]) -> None:
    done = [r for r in rows if not r["failed"]]
    bullets = 3 * len(done)
    flagged = sum(1 for r in done if r["trust"])
    english = sum(1 for r in done for b in r["bullets"] if english_words_in(r, b))
    print(f"\n{len(rows)} pages ({sum(1 for r in rows if r['page']['lang'] == 'zh')} Chinese), "
          f"{len(done)} summarized, {len(rows) - len(done)} failed")
    print(f"items with trust flags:        {flagged} of {len(done)}")
    print(f"unsupported claims:            {100 * sum(r['claims'] for r in done) / max(1, bullets):.1f} "
          "per 100 bullets")
    print(f"bullets with English words:    {english} of {bullets}")
    print(f"magnitude errors:              {sum(r['magnitudes'] for r in done)}")
    sections(done)
    seconds = sum(r["seconds"] for r in rows)
    print(f"seconds an article:            {seconds / max(1, len(rows)):.1f} "
          f"(load {' '.join(f'{x:.1f}' for x in os.getloadavg())})")


def sections(done: list[dict[str, Any]]) -> None:
    if any(r["reply_section"] is not None for r in done):
        alone = sum(1 for r in done if r["reply_section"] == r["page"]["section"])
        print(f"section named in the reply:    {alone}/{len(done)} = {alone / max(1, len(done)):.0%} "
              "(the model alone, before odds and cues)")
    right = sum(1 for r in done if r["section"] == r["page"]["section"])
    print(f"section accuracy:              {right}/{len(done)} = {right / max(1, len(done)):.0%}")
    confusion = Counter((r["page"]["section"], r["section"]) for r in done)
    names = [s.name for s in DEFAULT_SECTIONS]
    print("confusion (rows: label, columns: model): " + "  ".join(names))
    for label in names:
        print(f"  {label:<6}" + "".join(f"{confusion[(label, m)]:>8}" for m in names))


async def run_sections(items: list[tuple[dict[str, Any], Article]], model: str,
                       all_pages: list[dict[str, Any]]) -> None:
    """Only the section of every labelled page, as the run chooses it (odds and cues, no summary)."""
    rows: list[dict[str, Any]] = []
    with LocalServer(model_path=ensure_model(model), slots=1) as server:
        client = LLMClient(Endpoint(model, server.base_url, "local"), max_retries=0, timeout=600)
        chooser = SectionChooser(client, Prompts(), DEFAULT_SECTIONS)
        began = time.monotonic()
        for page, art in items:
            got, _ = await chooser.section_of(art)
            rows.append({"page": page, "section": got or "", "reply_section": None})
            mark = "ok" if got == page["section"] else "WRONG"
            print(f"  {page['path'][-58:]:<58} {got}/{page['section']} {mark}", flush=True)
        await client.aclose()
    # The weights of model/sections.py were set on the pages at even places in the labels file.
    place = {id(p): i for i, p in enumerate(all_pages)}
    for name, even in (("set on (even)", True), ("held out (odd)", False)):
        part = [r for r in rows if (place[id(r["page"])] % 2 == 0) == even]
        right = sum(1 for r in part if r["section"] == r["page"]["section"])
        print(f"section accuracy, {name:<15} {right}/{len(part)} = {right / max(1, len(part)):.0%}")
    sections(rows)
    print(f"seconds a page:                {(time.monotonic() - began) / max(1, len(rows)):.1f}")


def english_words_in(row: dict[str, Any], bullet: str) -> bool:
    return any(w in bullet for w in row["english"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument("--demo", action="store_true", help="the seven demo articles instead")
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--realdata")
    parser.add_argument("--labels", default=str(LABELS), help="the labelled pages (YAML)")
    parser.add_argument("--only", help="only the pages whose path contains this")
    parser.add_argument("--sections", action="store_true",
                        help="only the section of every labelled page (odds and cues, no summary)")
    args = parser.parse_args()
    realdata = located(args.realdata)
    if realdata is None:
        return
    pages = yaml.safe_load(Path(args.labels).read_text(encoding="utf-8"))["pages"]
    if args.sections:
        labelled = [(p, a) for p in pages if (a := article(p, realdata)) is not None]
        print(f"{len(labelled)} labelled pages, sections only, model {args.model}", flush=True)
        asyncio.run(run_sections(labelled, args.model, pages))
        return
    chosen = [p for p in pages if args.only in p["path"]] if args.only else pick(pages, args.pages, args.demo)
    items = [(p, a) for p in chosen if (a := article(p, realdata)) is not None]
    print(f"{len(items)} pages, model {args.model}, 1 slot, {os.cpu_count()} threads", flush=True)
    report(asyncio.run(run(items, args.model)))


if __name__ == "__main__":
    main()
