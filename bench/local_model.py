"""Speed, quality and memory of the bundled local model on this machine, for each model size.

    python bench/local_model.py [--articles N] [--models qwen2.5-coder-0.5b,qwen2.5-coder-1.5b] [--reask-all]
                                [--no-dry]

Summarizes the first N demo articles (examples/articles) through the real
code (xllamacpp's server in its child process + openai client + validation +
trust checks), one slot with every thread as the pipeline runs it, and prints
for each article: wall time, calls, prompt tokens (of them cached), output
tokens, the server's own time, and what the runtime alone takes for the same
tokens (measured first with a plain request: no grammar, no re-ask); then per
model the average, valid items, flags an item, bullets cut mid-sentence, and
peak memory (the server process's VmHWM). ``--reask-all`` re-asks every trust problem (not only the
figures and names the local profile re-asks) and reports which kinds a re-ask
fixed. The machine's load average is printed with every model: timings on a
shared machine are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from summarizer.config import DEFAULT_SECTIONS  # noqa: E402
from summarizer.errors import SummarizerError  # noqa: E402
from summarizer.model.llm import Endpoint, LLMClient  # noqa: E402
from summarizer.model.local import LocalServer, ensure_model  # noqa: E402
from summarizer.model.providers import local_sampling  # noqa: E402
from summarizer.model.summarize import Article, Rules, Summarizer, SummaryResult  # noqa: E402
from summarizer.sources.extract import choose_text  # noqa: E402
from summarizer.text import ends_sentence, text_hash  # noqa: E402


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def load() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def articles(n: int) -> list[Article]:
    out = []
    for page in sorted((ROOT / "examples" / "articles").glob("*.html"))[:n]:
        ex = choose_text(url=page.as_uri(), html=page.read_bytes())
        out.append(Article(url=page.as_uri(), canonical_url=page.as_uri(), title=ex.title, source="bench",
                           published=None, text=ex.text, zi=ex.zi, text_hash=text_hash(ex.text)))
    return out


async def raw_rates(server: LocalServer, summarizer: Summarizer, article: Article) -> tuple[float, float]:
    """(prompt, output) tokens a second of the runtime alone: the system prompt and an article's opening
    (about 800 tokens, not cached), no grammar, 64 tokens out."""
    import openai

    client = openai.AsyncOpenAI(base_url=server.base_url, api_key="local", timeout=1800)
    messages, _ = summarizer.messages(article)
    messages = [messages[0], {"role": "user", "content": article.text[:200] + "\n\n" + article.text[:200]}]
    response = await client.chat.completions.create(
        model="m", messages=messages, max_tokens=64, temperature=0,  # type: ignore[arg-type]
        extra_body={"cache_prompt": False, "ignore_eos": True})
    await client.close()
    t = (response.model_extra or {})["timings"]
    return float(t["prompt_per_second"]), float(t["predicted_per_second"])


def _row(article: Article, seconds: float, result: Any, rates: tuple[float, float]) -> str:
    attempts = result.attempts
    prompt = sum(a.input_tokens for a in attempts)
    cached = sum(a.cached or 0 for a in attempts)
    output = sum(a.output_tokens for a in attempts)
    server = sum(a.server_seconds or 0 for a in attempts)
    alone = (prompt - cached) / rates[0] + output / rates[1]
    name = Path(article.url).stem[:22]
    return (f"  {name:<23}{seconds:>7.1f}{len(attempts):>6}{prompt:>8}{cached:>7}{output:>6}{server:>8.1f}"
            f"{alone:>8.1f}  {len(result.flags)}  {'; '.join(result.flags)[:120]}")


@dataclass
class _Tally:
    """What a model's summaries of the demo articles add up to."""

    ok: int = 0
    flags: int = 0
    reasks: int = 0
    cut: int = 0  # bullets ending mid-sentence
    fixed: Counter[str] = field(default_factory=Counter)  # trust problems a re-ask fixed, by kind
    asked: Counter[str] = field(default_factory=Counter)  # trust problems re-asked, by kind

    def add(self, result: SummaryResult) -> None:
        self.ok += 1
        self.cut += sum(1 for b in result.summary.bullets if not ends_sentence(b))
        self.flags += len(result.flags)
        self.reasks += len(result.attempts) - 1
        if result.check_reasks:
            before = Counter(p.kind for p in result.first_check.problems)
            after = Counter(p.kind for p in result.check.problems)
            self.asked.update(before)
            self.fixed.update({k: n - after[k] for k, n in before.items() if n > after[k]})


