"""The prompt templates (prompts/*.j2, shipped as summarizer.prompts) and their fingerprint, which is part of
the summary cache key: a changed template or rule is a new summary."""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources
from typing import Any

from ..config import Section
from ..items import Rules
from ..jinja import environment
from ..trust.checks import CheckRules

PROMPT_FILES = ("system.j2", "article.j2", "reask.j2", "recheck.j2")


_DATA_TAG = re.compile(r"<(\s*/?\s*)(article)", re.I)


def as_data(text: str) -> str:
    """Article text that cannot close (or reopen) the prompt's <article> data block."""
    return _DATA_TAG.sub(lambda m: "＜" + m.group(1) + m.group(2), text)


class Prompts:
    """The jinja2 prompt templates in prompts/ and their combined hash (part of the cache key).

    ``files``: the templates a caller renders (the weekly's prose has its own four)."""

    def __init__(self, files: tuple[str, ...] = PROMPT_FILES) -> None:
        folder = resources.files("summarizer.prompts")
        sources = "".join(folder.joinpath(n).read_text("utf-8") for n in files)
        self.hash = hashlib.sha256(sources.encode("utf-8")).hexdigest()[:16]

    def render(self, name: str, **values: Any) -> str:
        return environment().get_template(name).render(**values).strip()


def prompt_fingerprint(prompts: Prompts, rules: Rules, sections: list[Section],
                       checks: CheckRules | None = None) -> str:
    """Hash of the templates and every rule they are rendered with: part of the summary cache key."""
    parts: list[Any] = [rules.__dict__, [s.model_dump() for s in sections]]
    if checks is not None:
        parts.append(checks.__dict__)
    blob = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=list)
    return hashlib.sha256((prompts.hash + blob).encode("utf-8")).hexdigest()[:16]
