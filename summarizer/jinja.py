"""The one jinja2 environment: the digest's Markdown and the published issue's HTML (templates/),
the review HTML (review/templates/; HTML is autoescaped by its .html.j2 name) and the prompts
(prompts/, shipped as summarizer.prompts). Template names are unique across the three folders."""

from __future__ import annotations

from functools import cache
from importlib import resources

import jinja2
from markupsafe import Markup, escape

from .items import Problem


def flagged_terms(flags: list[Problem]) -> list[str]:
    """The names, numbers and quotes trust problems are about: what the review page marks in text."""
    return sorted({flag.term for flag in flags if flag.term}, key=len, reverse=True)


def mark(text: str, terms: list[str]) -> Markup:
    """Escape ``text`` and wrap every occurrence of a flagged term in <mark>."""
    escaped = str(escape(text))
    for term in terms:
        safe = str(escape(term))
        escaped = escaped.replace(safe, f"<mark>{safe}</mark>")
    return Markup(escaped)


@cache
def environment() -> jinja2.Environment:
    from .issue import safe_href, shown_url, stats_html  # issue renders through this module
    from .render import REVIEW_MARKER, inline, link_target, link_text  # render uses this module

    prompts = resources.files("summarizer.prompts")
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([
            jinja2.PackageLoader("summarizer", "templates"),
            jinja2.PackageLoader("summarizer.review", "templates"),
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