async def run_model(name: str, items: list[Article], reask_all: bool,
                    no_dry: bool = False) -> dict[str, float]:
    path = ensure_model(name)
    rules = Rules(sections=tuple(s.name for s in DEFAULT_SECTIONS))
    print(f"\n{name} ({load()})")
    with LocalServer(model_path=path, slots=1) as server:
        assert server.process is not None
        client = LLMClient(Endpoint(name, server.base_url, "local"), max_retries=0, timeout=1800, seed=0,
                           on_tokens=lambda _: None, sampling=None if no_dry else local_sampling(),
                           repeat_sampling=None if no_dry else local_sampling(repeated=True))
        summarizer = Summarizer(client, rules=rules, sections=DEFAULT_SECTIONS, token_budget=3000,
                                length_constraints=True)
        if reask_all:
            summarizer.reask_kinds = None
        rates = await raw_rates(server, summarizer, items[-1])
        print(f"  runtime alone: prompt {rates[0]:.1f} tokens/s, output {rates[1]:.1f} tokens/s")
        print(f"  {'article':<23}{'wall s':>7}{'calls':>6}{'prompt':>8}{'cached':>7}{'out':>6}{'server':>8}"
              f"{'alone':>8}  flags")
        tally = _Tally()
        started = time.monotonic()
        for article in items:
            began = time.monotonic()
            try:
                result = await summarizer.summarize(article)
            except SummarizerError as exc:
                print(f"  {Path(article.url).stem}: FAILED {exc}"[:200])
                continue
            tally.add(result)
            print(_row(article, time.monotonic() - began, result, rates))
            for attempt in result.attempts:
                if attempt.error:  # why it was re-asked
                    print(f"      re-asked: {attempt.error[:150]}")
        seconds = time.monotonic() - started
        rss = peak_rss_mb(server.process.pid)
        await client.aclose()
    if tally.asked:
        print("  trust re-asks fixed: "
              + ", ".join(f"{k} {tally.fixed[k]}/{n}" for k, n in tally.asked.items()))
    print(f"  bullets ending mid-sentence: {tally.cut} of {3 * tally.ok}")
    return {"seconds": seconds, "ok": tally.ok, "flags": tally.flags, "reasks": tally.reasks,
            "server_rss_mb": rss}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=7)
    parser.add_argument("--models", default="qwen2.5-coder-0.5b,qwen2.5-coder-1.5b")
    parser.add_argument("--reask-all", action="store_true", help="re-ask every trust problem, report fixes")
    parser.add_argument("--no-dry", action="store_true", help="without the DRY sampler (local.SAMPLING)")
    args = parser.parse_args()
    items = articles(args.articles)
    zi = sum(a.zi for a in items)
    print(f"{len(items)} demo articles, {zi} 字 in all, 1 slot, {os.cpu_count()} threads")
    results = {name: asyncio.run(run_model(name, items, args.reask_all, args.no_dry))
               for name in args.models.split(",")}
    print(f"\n{'model':<22}{'s/article':>11}{'valid':>7}{'flags/item':>12}{'re-asks':>9}"
          f"{'server peak RSS':>17}")
    for name, r in results.items():
        n = len(items)
        print(f"{name:<22}{r['seconds'] / n:>11.1f}{int(r['ok']):>5}/{n}{r['flags'] / max(1, r['ok']):>12.2f}"
              f"{int(r['reasks']):>9}{r['server_rss_mb']:>14.0f} MB")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"this process peak RSS: {own:.0f} MB ({load()})")


if __name__ == "__main__":
    main()
