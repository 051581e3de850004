"""Digest -> Markdown and JSON files, through jinja2 templates; every write is atomic."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path

from ..jinja import environment
from .build import Digest, DigestItem
from .files import write_atomic


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


def write_draft(digest: Digest, output_dir: Path) -> tuple[Path, Path]:
    """Write output/drafts/DATE.md and DATE.json; returns both paths."""
    drafts = output_dir / "drafts"
    md_path, json_path = drafts / f"{digest.date}.md", drafts / f"{digest.date}.json"
    write_atomic(json_path, render_json(digest))
    write_atomic(md_path, render_markdown(digest))
    return md_path, json_path
