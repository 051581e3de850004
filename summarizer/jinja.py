"""The one jinja2 environment: the digest's Markdown and the published issue's HTML (templates/),
the review HTML (web/templates/; HTML is autoescaped by its .html.j2 name) and the prompts
(prompts/, shipped as summarizer.prompts). Template names are unique across the three folders.

Also the filters the templates use (inline, link_target, link_text, safe_href, shown_url, stats_html, mark)
and REVIEW_MARKER, so every stage that renders text imports them from here (pure, imports no stage)."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from urllib.parse import quote, unquote

import jinja2
from markupsafe import Markup, escape

from .items import Problem

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


# A 续报's link to an earlier issue's item, relative so it works in the published folder and feed readers.
_ISSUE_ITEM = re.compile(r"^\d{4}-\d{2}-\d{2}\.html#item-\d+$")


def safe_href(url: str) -> str:
    """Only web links (and links to an issue's item) become links: a hand-edited javascript: or data:
    target turns into '#'."""
    return url if re.match(r"^https?://", url, re.IGNORECASE) or _ISSUE_ITEM.match(url) else "#"


def shown_url(url: str) -> str:
    """A link as a reader should read it: percent-encoded CJK decoded back."""
    return unquote(url)


def stats_html(stats: str) -> Markup:
    """The stats line with its **numbers** bold, everything else escaped."""
    parts = str(escape(stats)).split("**")
    return Markup("".join(f"<strong>{p}</strong>" if n % 2 else p for n, p in enumerate(parts)))


# Terms of these kinds are quotes or copied spans, not words of the summary: they are not marked.
_UNMARKED_KINDS = {"quote", "copy"}
_ALNUM = re.compile(r"[0-9A-Za-z\u00c0-\u024f]")


def flagged_terms(flags: list[Problem]) -> list[str]:
    """The names and numbers trust problems are about: what the review page marks in text. Longest first."""
    terms = {f.term.strip() for f in flags if f.term and f.kind not in _UNMARKED_KINDS}
    # A term with no letter, digit or Chinese character (", ") would mark punctuation everywhere.
    return sorted((t for t in terms if re.search(r"[\w\u4e00-\u9fff]", t)), key=lambda t: (-len(t), t))


def _pattern(term: str) -> str:
    """A term as a regex matching whole numbers and words only: "3" is not found in "340" or "3.5"."""
    body = re.escape(term)
    if _ALNUM.match(term[0]):
        body = r"(?<![0-9A-Za-z\u00c0-\u024f])(?<![0-9][.,])" + body
    if _ALNUM.match(term[-1]):
        body += r"(?![0-9A-Za-z\u00c0-\u024f])(?![.,][0-9])"
    return body


def term_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) of every term in ``text``, longer terms winning."""
    if not terms:
        return []
    regex = re.compile("|".join(_pattern(t) for t in sorted(terms, key=len, reverse=True)))
    return [m.span() for m in regex.finditer(text) if m.end() > m.start()]


def segments(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, inside a span) in order; spans must be sorted and not overlap."""
    out: list[tuple[str, bool]] = []
    at = 0
    for start, end in spans:
        if start > at:
            out.append((text[at:start], False))
        out.append((text[start:end], True))
        at = end
    if at < len(text):
        out.append((text[at:], False))
    return out


def mark(text: str, terms: list[str]) -> Markup:
    """``text`` escaped piece by piece, each flagged term wrapped in <mark>: a mark never splits an entity."""
    return Markup("").join(Markup("<mark>{}</mark>").format(piece) if marked else escape(piece)
                           for piece, marked in segments(text, term_spans(text, terms)))


@cache
def environment() -> jinja2.Environment:
    prompts = resources.files("summarizer.prompts")
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([
            jinja2.PackageLoader("summarizer", "templates"),
            jinja2.PackageLoader("summarizer.web", "templates"),
            jinja2.FunctionLoader(lambda name: prompts.joinpath(name).read_text("utf-8")
                                  if prompts.joinpath(name).is_file() else None),
        ]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,  # the Markdown templates end items with a blank line
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    )
    env.filters.update(inline=inline, link_target=link_target, link_text=link_text, mark=mark,
                       safe_href=safe_href, shown_url=shown_url, stats_html=stats_html)
    env.globals.update(REVIEW_MARKER=REVIEW_MARKER, flagged_terms=flagged_terms)
    return env
