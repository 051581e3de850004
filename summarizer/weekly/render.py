"""A weekly issue -> Markdown in one of the two reference formats, and back (for a draft edited by hand).

``numbered`` follows ``numbered-weekly-sample.md``: front matter with ``date:``,
optional lead image and ``<small>`` teaser, ``目录：`` with ``1、标题`` lines,
then ``### 1、标题``, link lines named for what they point to, one paragraph.
``issue`` follows ``weekly-issue-sample.md``: front matter ``title`` /
``category`` / ``date``, ``## section`` + ``> description``, items ``### 标题``
+ ``> URL`` + paragraph, and the editor's picks under ``## 我在看``.
Reviewer marker lines (trust flags) follow the paragraph in the draft only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import DraftFormatError
from ..items import Problem
from ..jinja import REVIEW_MARKER, environment

PICKS = "我在看"
DAYS_LINE = "报道日期："  # a story that ran in several daily issues: "报道日期：2026-11-20、2026-11-21"
Fail = Callable[[int, str], DraftFormatError]


@dataclass
class WeeklyEntry:
    title: str
    paragraph: str
    links: list[tuple[str, str]]  # (label, url)
    flags: list[Problem] = field(default_factory=list)
    days: list[str] = field(default_factory=list)  # the daily issues the story ran in (a line when 2+)


@dataclass
class WeeklyIssue:
    format: str  # numbered | issue
    date: str  # YYYY-MM-DD, the last day of the range
    title: str = ""  # issue: "<name> Weekly 第 N 期"
    category: str = ""
    image: str | None = None
    teaser: str | None = None
    items: list[WeeklyEntry] = field(default_factory=list)  # numbered: every item in order
    sections: list[tuple[str, str, list[WeeklyEntry]]] = field(default_factory=list)  # issue
    picks: list[WeeklyEntry] = field(default_factory=list)  # issue: ## 我在看


def render_weekly(issue: WeeklyIssue) -> str:
    template = "weekly-numbered.md.j2" if issue.format == "numbered" else "weekly-issue.md.j2"
    text = environment().get_template(template).render(w=issue)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"


# -- reading a draft back -------------------------------------------------------------
@dataclass
class ParsedEntry:
    line: int
    title: str
    section: str = ""  # issue: the ## heading it is under (我在看 for a pick)
    links: list[str] = field(default_factory=list)  # targets as written
    paragraph: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


@dataclass
class ParsedWeekly:
    teaser: str | None
    entries: list[ParsedEntry]


_NUMBERED_HEAD = re.compile(r"^### \d+、(.+)$")
_NAMED_LINK = re.compile(r"^(?:> )?([^\s：:]{1,12})[：:]\s*(https?://\S+)$")
_BARE_LINK = re.compile(r"^> (https?://\S+)$")
_TEASER = re.compile(r"^<small>(.*)</small>$")


def parse_weekly(text: str, *, fmt: str, name: str = "draft") -> ParsedWeekly:
    """Items, their links, paragraphs and flags. Raises DraftFormatError naming the first bad line."""
    lines = [(n, line.rstrip()) for n, line in enumerate(text.split("\n"), 1) if line.strip()]

    def fail(line: int, message: str) -> DraftFormatError:
        return DraftFormatError(f"{name} line {line}: {message}", line=line)

    pos = _front_matter(lines, fail)
    teaser: str | None = None
    entries: list[ParsedEntry] = []
    current: ParsedEntry | None = None  # the item whose lines follow; None under a ## heading
    section = ""
    for number, content in lines[pos:]:
        if match := _TEASER.match(content):
            teaser = match.group(1).strip()
        elif fmt == "issue" and content.startswith("## "):
            section, current = content[3:].strip(), None
        elif content.startswith("### "):
            current = _entry_head(number, content, fmt, section, fail)
            entries.append(current)
        elif current is not None:
            _item_line(current, number, content, fail)
        elif content.startswith("#"):
            raise fail(number, f"unexpected heading '{content[:40]}'")
    _check_entries(entries, lines, fail)
    return ParsedWeekly(teaser=teaser, entries=entries)


def _entry_head(number: int, content: str, fmt: str, section: str, fail: Fail) -> ParsedEntry:
    """The item a '### ' heading opens ('### N、标题' in a numbered weekly)."""
    head = _NUMBERED_HEAD.match(content) if fmt == "numbered" else None
    title = (head.group(1) if head else content[4:]).strip()
    if fmt == "numbered" and head is None:
        raise fail(number, f"expected '### N、标题', found '{content[:40]}'")
    return ParsedEntry(line=number, title=title, section=section)


def _check_entries(entries: list[ParsedEntry], lines: list[tuple[int, str]], fail: Fail) -> None:
    """Every item has a link line and a paragraph, and there is at least one item."""
    for entry in entries:
        if not entry.links:
            raise fail(entry.line, f"item '{entry.title}' has no link line")
        if not entry.paragraph:
            raise fail(entry.line, f"item '{entry.title}' has no paragraph")
    if not entries:
        raise fail(lines[-1][0] if lines else 1, "the weekly has no item ('### 标题')")


def _front_matter(lines: list[tuple[int, str]], fail: Fail) -> int:
    """Index of the first line after the front matter (``---`` … ``---``)."""
    if not lines or lines[0][1] != "---":
        raise fail(lines[0][0] if lines else 1, "expected front matter starting with '---'")
    for index, (_, content) in enumerate(lines[1:], 1):
        if content == "---":
            return index + 1
    raise fail(lines[0][0], "front matter is not closed with '---'")


def _item_line(entry: ParsedEntry, number: int, content: str, fail: Fail) -> None:
    if content.startswith(DAYS_LINE):
        return  # the days the story ran: from the store, not an edit
    if content.startswith(REVIEW_MARKER):
        entry.flags.append(content[len(REVIEW_MARKER):].lstrip(":： ").strip())
    elif match := (_BARE_LINK.match(content) or _NAMED_LINK.match(content)):
        entry.links.append(match.group(match.lastindex or 1))
    elif content == ">":
        return  # the blank quote line between two links
    elif content.startswith(("#", "<", "目录")):
        raise fail(number, f"unexpected line in item '{entry.title}': '{content[:40]}'")
    else:
        entry.paragraph.append(content.strip())
