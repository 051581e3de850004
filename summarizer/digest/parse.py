"""Digest Markdown -> structure, checked against the reference format; every error names its line (pure).

Used to read back a draft a reviewer edited in their own editor, and to turn a
published issue into HTML for the Atom feed. The format is the one
``render.render_markdown`` writes: ``## 目的``, ``## 看点`` with the stats line
and the highlight list, then one ``##`` per section holding items of the shape
``### headline emoji`` / ``> 要点解析:`` / three ``- `` bullets / optional
reviewer markers / optional ``续报:[DATE 标题](DATE.html#item-N)`` / one or more
``原文链接:[url](url)`` lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import DraftFormatError
from ..jinja import REVIEW_MARKER
from ..text import split_emoji

_LINK = re.compile(r"^原文链接:\[([^\]]+)\]\((\S+)\)$")
# "热度:3个来源": how many feeds carried the story; only written when more than one did.
_SOURCES = re.compile(r"^热度:(\d+)个来源$")
# "续报:[2026-11-20 标题](2026-11-20.html#item-2)": the item continues a story an earlier issue told.
_FOLLOWS = re.compile(r"^续报:\[(.+)\]\((\S+)\)$")
_STATS = re.compile(
    r"^> 原文共计\*\*\d+\*\*字,简读后为\*\*\d+\*\*字,阅读时间为\d+分钟,为您提高阅读效率为\*\*\d+%\*\*$"
)

TRUST_PREFIX, CORRECTION_PREFIX = "> 本期 ", "> 更正"


@dataclass
class ParsedItem:
    line: int  # the ### heading's line number (1-based)
    headline: str
    emoji: str
    bullets: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # link targets as written (percent-encoded)
    sources: int = 1  # feeds that carried the story (the 热度 line)
    follows: str = ""  # the 续报 line's link to the earlier issue's item
    follows_title: str = ""


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
    # A published issue's own lines after the stats (publish/reader.py), quote markers dropped:
    trust: str = ""  # "本期 N 条要点，M 条与原文逐条核对…"
    corrections: list[str] = field(default_factory=list)  # "更正（TIME）：what changed"

    @property
    def items(self) -> list[ParsedItem]:
        return [item for _, items in self.sections for item in items]


def split_heading(text: str, line: int, name: str) -> tuple[str, str]:
    """'标题 🚀📈' -> ('标题', '🚀📈'); the emoji run is the last word and must be 1-3 emoji."""
    head, _, last = text.strip().rpartition(" ")
    found = split_emoji(last) if last else None
    if not head.strip() or not found or len(found) > 3:
        raise DraftFormatError(
            f"{name} line {line}: '{text.strip()}' must be a headline followed by 1-3 emoji", line=line
        )
    return head.strip(), "".join(found)


def strip_markers(text: str) -> str:
    """The published text: every reviewer marker line removed, and the blank lines it leaves collapsed."""
    kept = [line for line in text.split("\n") if not line.startswith(REVIEW_MARKER)]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept))


class _Cursor:
    """The draft's non-blank lines (number, text) and the parser's place in them."""

    def __init__(self, text: str, name: str) -> None:
        self.lines = [(n, line.rstrip()) for n, line in enumerate(text.split("\n"), 1) if line.strip()]
        self.pos = 0
        self.name = name

    def more(self, prefix: str = "") -> bool:
        return self.pos < len(self.lines) and self.lines[self.pos][1].startswith(prefix)

    def line_no(self, default: int | None = None) -> int:
        """The current line's number (past the end: ``default``, else the last line's)."""
        if self.pos < len(self.lines):
            return self.lines[self.pos][0]
        if default is not None:
            return default
        return self.lines[-1][0] if self.lines else 1

    def take(self) -> tuple[int, str]:
        self.pos += 1
        return self.lines[self.pos - 1]

    def fail(self, line: int, message: str) -> DraftFormatError:
        return DraftFormatError(f"{self.name} line {line}: {message}", line=line)

    def expect(self, heading: str) -> None:
        if not self.more() or self.lines[self.pos][1] != heading:
            raise self.fail(self.line_no(), f"expected '{heading}'")
        self.pos += 1


def parse_digest(text: str, *, sections: list[str] | None = None, name: str = "draft") -> ParsedDigest:
    """Parse and validate a digest. Raises DraftFormatError naming the first bad line."""
    cur = _Cursor(text, name)
    cur.expect("## 目的")
    purpose: list[str] = []
    while cur.more() and not cur.more("## "):
        purpose.append(cur.take()[1])
    cur.expect("## 看点")
    if not cur.more() or not _STATS.match(cur.lines[cur.pos][1]):
        raise cur.fail(cur.line_no(), "expected the stats line '> 原文共计**N**字,简读后为**M**字,…'")
    stats = cur.take()[1][2:]
    trust, corrections = "", []
    while cur.more(TRUST_PREFIX) or cur.more(CORRECTION_PREFIX):
        line = cur.take()[1][2:]
        if line.startswith(TRUST_PREFIX[2:]):
            trust = line
        else:
            corrections.append(line)
    highlights: list[ParsedHighlight] = []
    while cur.more("- "):
        number, content = cur.take()
        highlights.append(ParsedHighlight(number, *split_heading(content[2:], number, name)))
    parsed_sections: list[tuple[str, list[ParsedItem]]] = []
    while cur.more():
        parsed_sections.append(_parse_section(cur, sections, [s for s, _ in parsed_sections]))
    if not parsed_sections:
        raise cur.fail(cur.line_no(), "the digest has no section")
    return ParsedDigest(purpose="\n".join(purpose), highlights=highlights, sections=parsed_sections,
                        stats=stats, trust=trust, corrections=corrections)


def _parse_section(cur: _Cursor, sections: list[str] | None,
                   before: list[str]) -> tuple[str, list[ParsedItem]]:
    number, content = cur.take()
    if not content.startswith("## "):
        raise cur.fail(number, f"expected a section heading '## name', found '{content[:40]}'")
    section = content[3:].strip()
    if sections is not None and section not in sections:
        raise cur.fail(number, f"unknown section '{section}' (one of: {', '.join(sections)})")
    if section in before:
        raise cur.fail(number, f"section '{section}' appears twice")
    items: list[ParsedItem] = []
    while cur.more("### "):
        items.append(_parse_item(cur))
    if not items:
        raise cur.fail(number, f"section '{section}' has no item ('### headline emoji')")
    return section, items


def _parse_item_line(cur: _Cursor, item: ParsedItem, at: int, text: str) -> None:
    """One line inside an item, added to ``item``: a bullet, the 热度 or 续报 line, a reviewer marker or a
    link."""
    if text.startswith("- ") and not item.flags and not item.links:
        bullet = text[2:].strip()
        if not bullet:
            raise cur.fail(at, "empty bullet")
        item.bullets.append(bullet)
    elif (count := _SOURCES.match(text)) and not item.links:
        item.sources = int(count.group(1))
    elif (follows := _FOLLOWS.match(text)) and not item.links:
        item.follows_title, item.follows = follows.group(1), follows.group(2)
    elif text.startswith(REVIEW_MARKER) and not item.links:
        item.flags.append(text[len(REVIEW_MARKER):].lstrip(":： ").strip())
    elif match := _LINK.match(text):
        item.links.append(match.group(2))
    else:
        raise cur.fail(at, f"unexpected line in item '{item.headline}': '{text[:40]}'")


def _parse_item(cur: _Cursor) -> ParsedItem:
    number, content = cur.take()
    headline, emoji = split_heading(content[4:], number, cur.name)
    item = ParsedItem(line=number, headline=headline, emoji=emoji)
    if not cur.more() or cur.lines[cur.pos][1] != "> 要点解析:":
        raise cur.fail(cur.line_no(number), "expected '> 要点解析:' after the item heading")
    cur.take()
    # Order inside an item: bullets, then the 热度 line and reviewer markers, then links;
    # anything else is an error.
    while cur.more() and not cur.more("#"):
        at, text = cur.take()
        _parse_item_line(cur, item, at, text)
    if len(item.bullets) != 3:
        raise cur.fail(number, f"item '{headline}' must have exactly 3 bullets, found {len(item.bullets)}")
    if not item.links:
        raise cur.fail(number, f"item '{headline}' has no '原文链接:[url](url)' line")
    return item
