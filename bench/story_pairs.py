"""Story merging judged on real news: precision and recall of dedup.same_story on labelled real pairs.

    python bench/story_pairs.py [--realdata DIR] [-v]

bench/fixtures/realdata_pairs.yaml labels 300+ pairs of real pages (DAnIEL news of a few days from
many Chinese and English sites, rssant feed snippets against their pages, and the project's own
look-alike pages: same company, another product) as the same story or not, each with a reason. It
stores only paths; the texts are read from ../shared/realdata here (DAnIEL pages by their
hand-cleaned reference text, the first line being the headline; other pages through the
project's extraction). Prints pair precision and recall of ``same_story`` (target: precision at
least 0.98, recall at least 0.9), on all pairs and on the pairs of even and of odd index apart (the
thresholds were tuned on the even ones: the odd line is the held-out figure); ``-v`` lists each pair
the rule gets wrong.

Every labelled page is one article of the "day" whose term rarity weighs the rewrite signals (see
summarizer/salience.py), as in a run, where the day is all the articles grouped so far.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from realdata import _read, _text_of_markup, located  # noqa: E402

from summarizer.sources.extract import choose_text, html_fragment_to_text, page_title  # noqa: E402
from summarizer.trust.dedup import Sketch, same_story, similarity, sketch  # noqa: E402
from summarizer.trust.salience import Day  # noqa: E402

PAIRS = ROOT / "bench" / "fixtures" / "realdata_pairs.yaml"


def article(realdata: Path, ref: str) -> tuple[str, str]:
    """(title, text) of one labelled page."""
    if ref.startswith("repo:"):
        path = ROOT / ref.removeprefix("repo:")
    else:
        path = realdata / ref
    if ref.startswith("daniel-"):
        gold = _text_of_markup(_read(path.parent.parent / "reference" / f"{path.stem}.txt"))
        lines = gold.splitlines()
        return (lines[0] if lines else ""), "\n".join(lines[1:])
    html = path.read_bytes().replace(b"FIXTURE_HOST", b"127.0.0.1")
    if path.name.endswith("_rss.html"):  # a feed's snippet: no page, no title of its own here
        return "", html_fragment_to_text(html.decode("utf-8", "replace"))
    got = choose_text(url=f"https://example.com/{path.name}", html=html, min_zi=0)
    return got.title or page_title(html), got.text


def _scores(judged: list[tuple[dict, bool]], label: str) -> str:
    tp = sum(1 for pair, said in judged if said and pair["same"])
    fp = sum(1 for pair, said in judged if said and not pair["same"])
    fn = sum(1 for pair, said in judged if pair["same"] and not said)
    same = sum(1 for pair, _ in judged if pair["same"])
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    different = len(judged) - same
    return (f"story merging on real pairs{label} ({len(judged)} pairs: {same} same story, {different} "
            f"different): precision {precision:.3f}, recall {recall:.3f} ({fp} wrongly merged, {fn} missed)")


def run(realdata: Path, verbose: bool = False) -> list[str]:
    pairs = yaml.safe_load(PAIRS.read_text(encoding="utf-8"))
    sketches: dict[str, Sketch] = {}
    day = Day()
    for ref in sorted({p[k] for p in pairs for k in ("a", "b")}):
        sketches[ref] = sketch(*article(realdata, ref))
        day.add(ref, sketches[ref].terms)
    judged, wrong = [], []
    for pair in pairs:
        sim = similarity(sketches[pair["a"]], sketches[pair["b"]], shared=day.shared(pair["a"], pair["b"]))
        said = same_story(sim)
        judged.append((pair, said))
        if said != pair["same"]:
            wrong.append(f"  {'merged' if said else 'missed'} (title {sim.title:.2f}, containment "
                         f"{sim.containment:.2f}, cosine {sim.cosine:.2f}, vocabulary {sim.vocabulary:.2f}, "
                         f"figures shared {sim.figures_shared}): {pair['why']}")
    lines = [_scores(judged, ""), _scores(judged[0::2], ", even (tuned on)"),
             _scores(judged[1::2], ", odd (held out)")]
    return lines + (wrong if verbose else [])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--realdata", help="folder of the real data (default: <repo>/../shared/realdata)")
    parser.add_argument("-v", action="store_true", help="list the pairs the rule gets wrong")
    args = parser.parse_args()
    realdata = located(args.realdata)
    if realdata is None:
        return 0
    print("\n".join(run(realdata, args.v)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
