"""Data-side quality on the labelled fixtures: duplicate merging and text extraction.

    python bench/quality_data.py [-v]

Prints (and ``report()`` returns) these lines:

* duplicate-merge precision and recall over article pairs, on bench/fixtures/stories.yaml
  (36 articles, 27 stories: rewrites and condensed copies of the same news by different
  sites in Chinese and English, and look-alikes about the same company that are different
  stories; the thresholds in summarizer/dedup.py were set on it) and on
  bench/fixtures/stories_heldout.yaml (11 articles written afterwards, never used to tune);
* extraction F1 over token 4-gram shingles (tokens: CJK characters and Latin words) for bare
  trafilatura (its default mode, what the pipeline used before the chain) and for the
  fallback chain (summarizer.sources.extract.choose_text), per language group, on the 36 pages in
  bench/fixtures/pages against the hand-written expected text in bench/fixtures/expected, and
  on the 7 article pages of tests/fixtures/pages (written by another author, never used to
  tune the chain) against bench/fixtures/heldout_expected (their article body, checked by hand).

``-v`` also prints each page's scores and the chain's chosen extractor.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from summarizer.sources.extract import choose_text, page_text  # noqa: E402
from summarizer.text import count_zi  # noqa: E402
from summarizer.trust.dedup import StoryDoc, group_stories, pair_scores, tokens  # noqa: E402

FIXTURES = ROOT / "bench" / "fixtures"
SITES = {"zh": "news.example.cn", "en": "news.example.com"}


@dataclass(frozen=True)
class PageScore:
    id: str
    lang: str
    bare_f1: float
    chain_f1: float
    method: str


def stories(name: str = "stories.yaml") -> list[dict[str, Any]]:
    return yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))


def shingle_f1(expected: str, found: str, size: int = 4) -> float:
    """F1 of the token 4-gram shingle sets of two texts (1.0 when both are empty)."""
    def grams(text: str) -> set[tuple[str, ...]]:
        toks = tokens(text)
        return {tuple(toks[i:i + size]) for i in range(max(0, len(toks) - size + 1))}

    want, got = grams(expected), grams(found)
    if not want and not got:
        return 1.0
    shared = len(want & got)
    if not shared:
        return 0.0
    precision, recall = shared / len(got), shared / len(want)
    return 2 * precision * recall / (precision + recall)


def score_page(page_id: str, lang: str, html: bytes, expected: str) -> PageScore:
    url = f"https://{SITES[lang]}/{page_id}.html"
    bare, _ = page_text(html, url=url)
    chosen = choose_text(url=url, html=html, min_zi=0)
    return PageScore(page_id, lang, shingle_f1(expected, bare), shingle_f1(expected, chosen.text),
                     chosen.method)


def extraction_scores() -> list[PageScore]:
    """The 36 pages built for this bench (the chain's signals were developed on them)."""
    return [score_page(story["id"], story["lang"], (FIXTURES / "pages" / f"{story['id']}.html").read_bytes(),
                       (FIXTURES / "expected" / f"{story['id']}.txt").read_text(encoding="utf-8"))
            for story in stories()]


def heldout_extraction_scores() -> list[PageScore]:
    """The pipeline's own test pages (tests/fixtures/pages, another author's layouts), never used to tune."""
    scores = []
    for expected in sorted((FIXTURES / "heldout_expected").glob("*.txt")):
        html = (ROOT / "tests" / "fixtures" / "pages" / f"{expected.stem}.html").read_bytes()
        lang = "en" if expected.stem.startswith(("en-", "old")) else "zh"
        scores.append(score_page(expected.stem, lang, html, expected.read_text(encoding="utf-8")))
    return scores


def dedup_scores(name: str = "stories.yaml") -> tuple[float, float, int, int]:
    """(precision, recall, articles, labelled stories) of group_stories on one labelled set."""
    docs, truth = [], {}
    for story in stories(name):
        key = f"https://{SITES[story['lang']]}/{story['id']}.html"
        text = "\n".join(story["paras"])
        docs.append(StoryDoc(key=key, title=story["title"], text=text, zi=count_zi(text)))
        truth[key] = story["story"]
    precision, recall = pair_scores(group_stories(docs), truth)
    return precision, recall, len(docs), len(set(truth.values()))


def report(verbose: bool = False) -> list[str]:
    """The lines bench/quality.py prints for the data half of the quality report."""
    lines = []
    for name, label in (("stories.yaml", "tuning set"), ("stories_heldout.yaml", "held-out set")):
        precision, recall, n_docs, n_stories = dedup_scores(name)
        lines.append(f"duplicate merge ({label}): precision {precision:.2f}, recall {recall:.2f} "
                     f"(article pairs; {n_docs} articles, {n_stories} labelled stories)")
    scores = extraction_scores()
    heldout = heldout_extraction_scores()
    for label, group_scores in (("", scores), (", held-out", heldout)):
        for lang in ("zh", "en"):
            group = [s for s in group_scores if s.lang == lang]
            bare = sum(s.bare_f1 for s in group) / len(group)
            chain = sum(s.chain_f1 for s in group) / len(group)
            methods = ", ".join(f"{m} {n}" for m, n in sorted(Counter(s.method for s in group).items()))
            lines.append(f"extraction F1 ({lang}{label}, {len(group)} pages): bare trafilatura {bare:.3f}, "
                         f"chain {chain:.3f} (chosen: {methods})")
    if verbose:
        lines += [f"  {s.id}: bare {s.bare_f1:.3f} chain {s.chain_f1:.3f} [{s.method}]"
                  for s in scores + heldout]
    return lines


if __name__ == "__main__":
    print("\n".join(report(verbose="-v" in sys.argv[1:])))
