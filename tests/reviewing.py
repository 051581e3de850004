"""Helpers for the review tests: a real draft made by the pipeline, with trust flags planted in the digest
the run recorded in the store (what review reads) and in its Markdown draft."""

from __future__ import annotations

import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from conftest import write_config
from servers import FakeOpenAI, SiteServer, canned_summary, prompt_article

from summarizer.cli import cli
from summarizer.config import Settings, load_settings
from summarizer.items import Problem
from summarizer.jinja import REVIEW_MARKER
from summarizer.store import Store

DATE = "2026-11-20"
SCRIPT_TITLE = "<script>alert('x')</script> **粗体** [链接](http://evil.example) # 标题"


@dataclass
class Day:
    config: Path
    settings: Settings
    output: Path

    @property
    def draft_md(self) -> Path:
        return self.output / "drafts" / f"{DATE}.md"

    @property
    def draft_json(self) -> Path:
        return self.output / "drafts" / f"{DATE}.json"


def flag(message: str) -> Problem:
    """A planted trust problem about the quoted term in ``message`` (数字“42%”… is about 42%)."""
    term = re.search(r"“([^”]+)”", message)
    return Problem("number", message, None, term.group(1) if term else None)


def make_draft(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI, *,
               flags: dict[int, list[str]] | None = None, script_title: bool = False) -> Day:
    """Run the real digest (4 items: rss2 feed), then plant flags on the n-th item (0-based, digest order)."""
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/rss2.xml", "feeds/big5.xml"])
    result = CliRunner().invoke(cli, ["digest", "--config", str(config), "--date", DATE])
    assert result.exit_code == 0, result.output
    settings = load_settings(config)
    day = Day(config=config, settings=settings, output=settings.output_path)
    if flags or script_title:
        with Store(settings.database_path) as store:
            digest = store.digest(DATE)
            assert digest is not None
            items = digest.items
            markdown = day.draft_md.read_text(encoding="utf-8")
            for n, planted in (flags or {}).items():
                items[n].flags = [flag(f) for f in planted]
                # The draft Markdown shows each flag as a reviewer marker line before the item's links.
                link = f"原文链接:[{items[n].links[0]}]"
                # Same layout as templates/item.md.j2: each marker line followed by a blank line.
                markers = "".join(f"{REVIEW_MARKER}: {f}\n\n" for f in planted)
                markdown = markdown.replace(link, markers + link, 1)
            day.draft_md.write_text(markdown, encoding="utf-8")
            if script_title:
                items[0].source_title = SCRIPT_TITLE
            store.save_digest(DATE, title=digest.title, purpose=digest.purpose, items=items, run_id=digest.run_id)
    return day


def draft_items(day: Day) -> list[dict[str, Any]]:
    """The recorded digest's items in digest order: item n (1-based) of `review --list` is entry n-1."""
    with Store(day.settings.database_path) as store:
        digest = store.digest(DATE)
    assert digest is not None
    return [item.to_json() for item in digest.items]


# Three bullets unlike the fake model's canned ones, still generic (no figures, no names): a regenerated
# summary with them passes the trust checks and is visibly new text.
NEW_BULLETS = [
    "重新生成的第一条要点：文章先说明这件事的起因、背景和参与的各方，交代了它要面对的实际需求，以及相关负责人对这次安排的整体判断、顾虑和期待。",
    "重新生成的第二条要点：随后文章梳理了方案的具体做法与取舍，把它放在同行的做法旁边对照，逐项指出它的长处究竟在哪里，又有哪些地方还说不清楚。",
    "重新生成的第三条要点：最后文章讨论了后续的推进节奏和可能遇到的阻力，列出业内人士的不同意见，提醒读者哪些判断仍然要等更多的事实来检验。",
]


def regenerated_summary(fake_llm: FakeOpenAI, source_title: str, section: str) -> dict[str, Any]:
    """A reply that differs from the item's first summary yet passes the trust checks: a headline made of the
    article title's own words, new generic bullets, and the quotes the fake model took from that article."""
    body = next(b for b in fake_llm.requests if prompt_article(b)[0] == source_title)
    title, parts = prompt_article(body)
    words = "".join(re.findall(r"[\u4e00-\u9fff]+", title))[:8] or title.split()[0]
    summary = canned_summary(title, [section], parts)
    return {**summary, "headline": f"重写：{words}", "bullets": list(NEW_BULLETS)}


def invoke(day: Day, *args: str) -> Any:
    return CliRunner().invoke(cli, [args[0], "--config", str(day.config), *args[1:]])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browserless:
    """A client for the review app over real HTTP on 127.0.0.1 (urllib: no extra dependency)."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.opener = urllib.request.build_opener(_NoRedirect)

    def get(self, path: str = "/", *, token: str | None = "") -> tuple[int, str]:
        joint = "&" if "?" in path else "?"
        query = "" if token is None else joint + urllib.parse.urlencode({"token": token or self.token})
        return self._open(urllib.request.Request(self.base + path + query))

    def post(self, path: str, fields: dict[str, str] | None = None, *, token: str | None = "") -> tuple[int, str]:
        data = dict(fields or {})
        if token is not None:
            data["token"] = token or self.token
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(self.base + path, data=body, method="POST"))

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            location = exc.headers.get("Location", "")
            return exc.code, location or exc.read().decode("utf-8", errors="replace")


def start_app(review_app: Any) -> tuple[str, Any, threading.Thread]:
    """Serve the app with the real uvicorn server on a free loopback port, in a thread."""
    from summarizer.web.app import bind, server_for

    sock = bind("127.0.0.1", 0)
    server = server_for(review_app.app, sock)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.01)
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}", server, thread
