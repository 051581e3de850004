"""Digest -> Markdown and JSON files, through jinja2 templates; every write is atomic."""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict
from pathlib import Path
from urllib.parse import quote

from .digest import Digest, DigestItem
from .jinja import environment

# Reviewer marker lines (one per trust flag) start with this; the published issue drops every such line.
REVIEW_MARKER = "> ⚠️ 待核实"


_LEADING_MARKER = re.compile(r"^(?:#+|[>*+=|~`]+|-+|\d+[.)])(?:\s+|$)")


def inline(text: str) -> str:
    """One line of text that cannot open Markdown structure (headings, quotes, lists, HTML, links, code)."""
    text = re.sub(r"\s+", " ", text).strip()
    text = text.replace("<", "＜").replace(">", "＞")
    text = re.sub(r"!?\[([^\]]*)\]\(([^)]*)\)", r"\1", text)
    # Whatever brackets and backticks are left could still form a reference link or code span.
    text = text.replace("[", "［").replace("]", "］").replace("`", "｀")
    while True:  # "## - > x" must lose every marker, not just the first
        stripped = _LEADING_MARKER.sub("", text, count=1).strip()
        if stripped == text:
            return text
        text = stripped


def link_target(url: str) -> str:
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._").replace("(", "%28").replace(")", "%29")


def link_text(url: str) -> str:
    return link_target(url).replace("[", "%5B").replace("]", "%5D")


def render_markdown(digest: Digest) -> str:
    text = environment().get_template("digest.md.j2").render(digest=digest)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"


def render_item(item: DigestItem) -> str:
    """One item exactly as it appears in a digest section."""
    text = environment().get_template("item.md.j2").render(item=item)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"


def item_json(item: DigestItem) -> dict[str, object]:
    return item.to_json()


def render_json(digest: Digest) -> str:
    data = {
        "date": digest.date,
        "title": digest.title,
        "purpose": digest.purpose,
        "stats": asdict(digest.stats),
        "highlights": [item.canonical_url for item in digest.highlights],
        "sections": [
            {"name": name, "items": [item_json(i) for i in items]} for name, items in digest.sections
        ],
        "left_out": [item.canonical_url for item in digest.left_out],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_draft(digest: Digest, output_dir: Path) -> tuple[Path, Path]:
    """Write output/drafts/DATE.md and DATE.json; returns both paths."""
    drafts = output_dir / "drafts"
    md_path, json_path = drafts / f"{digest.date}.md", drafts / f"{digest.date}.json"
    write_atomic(json_path, render_json(digest))
    write_atomic(md_path, render_markdown(digest))
    return md_path, json_path
