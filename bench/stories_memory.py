"""Story memory judged on real pages: is a new page a story already published, and does it move it on?

    python bench/stories_memory.py [--realdata DIR] [-v]

Story chains from real pages (../shared/realdata; the DAnIEL pages are news of a few days from many
sites): every page of the labelled pairs of bench/fixtures/realdata_pairs.yaml is published on the
first night, and each page comes back on the next night, matched against the memory of all the
others (``trust.memory.StoryMemory``, as a run does with the last ``digest.memory_days`` of issues).

* same story as a published one: a page's match is right when realdata_pairs.yaml labels it the same
  story, wrong when it labels it another; a page with a labelled same-story partner that matches
  nothing, or something else, is missed (pairs by hand, see that file's header);
* follow-up with new facts: on the pairs of bench/fixtures/stories_memory.yaml (the same-story pairs,
  both ways round, labelled by hand: does the later page bring facts the earlier one lacks?),
  ``trust.memory.moves_on`` against the label, the night's year being the DAnIEL page's (its file
  name opens with the day it was fetched) as a run's is its digest date's.

Targets: precision at least 0.95, recall at least 0.9. Then the cost per night of matching against 7
days of a 300-feed store: a synthetic store (40 items a day, each with half a merged copy on average,
from shuffled sentences of the real pages) and a night of 300 feeds x 20 new pages; the time of one
match against the memory beside the time of sketching the page, which the night's own grouping pays
anyway. Synthetic pages are real sentences with their characters (or words) shuffled: a real page's
size and vocabulary, no phrase of another page. ``-v`` lists each page and pair the rules get wrong.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from realdata import located  # noqa: E402
from story_pairs import PAIRS, article  # noqa: E402

from summarizer.text import sentences  # noqa: E402
from summarizer.trust.dedup import Sketch, sketch  # noqa: E402
from summarizer.trust.memory import Remembered, StoryMemory, moves_on, new_facts  # noqa: E402

FOLLOWS = ROOT / "bench" / "fixtures" / "stories_memory.yaml"
FEEDS, NEW_PER_FEED, ITEMS_PER_DAY, COPIES, DAYS = 300, 20, 40, 0.5, 7


def _pr(tp: int, fp: int, fn: int) -> tuple[float, float]:
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def _labels() -> dict[tuple[str, str], bool]:
    """(page, other page) -> whether realdata_pairs.yaml labels them one story, both ways round."""
    label: dict[tuple[str, str], bool] = {}
    for pair in yaml.safe_load(PAIRS.read_text(encoding="utf-8")):
        label[pair["a"], pair["b"]] = label[pair["b"], pair["a"]] = pair["same"]
    return label


def _judge(ref: str, said: str | None, label: dict[tuple[str, str], bool],
           partners: set[str]) -> tuple[int, int, int, str | None]:
    """(right, wrong, missed, why) of one page's match."""
    right = wrong = missed = 0
    why = None
    if said is not None and (ref, said) in label:
        right, wrong = int(label[ref, said]), int(not label[ref, said])
        why = f"  wrong: {ref} told as {said}" if wrong else None
    if partners and said not in partners:
        missed = 1
        why = f"  missed: {ref} (partners {', '.join(sorted(partners))}; matched {said})"
    return right, wrong, missed, why


def same_story(pages: dict[str, tuple[str, str]], sketches: dict[str, Sketch],
               verbose: bool) -> list[str]:
    label = _labels()
    partners = {ref: {b for (a, b), same in label.items() if a == ref and same} for ref in pages}
    tp = fp = fn = 0
    wrong = []
    for ref in sorted(pages):
        memory = StoryMemory(Remembered(other, other, "2012-01-11", sk)
                             for other, sk in sketches.items() if other != ref)
        found = memory.match(ref, sketches[ref])
        right, bad, missed, why = _judge(ref, found.item if found else None, label, partners[ref])
        tp, fp, fn = tp + right, fp + bad, fn + missed
        if why:
            wrong.append(why)
    precision, recall = _pr(tp, fp, fn)
    with_partner = sum(1 for ref in pages if partners[ref])
    lines = [f"same story as a published one ({len(pages)} pages come back, {with_partner} have a labelled "
             f"same-story page published): precision {precision:.3f}, recall {recall:.3f} "
             f"({fp} told as another story, {fn} missed)"]
    return lines + (wrong if verbose else [])


def _year(ref: str) -> int | None:
    """The year a DAnIEL page was fetched (its name opens with the day: 20120117_...); None for others."""
    found = re.match(r"(?:19|20)\d\d(?=\d{4}_)", Path(ref).name)
    return int(found.group(0)) if found else None


