"""How often the summary validation would re-ask on real pages, with an extractive stand-in model.

    python bench/reask.py [--realdata DIR]

What it measures, honestly: no model is called. For every Chinese page of realdata that has a
gold text (daniel-zh-tuning, the 20 gne-news-html pages with a reference, readability-testpages-zh,
htmltotext-benchmark-zh), a stand-in answer is built from the page itself, the way a faithful
model copies names and figures: the headline is the page's own title (cut to the headline limit),
the three bullets are consecutive sentences of the article (each cut into the bullet length
range), the quotes their openings. That answer goes through ``summarize.parse_summary``, the
validation the pipeline runs on every model answer; a refused answer is a re-ask. The reasons
are counted by kind, so a refusal of ordinary text ("C#", "A|B", a title with " | ") shows apart
from a real fault (length, language, repetition). A real model paraphrases more and copies less,
so this bounds how often copied text alone triggers a re-ask.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from realdata import Page, located, pages  # noqa: E402

from summarizer.config import DEFAULT_SECTIONS  # noqa: E402
from summarizer.model.replies import parse_summary  # noqa: E402
from summarizer.model.summarize import Rules  # noqa: E402
from summarizer.sources.extract import page_title  # noqa: E402
from summarizer.text import count_zi  # noqa: E402

SETS = ("daniel-zh-tuning", "gne-news-html", "readability-testpages-zh", "htmltotext-benchmark-zh")
_KINDS = (("markup", re.compile(r"Markdown|HTML")), ("length", re.compile(r"字|恰好3条")),
          ("language", re.compile(r"中文")), ("repetition", re.compile(r"重复|多遍")),
          ("empty", re.compile(r"为空")))


def _cut(text: str, most: int) -> str:
    """The longest prefix of ``text`` with at most ``most`` 字."""
    out = []
    for ch in text:
        out.append(ch)
        if count_zi("".join(out)) > most:
            out.pop()
            break
    return "".join(out).strip()


def stand_in_answer(title: str, text: str, rules: Rules) -> dict[str, object]:
    """An answer that copies the page: its title as headline, its sentences as bullets."""
    sentences = [s.strip() for s in re.split(r"(?<=[。！？!?])\s*|\n+", text) if s.strip()]
    bullets, current = [], ""
    target = rules.bullet_min + 30  # a short article still gives three bullets
    for sentence in sentences[1:] or sentences:  # the first line of a gold text is its headline
        current += sentence
        if count_zi(current) >= target:
            bullets.append(_cut(current, rules.bullet_max))
            current = ""
        if len(bullets) == 3:
            break
    if current and len(bullets) < 3:
        bullets.append(_cut(current, rules.bullet_max))
    return {"quotes": [b[:20] for b in bullets], "bullets": bullets,
            "headline": _cut(re.sub(r"\s+", " ", title), rules.headline_max), "emoji": "📰",
            "section": rules.sections[0], "importance": 5}


def kinds(reason: str) -> list[str]:
    found = [name for name, pattern in _KINDS if pattern.search(reason)]
    return found or ["other"]


def run(realdata: Path) -> list[str]:
    rules = Rules(sections=tuple(s.name for s in DEFAULT_SECTIONS))
    items: list[Page] = [p for name in SETS for p in pages(realdata, name) if p.gold]
    refused, by_kind = 0, Counter[str]()
    examples: list[str] = []
    for page in items:
        answer = stand_in_answer(page_title(page.html) or page.gold.splitlines()[0], page.gold, rules)
        try:
            parse_summary(json.dumps(answer, ensure_ascii=False), rules)
        except ValueError as exc:
            refused += 1
            found = set()
            for reason in re.split(r"；", str(exc)):
                found.update(kinds(reason))
            by_kind.update(found)
            if "markup" in found and len(examples) < 5:
                examples.append(f"  {page.id}: {str(exc)[:100]}  (headline: {answer['headline']})")
    lines = [f"re-ask rate (extractive stand-in answers, {len(items)} real Chinese pages): "
             f"{refused / max(1, len(items)):.1%} ({refused} refused)",
             "  refusals by kind (an answer may have several): "
             + (", ".join(f"{k} {n}" for k, n in by_kind.most_common()) or "none")]
    return lines + examples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--realdata", help="folder of the real data (default: <repo>/../shared/realdata)")
    args = parser.parse_args()
    realdata = located(args.realdata)
    if realdata is None:
        return 0
    print("\n".join(run(realdata)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
