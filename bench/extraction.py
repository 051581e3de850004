"""Extraction on real third-party pages: the project's chain against bare trafilatura, in one run.

    python bench/extraction.py [--realdata DIR] [--set NAME] [-v]

For every set in ``../shared/realdata`` (see bench/realdata.py; skipped cleanly when absent) it
prints, for bare ``trafilatura.extract(html, url=url)`` (its defaults) and for the project
(``summarizer.sources.extract.choose_text``, what the digest uses), per set:

* F1: the ScrapingHub article-extraction metric the realdata README describes (tokens ``\\w+``,
  each CJK character one token; multiset 4-gram shingles; precision and recall averaged over
  documents, F1 of the two means). trafilatura-eval has snippet gold instead: pooled P/R/F1 over
  its must-have (``with``) and must-not-have (``without``) snippets. gne-news-html is scored
  against another extractor's output for 20 pages (loose, not human gold). dragnet's gold marks the
  page's reader comments apart from the article: the set is scored on the article (the digest's task;
  the digest sends the model the article, not the comments), and a second line scores the article
  and comments together (dragnet's other task), for bare trafilatura with and without its comments.
* empty: pages with no text at all; skip: pages the digest would refuse by its length rule.
* CPU ms a page for each (process time: the machine is shared), and the chain's cost ratio
  (project time / bare time) over all pages.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import trafilatura  # noqa: E402  (the baseline itself; the project reaches it only through extract.py)
from realdata import SETS, Page, located, pages  # noqa: E402

from summarizer.errors import ExtractError  # noqa: E402
from summarizer.sources.extract import choose_text, skip_reason  # noqa: E402

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")


def shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    toks = _TOKEN.findall(text.lower())
    return Counter(tuple(toks[i:i + size]) for i in range(len(toks) - size + 1))


@dataclass
class Tally:
    """Scores of one extractor on one set."""

    precisions: list[float] = field(default_factory=list)
    recalls: list[float] = field(default_factory=list)
    snippets: Counter[str] = field(default_factory=Counter)  # tp / fp / fn over snippets
    empty: int = 0
    skipped: int = 0
    seconds: float = 0.0
    pages: int = 0

    def add_text(self, gold: str, found: str) -> None:
        want, got = shingles(gold), shingles(found)
        tp = sum((want & got).values())
        if sum(got.values()):
            self.precisions.append(tp / sum(got.values()))
        if sum(want.values()):
            self.recalls.append(tp / sum(want.values()))

    def add_snippets(self, page: Page, found: str) -> None:
        flat = " ".join(found.split())
        for snippet in page.must:
            self.snippets["tp" if " ".join(snippet.split()) in flat else "fn"] += 1
        for snippet in page.must_not:
            if " ".join(snippet.split()) in flat:
                self.snippets["fp"] += 1

    def prf(self) -> tuple[float, float, float]:
        if self.snippets:
            tp, fp, fn = self.snippets["tp"], self.snippets["fp"], self.snippets["fn"]
            p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
        else:
            p = sum(self.precisions) / max(1, len(self.precisions))
            r = sum(self.recalls) / max(1, len(self.recalls))
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def bare(page: Page) -> str:
    return trafilatura.extract(page.html, url=page.url) or ""


def project(page: Page) -> tuple[str, str, str | None]:
    """(text, method, why the digest would skip it or None)."""
    try:
        got = choose_text(url=page.url, html=page.html, min_zi=0)
    except ExtractError:
        return "", "none", "no text"
    return got.text, got.method, skip_reason(got.text)


@dataclass
class SetResult:
    name: str
    bare: Tally
    chain: Tally
    methods: Counter[str]
    rows: list[str]
    # scored against article and reader comments, on sets whose gold marks comments: bare, bare without
    # its comments, project
    whole: tuple[Tally, Tally, Tally] = field(default_factory=lambda: (Tally(), Tally(), Tally()))


def _score_whole(tallies: tuple[Tally, Tally, Tally], page: Page, bare_text: str, text: str) -> None:
    """Score a page with reader comments against its article and comments together (see SetResult)."""
    whole = f"{page.gold}\n{page.gold_comments}"
    plain = trafilatura.extract(page.html, url=page.url, include_comments=False) or ""
    for tally, found in zip(tallies, (bare_text, plain, text), strict=True):
        tally.add_text(whole, found)


def run_set(name: str, items: list[Page]) -> SetResult:
    result = SetResult(name, Tally(), Tally(), Counter[str](), [])
    b, c = result.bare, result.chain
    for page in items:
        start = time.process_time()
        bare_text = bare(page)
        middle = time.process_time()
        text, method, why = project(page)
        end = time.process_time()
        b.seconds += middle - start
        c.seconds += end - middle
        result.methods[method] += 1
        for tally, found, skip in ((b, bare_text, skip_reason(bare_text)), (c, text, why)):
            tally.pages += 1
            tally.empty += not found.strip()
            tally.skipped += skip is not None
            if page.must or page.must_not:
                tally.add_snippets(page, found)
            elif page.gold:
                tally.add_text(page.gold, found)
        if page.gold_comments:
            _score_whole(result.whole, page, bare_text, text)
        if page.gold:
            one_b, one_c = Tally(), Tally()
            one_b.add_text(page.gold, bare_text)
            one_c.add_text(page.gold, text)
            result.rows.append(f"  {page.id}: bare {one_b.prf()[2]:.3f} chain {one_c.prf()[2]:.3f} [{method}]"
                               + (f" skip: {why}" if why else ""))
    return result


def report(realdata: Path, names: list[str], verbose: bool = False) -> list[str]:
    lines = [f"{'set':26} {'pages':>5} | {'bare P/R/F1':>17} {'empty':>5} {'skip':>4} {'ms':>5} | "
             f"{'project P/R/F1':>17} {'empty':>5} {'skip':>4} {'ms':>5} | chosen"]
    total_b = total_c = 0.0
    for name in names:
        items = pages(realdata, name)
        if not items:
            lines.append(f"{name:26} (absent)")
            continue
        result = run_set(name, items)
        total_b += result.bare.seconds
        total_c += result.chain.seconds
        cells = []
        for tally in (result.bare, result.chain):
            p, r, f = tally.prf()
            cells.append(f"{p:.3f}/{r:.3f}/{f:.3f} {tally.empty:5} {tally.skipped:4} "
                         f"{1000 * tally.seconds / tally.pages:5.0f}")
        methods = ", ".join(f"{m} {n}" for m, n in result.methods.most_common())
        mark = "" if result.chain.prf()[2] >= result.bare.prf()[2] - 1e-9 else "  << below bare"
        lines.append(f"{name:26} {len(items):5} | {cells[0]} | {cells[1]} | {methods}{mark}")
        if result.whole[0].recalls:
            f1 = [f"{tally.prf()[2]:.3f}" for tally in result.whole]
            lines.append(f"  ({name}, its {len(result.whole[0].recalls)} pages with reader comments scored "
                         f"against article + comments: bare F1 {f1[0]}, bare without comments {f1[1]}, "
                         f"project {f1[2]} (the digest leaves comments out))")
        if verbose:
            lines += result.rows
    if total_b:
        lines.append(f"chain cost ratio: {total_c / total_b:.2f}x bare trafilatura "
                     f"({1000 * total_c:.0f} ms against {1000 * total_b:.0f} ms over all pages)")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--realdata", help="folder of the real data (default: <repo>/../shared/realdata)")
    parser.add_argument("--set", action="append", choices=sorted(SETS), help="only these sets")
    parser.add_argument("-v", action="store_true", help="every page's F1")
    args = parser.parse_args()
    realdata = located(args.realdata)
    if realdata is None:
        return 0
    print("\n".join(report(realdata, args.set or list(SETS), args.v)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