def follow_ups(pages: dict[str, tuple[str, str]], verbose: bool) -> list[str]:
    pairs = yaml.safe_load(FOLLOWS.read_text(encoding="utf-8"))
    tp = fp = fn = 0
    wrong = []
    for pair in pairs:
        title, text = pages[pair["later"]]
        earlier = list(pages[pair["earlier"]])
        year = _year(pair["later"])
        said = moves_on(f"{title}\n{text}", earlier, year=year)
        tp += said and pair["follow"]
        fp += said and not pair["follow"]
        fn += pair["follow"] and not said
        if said != pair["follow"]:
            found = new_facts(f"{title}\n{text}", earlier, year=year)
            wrong.append(f"  {'follow-up' if said else 'repeat'} but labelled "
                         f"{'follow-up' if pair['follow'] else 'repeat'} ({len(found)} new-fact sentences): "
                         f"{pair['why']}")
    precision, recall = _pr(tp, fp, fn)
    follows = sum(1 for p in pairs if p["follow"])
    lines = [f"follow-up with new facts ({len(pairs)} pairs: {follows} follow-ups, {len(pairs) - follows} "
             f"repeats): precision {precision:.3f}, recall {recall:.3f} ({fp} repeats shown as 续报, "
             f"{fn} follow-ups left out)"]
    return lines + (wrong if verbose else [])


def _synthetic(pool: list[str], rng: random.Random, n: int) -> list[tuple[str, str]]:
    """``n`` pages of another story each: 12 real sentences, each sentence's characters (or words) shuffled,
    so that a page has a real page's size and vocabulary but no phrase of another."""
    pages = []
    for _ in range(n):
        picked = []
        for sentence in rng.sample(pool, 12):
            parts = sentence.split() if " " in sentence else list(sentence)
            rng.shuffle(parts)
            picked.append((" " if " " in sentence else "").join(parts) + "。")
        pages.append((picked[0][:30], "".join(picked)))
    return pages


def cost(pages: dict[str, tuple[str, str]]) -> list[str]:
    rng = random.Random(24)
    pool = [s for _, text in pages.values() for s in sentences(text) if len(s) > 20]
    stored = int(DAYS * ITEMS_PER_DAY * (1 + COPIES))
    store = _synthetic(pool, rng, stored)
    started = time.perf_counter()
    sketches = [sketch(title, text) for title, text in store]
    build_sketch = time.perf_counter() - started
    started = time.perf_counter()
    memory = StoryMemory(Remembered(f"s{i}", f"s{i // 2}", f"2026-11-{10 + i % DAYS}", sk)
                         for i, sk in enumerate(sketches))
    load = time.perf_counter() - started
    night = _synthetic(pool, rng, 300)
    started = time.perf_counter()
    night_sketches = [sketch(title, text) for title, text in night]
    per_sketch = (time.perf_counter() - started) / len(night)
    started = time.perf_counter()
    for i, sk in enumerate(night_sketches):
        memory.match(f"n{i}", sk)
    per_match = (time.perf_counter() - started) / len(night)
    pages_a_night = FEEDS * NEW_PER_FEED
    return [f"cost: a {FEEDS}-feed store, {DAYS} days of {ITEMS_PER_DAY} items (+{COPIES:.0%} merged "
            f"copies): {stored} remembered stories, loaded in {load:.2f}s (sketches are stored: "
            f"{build_sketch:.1f}s saved); one match {per_match * 1000:.2f} ms against "
            f"{per_sketch * 1000:.2f} ms to sketch the page "
            f"(ratio {per_match / per_sketch:.2f}); a night of {pages_a_night} new pages: "
            f"{pages_a_night * per_match:.1f}s of matching (the night's own grouping compares each page with "
            f"every earlier page of the night: {pages_a_night // 2} on average, "
            f"{pages_a_night // 2 / stored:.0f} times the memory's {stored})"]


def run(realdata: Path, verbose: bool = False) -> list[str]:
    pairs = yaml.safe_load(PAIRS.read_text(encoding="utf-8"))
    refs = sorted({p[k] for p in pairs for k in ("a", "b")})
    pages = {ref: article(realdata, ref) for ref in refs}
    sketches = {ref: sketch(*pages[ref]) for ref in refs}
    return [*same_story(pages, sketches, verbose), *follow_ups(pages, verbose), *cost(pages)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--realdata", help="folder of the real data (default: <repo>/../shared/realdata)")
    parser.add_argument("-v", action="store_true", help="list the pages and pairs the rules get wrong")
    args = parser.parse_args()
    realdata = located(args.realdata)
    if realdata is None:
        return 0
    print("\n".join(run(realdata, args.v)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
