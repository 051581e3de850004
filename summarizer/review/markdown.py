"""Digest Markdown -> structure, checked against the reference format; every error names its line (pure).

Used to read back a draft a reviewer edited in their own editor, and to turn a
published issue into HTML for the Atom feed. The format is the one
``render.render_markdown`` writes: ``## 目的``, ``## 看点`` with the stats line
and the highlight list, then one ``##`` per section holding items of the shape
``### headline emoji`` / ``> 要点解析:`` / three ``- `` bullets / optional
reviewer markers / one or more ``原文链接:[url](url)`` lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from ..errors import DraftFormatError
from ..render import REVIEW_MARKER
from ..text import split_emoji

_LINK = re.compile(r"^原文链接:\[([^\]]+)\]\((\S+)\)$")
# "热度:3个来源": how many feeds carried the story; only written when more than one did.
_SOURCES = re.compile(r"^热度:(\d+)个来源$")
_STATS = re.compile(r"^> 原文共计\*\*\d+\*\*字,简读后为\*\*\d+\*\*字,阅读时间为\d+分钟,为您提高阅读效率为\*\*\d+%\*\*$")


@dataclass
class ParsedItem:
    line: int  # the ### heading's line number (1-based)
    headline: str
    emoji: str
    bullets: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # link targets as written (percent-encoded)
    sources: int = 1  # feeds that carried the story (the 热度 line)


@dataclass
class ParsedHighlight:
    line: int
    headline: str
    emoji: str


@dataclass
class ParsedDigest:
    purpose: str
    highlights: list[ParsedHighlight]
    sections: list[tuple[str, list[ParsedItem]]]
    stats: str = ""  # the 看点 stats line without its quote marker

    @property
    def items(self) -> list[ParsedItem]:
        return [item for _, items in self.sections for item in items]


def split_heading(text: str, line: int, name: str) -> tuple[str, str]:
    """'标题 🚀📈' -> ('标题', '🚀📈'); the emoji run is the last word and must be 1-3 emoji."""
    head, _, last = text.strip().rpartition(" ")
    found = split_emoji(last) if last else None
    if not head.strip() or not found or len(found) > 3:
        raise DraftFormatError(f"{name} line {line}: '{text.strip()}' must be a headline followed by 1-3 emoji",
                               line=line)
    return head.strip(), "".join(found)


def strip_markers(text: str) -> str:
    """The published text: every reviewer marker line removed, and the blank lines it leaves collapsed."""
    kept = [line for line in text.split("\n") if not line.startswith(REVIEW_MARKER)]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept))


def parse_digest(text: str, *, sections: list[str] | None = None, name: str = "draft") -> ParsedDigest:
    """Parse and validate a digest. Raises DraftFormatError naming the first bad line."""
    lines = [(n, line.rstrip()) for n, line in enumerate(text.split("\n"), 1) if line.strip()]
    pos = 0

    def fail(line: int, message: str) -> DraftFormatError:
        return DraftFormatError(f"{name} line {line}: {message}", line=line)

    def expect(heading: str) -> int:
        nonlocal pos
        if pos >= len(lines) or lines[pos][1] != heading:
            at = lines[pos][0] if pos < len(lines) else (lines[-1][0] if lines else 1)
            raise fail(at, f"expected '{heading}'")
        pos += 1
        return lines[pos - 1][0]

    expect("## 目的")
    purpose: list[str] = []
    while pos < len(lines) and not lines[pos][1].startswith("## "):
        purpose.append(lines[pos][1])
        pos += 1
    expect("## 看点")
    if pos >= len(lines) or not _STATS.match(lines[pos][1]):
        raise fail(lines[pos][0] if pos < len(lines) else lines[-1][0],
                   "expected the stats line '> 原文共计**N**字,简读后为**M**字,…'")
    stats = lines[pos][1][2:]
    pos += 1
    highlights: list[ParsedHighlight] = []
    while pos < len(lines) and lines[pos][1].startswith("- "):
        number, content = lines[pos]
        headline, emoji = split_heading(content[2:], number, name)
        highlights.append(ParsedHighlight(number, headline, emoji))
        pos += 1

    parsed_sections: list[tuple[str, list[ParsedItem]]] = []
    while pos < len(lines):
        number, content = lines[pos]
        if not content.startswith("## "):
            raise fail(number, f"expected a section heading '## name', found '{content[:40]}'")
        section = content[3:].strip()
        if sections is not None and section not in sections:
            raise fail(number, f"unknown section '{section}' (one of: {', '.join(sections)})")
        if any(section == s for s, _ in parsed_sections):
            raise fail(number, f"section '{section}' appears twice")
        pos += 1
        items: list[ParsedItem] = []
        while pos < len(lines) and lines[pos][1].startswith("### "):
            item, pos = _parse_item(lines, pos, fail, name)
            items.append(item)
        if not items:
            raise fail(number, f"section '{section}' has no item ('### headline emoji')")
        parsed_sections.append((section, items))
    if not parsed_sections:
        raise fail(lines[-1][0], "the digest has no section")
    return ParsedDigest(purpose="\n".join(purpose), highlights=highlights, sections=parsed_sections,
                        stats=stats)


def _parse_item(lines: list[tuple[int, str]], pos: int, fail: Callable[[int, str], DraftFormatError], name: str) -> tuple[ParsedItem, int]:
    number, content = lines[pos]
    headline, emoji = split_heading(content[4:], number, name)
    item = ParsedItem(line=number, headline=headline, emoji=emoji)
    pos += 1
    if pos >= len(lines) or lines[pos][1] != "> 要点解析:":
        raise fail(lines[pos][0] if pos < len(lines) else number, "expected '> 要点解析:' after the item heading")
    pos += 1
    # Order inside an item: bullets, then the 热度 line and reviewer markers, then links;
    # anything else is an error.
    while pos < len(lines) and not lines[pos][1].startswith("#"):
        at, text = lines[pos]
        if text.startswith("- ") and not item.flags and not item.links:
            bullet = text[2:].strip()
            if not bullet:
                raise fail(at, "empty bullet")
            item.bullets.append(bullet)
        elif (count := _SOURCES.match(text)) and not item.links:
            item.sources = int(count.group(1))
        elif text.startswith(REVIEW_MARKER) and not item.links:
            item.flags.append(text[len(REVIEW_MARKER):].lstrip(":： ").strip())
        elif match := _LINK.match(text):
            item.links.append(match.group(2))
        else:
            raise fail(at, f"unexpected line in item '{headline}': '{text[:40]}'")
        pos += 1
    if len(item.bullets) != 3:
        raise fail(number, f"item '{headline}' must have exactly 3 bullets, found {len(item.bullets)}")
    if not item.links:
        raise fail(number, f"item '{headline}' has no '原文链接:[url](url)' line")
    return item, pos
