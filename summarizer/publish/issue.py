"""A published issue as readers get it: read back from output/DATE.md, rendered as HTML pages and JSON (pure).

Everything that leaves the machine after publishing (the HTML page, the 公众号 HTML, the Atom entry, every
push message) is made from this one object, so each shows exactly the text that was published.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..digest.files import read_text
from ..digest.parse import ParsedHighlight, ParsedItem, parse_digest
from ..jinja import environment, shown_url


def item_anchor(place: int) -> str:
    return f"item-{place}"


@dataclass(frozen=True)
class PublishedIssue:
    date: str
    title: str
    purpose: str
    stats: str  # "原文共计**N**字,…" as in the Markdown
    highlights: list[ParsedHighlight]
    sections: list[tuple[str, list[ParsedItem]]]
    markdown: str
    base_url: str | None = None
    published_at: str = ""

    @property
    def items(self) -> list[tuple[str, ParsedItem]]:
        """(section, item) in issue order."""
        return [(name, item) for name, items in self.sections for item in items]

    def link(self, name: str) -> str:
        """A file of output/ as readers reach it: absolute under publish.base_url, else relative."""
        return f"{self.base_url}{name}" if self.base_url else name

    @staticmethod
    def anchor(place: int) -> str:
        """The id of the ``place``-th item (1-based, in issue order) in DATE.html: what a 续报 links."""
        return item_anchor(place)

    @property
    def url(self) -> str:
        return self.link(f"{self.date}.html")

    @property
    def heading(self) -> str:
        return f"{self.title} {self.date}"

    @property
    def stats_plain(self) -> str:
        return self.stats.replace("**", "")


def read_issue(output_dir: Path, date: str, *, title: str, base_url: str | None = None,
               published_at: str = "") -> PublishedIssue:
    """Parse output/DATE.md. Raises FileNotFoundError, DraftFormatError if it was edited out of shape,
    EncodingError if it is not UTF-8."""
    path = output_dir / f"{date}.md"
    text = read_text(path)
    parsed = parse_digest(text, name=str(path))
    return PublishedIssue(date=date, title=title, purpose=parsed.purpose, stats=parsed.stats,
                          highlights=parsed.highlights, sections=parsed.sections, markdown=text,
                          base_url=base_url, published_at=published_at)


def body_html(issue: PublishedIssue) -> str:
    """The issue as an HTML fragment (the Atom entry's content, the page's article)."""
    return environment().get_template("issue_body.html.j2").render(issue=issue)


def page_html(issue: PublishedIssue) -> str:
    """output/DATE.html: a plain page beside the Markdown, no script and nothing from elsewhere."""
    template = environment().get_template("issue_page.html.j2")
    return template.render(issue=issue, body=Markup(body_html(issue)))


def wechat_html(issue: PublishedIssue) -> str:
    """output/DATE.wechat.html: inline styles only (the 公众号 editor drops <style> and classes on paste)."""
    return environment().get_template("issue_wechat.html.j2").render(issue=issue)


def issue_json(issue: PublishedIssue) -> dict[str, Any]:
    """The generic webhook's body: the whole issue with its items as structured data."""
    return {
        "date": issue.date,
        "title": issue.title,
        "url": issue.url if issue.base_url else None,
        "stats": issue.stats_plain,
        "highlights": [f"{h.headline} {h.emoji}" for h in issue.highlights],
        "markdown": issue.markdown,
        "html": body_html(issue),
        "items": [{"headline": item.headline, "emoji": item.emoji, "bullets": item.bullets,
                   "section": section, "links": [shown_url(link) for link in item.links],
                   "sources": item.sources} for section, item in issue.items],
    }
