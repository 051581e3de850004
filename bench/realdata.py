"""Where the real third-party pages live, and how to read each set with its gold (no scoring here).

The material is not in the repository: it sits in ``<repo>/../shared/realdata`` (or wherever
``--realdata DIR`` or ``$JIANDU_REALDATA`` points). Benches that use it skip cleanly without it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html

ROOT = Path(__file__).resolve().parents[1]


def locate(flag: str | None = None) -> Path | None:
    """The realdata folder: the flag, else $JIANDU_REALDATA, else <repo>/../shared/realdata; None if none."""
    for candidate in (flag, os.environ.get("JIANDU_REALDATA"), str(ROOT.parent / "shared" / "realdata")):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


NOT_FOUND = "realdata not found (../shared/realdata, $JIANDU_REALDATA or --realdata): skipped"


def located(flag: str | None = None) -> Path | None:
    """``locate``, saying on stdout that the bench is skipped when there is no realdata folder."""
    found = locate(flag)
    if found is None:
        print(NOT_FOUND)
    return found


@dataclass(frozen=True)
class Page:
    id: str  # path inside realdata
    url: str
    html: bytes
    gold: str = ""  # the main text, for shingle scoring
    must: tuple[str, ...] = ()  # snippets that must appear (trafilatura-eval)
    must_not: tuple[str, ...] = ()  # boilerplate snippets that must not
    lang: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    gold_comments: str = ""  # the reader comments the gold marks apart from the article (dragnet)


def _text_of_markup(markup: str) -> str:
    """Text of a gold file with <p>/<h>/<l> or HTML markers: one block a line."""
    markup = re.sub(r"<(p|h|l|br|div|li|h\d)\b[^>]*>", "\n", markup, flags=re.I)
    markup = re.sub(r"<[^>]+>", "", markup)
    return "\n".join(line.strip() for line in markup.splitlines() if line.strip())


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", "replace")


def _daniel(base: Path, lang: str) -> Iterator[Page]:
    for html in sorted((base / "html").glob("*.html")):
        gold = base / "reference" / f"{html.stem}.txt"
        if gold.exists():
            host = html.stem.split("_")[1] if "_" in html.stem else "example.com"
            yield Page(f"{base.name}/html/{html.name}", f"https://{host}/{html.stem}.html", html.read_bytes(),
                       gold=_text_of_markup(_read(gold)), lang=lang)


def _cleaneval(base: Path) -> Iterator[Page]:
    for html in sorted((base / "input").glob("*.html"), key=lambda p: (len(p.stem), p.stem)):
        gold_path = base / "gold" / f"{html.stem}.txt"
        if not gold_path.exists():
            continue
        gold = _read(gold_path)
        first, _, rest = gold.partition("\n")
        url = first[4:].strip() if first.startswith("URL:") else f"https://example.com/{html.stem}.html"
        yield Page(f"{base.name}/input/{html.name}", url, html.read_bytes(), gold=_text_of_markup(rest),
                   lang="en")


# dragnet's gold puts the article first, then this marker line and the page's reader comments (some
# gold files lost the digits and parentheses of the marker: "!@#$%^&*   COMMENTS").
_DRAGNET_COMMENTS = re.compile(r"^!@#\$%\^&\*\S*\s+COMMENTS\s*$", re.M)


def split_dragnet_gold(gold: str) -> tuple[str, str]:
    """(article, reader comments) of one dragnet gold text; the comments are empty when it has none."""
    parts = _DRAGNET_COMMENTS.split(gold, maxsplit=1)
    return parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")


def _dragnet(base: Path) -> Iterator[Page]:
    """Scored on the article, the digest's task (dragnet's gold marks the reader comments apart)."""
    for html in sorted((base / "input").glob("*.html")):
        gold = base / "gold" / f"{html.stem}.txt"
        if gold.exists():
            article, comments = split_dragnet_gold(_read(gold))
            yield Page(f"{base.name}/input/{html.name}", f"https://example.com/{html.stem}.html",
                       html.read_bytes(), gold=article, lang="en", gold_comments=comments)


def _trafilatura_eval(base: Path) -> Iterator[Page]:
    data = json.loads((base / "evaldata-sample.json").read_text(encoding="utf-8"))
    for url, item in sorted(data.items()):
        html = base / "html" / item["file"]
        if html.exists():
            yield Page(f"{base.name}/html/{item['file']}", url, html.read_bytes(),
                       must=tuple(item.get("with") or ()), must_not=tuple(item.get("without") or ()))


def _gne(base: Path) -> Iterator[Page]:
    data = json.loads((base / "gne-reference-output.json").read_text(encoding="utf-8"))
    for rel, item in sorted(data.items()):
        html = base / rel
        if html.exists():
            url = f"https://{rel.split('/')[0]}.example.cn/{rel}"
            gold = item.get("content") or ""
            yield Page(f"{base.name}/{rel}", url, html.read_bytes(), gold=gold, lang="zh")


def gne_all(base: Path) -> Iterator[Page]:
    """Every gne page, scored or not (for the story pairs and the re-ask bench)."""
    for html in sorted(base.glob("*/*.html")):
        rel = html.relative_to(base).as_posix()
        url = f"https://{rel.split('/')[0]}.example.cn/{rel}"
        yield Page(f"{base.name}/{rel}", url, html.read_bytes(), lang="zh")


def _readability(base: Path) -> Iterator[Page]:
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        expected = lxml.html.fromstring(_read(folder / "expected.html"))
        for el in expected.iter():
            if isinstance(el.tag, str) and el.tag in {"p", "div", "br", "li", "h1", "h2", "h3", "tr"}:
                el.tail = "\n" + (el.tail or "")
        yield Page(f"{base.name}/{folder.name}/source.html", f"https://{folder.name}.example.cn/article.html",
                   (folder / "source.html").read_bytes(), gold=expected.text_content(), lang="zh")


def _htmltotext(base: Path) -> Iterator[Page]:
    for html in sorted((base / "html").glob("*.html")):
        gold = base / "text" / f"{html.stem}.txt"
        yield Page(f"{base.name}/html/{html.name}", f"https://example.cn/{html.stem}.html", html.read_bytes(),
                   gold=_read(gold), lang="zh")


SETS: dict[str, Callable[[Path], Iterator[Page]]] = {
    "daniel-zh-tuning": lambda b: _daniel(b, "zh"),
    "daniel-en-tuning": lambda b: _daniel(b, "en"),
    "cleaneval-dev": _cleaneval,
    "cleaneval-final": _cleaneval,
    "dragnet": _dragnet,
    "trafilatura-eval": _trafilatura_eval,
    "gne-news-html": _gne,
    "readability-testpages-zh": _readability,
    "htmltotext-benchmark-zh": _htmltotext,
}


def pages(realdata: Path, name: str) -> list[Page]:
    base = realdata / name
    return list(SETS[name](base)) if base.is_dir() else []
