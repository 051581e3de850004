"""A published issue as readers get it: read back from output/DATE.md, rendered as HTML pages and JSON (pure).

Everything that leaves the machine after publishing (the HTML page, the 公众号 HTML, the Atom entry, every
push message) is made from this one object, so each shows exactly the text that was published.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..digest.files import read_text
from ..digest.parse import ParsedHighlight, ParsedItem, parse_digest
from ..jinja import environment, shown_url
from .reader import Passage, item_key

STYLESHEET = "style.css"  # beside the pages in output/


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
    published_at: str = ""  # the last publication: moves with a correction
    trust: str = ""  # the trust line, "本期 N 条要点，…"
    corrections: list[str] = field(default_factory=list)
    evidence: dict[str, Passage] = field(default_factory=dict)  # reader.item_key -> the bullet's passage
    first_published: str = ""

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

    def passage(self, item: ParsedItem, bullet: str) -> Passage | None:
        """The source passage a bullet of ``item`` rests on, if the checks tied one to it."""
        return self.evidence.get(item_key(item.links[0], bullet)) if item.links else None

    @property
    def stats_plain(self) -> str:
        return self.stats.replace("**", "")


def read_issue(output_dir: Path, date: str, *, title: str, base_url: str | None = None,
               published_at: str = "", meta: dict[str, Any] | None = None) -> PublishedIssue:
    """Parse output/DATE.md; ``meta`` is the review's (its bullets' passages, its first publication).

    Raises FileNotFoundError, DraftFormatError if it was edited out of shape, EncodingError if it is not
    UTF-8."""
    path = output_dir / f"{date}.md"
    text = read_text(path)
    parsed = parse_digest(text, name=str(path))
    meta = meta or {}
    evidence = {str(k): Passage(str(u), str(t)) for k, u, t in meta.get("evidence") or []}
    return PublishedIssue(date=date, title=title, purpose=parsed.purpose, stats=parsed.stats,
                          highlights=parsed.highlights, sections=parsed.sections, markdown=text,
                          base_url=base_url, published_at=published_at, trust=parsed.trust,
                          corrections=parsed.corrections, evidence=evidence,
                          first_published=str(meta.get("first_published") or published_at))


def body_html(issue: PublishedIssue) -> str:
    """The issue as an HTML fragment (the Atom entry's content, the page's article)."""
    return environment().get_template("issue_body.html.j2").render(issue=issue)


def page_html(issue: PublishedIssue, *, previous: str | None = None, following: str | None = None) -> str:
    """output/DATE.html: the issue and links to the issues before and after it (relative, as every link
    between pages of the site), no script and nothing from elsewhere."""
    template = environment().get_template("issue_page.html.j2")
    return template.render(issue=issue, body=Markup(body_html(issue)), previous=previous,
                           following=following, stylesheet=STYLESHEET)


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
