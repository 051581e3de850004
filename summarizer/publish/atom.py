"""Published issues -> an Atom 1.0 feed a reader can open (pure).

Built with ElementTree, so the XML is always well formed. Every link is absolute when
``publish.base_url`` is set (a reader resolves nothing against a file on disk); ids are tag URIs
that never change with the base URL, so moving the site does not show every issue as new.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..text import clean_text
from .issue import PublishedIssue, body_html

ATOM = "http://www.w3.org/2005/Atom"
FEED_ID = "tag:jiandu.local,2026:issues"
EPOCH = "1970-01-01T00:00:00+00:00"


def _el(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, f"{{{ATOM}}}{name}", attrs)
    if text is not None:
        node.text = text
    return node


def entry_id(issue: PublishedIssue) -> str:
    """An issue's id in every feed: fixed by its date, so neither a correction nor a move changes it."""
    return f"tag:jiandu.local,{issue.date}:issue"


def entry_summary(issue: PublishedIssue) -> str:
    lead = "；".join(h.headline for h in issue.highlights) or issue.items[0][1].headline
    return "；".join([*(c for c in issue.corrections), lead])


def atom_feed(issues: list[PublishedIssue], *, title: str, base_url: str | None) -> str:
    """The feed of ``issues`` (newest first as given), each entry carrying the issue's HTML."""
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    _el(root, "title", title)
    _el(root, "id", FEED_ID)
    _el(root, "updated", max((i.published_at for i in issues if i.published_at), default=EPOCH))
    _el(_el(root, "author"), "name", title)
    _el(root, "link", rel="self", type="application/atom+xml", href=f"{base_url or ''}feed.xml")
    if base_url:
        _el(root, "link", rel="alternate", type="text/html", href=base_url)
    for issue in issues:
        entry = _el(root, "entry")
        _el(entry, "title", issue.heading)
        _el(entry, "id", entry_id(issue))
        _el(entry, "updated", issue.published_at or EPOCH)  # a correction moves it
        if issue.first_published and issue.first_published != issue.published_at:
            _el(entry, "published", issue.first_published)
        _el(entry, "link", rel="alternate", type="text/html", href=issue.url)
        _el(entry, "summary", entry_summary(issue))
        _el(entry, "content", body_html(issue), type="html")
    for element in root.iter():  # a hand edit or an old draft may still hold characters XML cannot
        element.text = clean_text(element.text) if element.text else element.text
        for name, value in element.attrib.items():
            element.set(name, clean_text(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
