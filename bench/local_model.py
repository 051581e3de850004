"""Throughput and memory of the bundled local model on this machine, for each model size.

    python bench/local_model.py [--articles N] [--models qwen2.5-coder-0.5b,qwen2.5-coder-1.5b]

Summarizes the first N demo articles (examples/articles) through the real
pipeline code (llama-server + openai client + validation) and prints, per
model: articles per minute, seconds per article, valid items, re-asks, and
the server's peak RSS (VmHWM) next to this process's.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from summarizer.config import DEFAULT_SECTIONS  # noqa: E402
from summarizer.errors import SummarizerError  # noqa: E402
from summarizer.extract import choose_text  # noqa: E402
from summarizer.llm import Endpoint, LLMClient  # noqa: E402
from summarizer.local import LocalServer, ensure_model  # noqa: E402
from summarizer.summarize import Article, Rules, Summarizer  # noqa: E402
from summarizer.text import text_hash  # noqa: E402


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def articles(n: int) -> list[Article]:
    out = []
    for page in sorted((ROOT / "examples" / "articles").glob("*.html"))[:n]:
        ex = choose_text(url=page.as_uri(), html=page.read_bytes())
        out.append(Article(url=page.as_uri(), canonical_url=page.as_uri(), title=ex.title, source="bench",
                           published=None, text=ex.text, zi=ex.zi, text_hash=text_hash(ex.text)))
    return out


async def run_model(name: str, items: list[Article]) -> dict[str, float]:
    path = ensure_model(name)
    rules = Rules(sections=tuple(s.name for s in DEFAULT_SECTIONS))
    with LocalServer(model_path=path, slots=1) as server:
        assert server.process is not None
        client = LLMClient(Endpoint(name, server.base_url, "local"), max_retries=0, timeout=900, seed=0)
        summarizer = Summarizer(client, rules=rules, sections=DEFAULT_SECTIONS, token_budget=3000,
                                length_constraints=True)
        ok = reasks = 0
        started = time.monotonic()
        for article in items:
            try:
                result = await summarizer.summarize(article)
                ok += 1
                reasks += len(result.attempts) - 1
            except SummarizerError as exc:
                reasks += 2
                print(f"  {name}: {exc}"[:200], file=sys.stderr)
        seconds = time.monotonic() - started
        rss = peak_rss_mb(server.process.pid)
        await client.aclose()
    return {"seconds": seconds, "ok": ok, "reasks": reasks, "server_rss_mb": rss}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=3)
    parser.add_argument("--models", default="qwen2.5-coder-0.5b,qwen2.5-coder-1.5b")
    args = parser.parse_args()
    items = articles(args.articles)
    print(f"{len(items)} demo articles, {sum(a.zi for a in items)} 字 in all, 1 slot, 2 threads")
    print(f"{'model':<22}{'art/min':>9}{'s/article':>11}{'valid':>7}{'re-asks':>9}{'server peak RSS':>17}")
    for name in args.models.split(","):
        r = asyncio.run(run_model(name, items))
        n = len(items)
        print(f"{name:<22}{n / r['seconds'] * 60:>9.2f}{r['seconds'] / n:>11.1f}{int(r['ok']):>5}/{n}"
              f"{int(r['reasks']):>9}{r['server_rss_mb']:>14.0f} MB")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"this process peak RSS: {own:.0f} MB")


if __name__ == "__main__":
    main()
