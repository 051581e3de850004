"""Loopback stand-ins for the outside world, for the tests and the benches (never used by the CLI).

``FakeOpenAI`` is a real HTTP server on 127.0.0.1 speaking the OpenAI chat-completions wire format: a
queue of replies, a record of every request, and by default a valid, grounded summary derived from the
article in the prompt (``canned_summary``), so golden files are stable. Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def start_server(handler: type[BaseHTTPRequestHandler]) -> LoopbackServer:
    """Serve ``handler`` on a free port of 127.0.0.1 in a daemon thread."""
    server = LoopbackServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@dataclass
class Reply:
    """One canned answer of the fake model."""

    content: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    finish_reason: str = "stop"
    refusal: str | None = None
    delay: float = 0.0
    drop: bool = False  # close the connection without answering
    message: str | None = None  # the error message of a non-200 reply (default "fake error STATUS")
    top_logprobs: dict[str, float] | None = None  # the first token's candidates, as llama.cpp's server sends


def chat_completion(
    content: str | None,
    *,
    model: str,
    finish_reason: str = "stop",
    refusal: str | None = None,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    top_logprobs: dict[str, float] | None = None,
) -> dict[str, Any]:
    """A response body in the real OpenAI chat.completion wire format."""
    logprobs = None if top_logprobs is None else {"content": [{
        "token": max(top_logprobs, key=lambda t: top_logprobs[t]), "logprob": max(top_logprobs.values()),
        "bytes": None,
        "top_logprobs": [{"token": t, "logprob": v, "bytes": None} for t, v in top_logprobs.items()],
    }]}
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": refusal},
            "logprobs": logprobs,
            "finish_reason": finish_reason,
        }],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


class _ChatHandler(BaseHTTPRequestHandler):
    """The wire side of FakeOpenAI: one request in, one canned reply out."""

    fake: FakeOpenAI  # set on a subclass per server
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as two writes; with Nagle's algorithm and the client's delayed
        # ACK the body would wait ~40 ms, an artifact no real provider has.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        if self.path in ("/health", "/v1/health"):
            self._send(200, {"status": "ok"})
        elif self.path == "/v1/models":
            self._send(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
        else:
            self._send(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path != "/v1/chat/completions":
            self._send(404, {"error": {"message": "not found"}})
            return
        reply = self.fake.take(body, {k.lower(): v for k, v in self.headers.items()})
        if reply.delay or self.fake.delay:
            time.sleep(reply.delay + self.fake.delay)
        if reply.drop:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if reply.status != 200:
            self._send(
                reply.status,
                {"error": {"message": reply.message or f"fake error {reply.status}", "type": "server_error"}},
                reply.headers,
            )
            return
        prompt = sum(len(m.get("content", "")) for m in body.get("messages", []))
        self._send(200, chat_completion(
            reply.content, model=body.get("model", "fake-model"), finish_reason=reply.finish_reason,
            refusal=reply.refusal, prompt_tokens=prompt, completion_tokens=len(reply.content or ""),
            top_logprobs=reply.top_logprobs,
        ), reply.headers)
        with self.fake._lock:
            self.fake.completed.append(body)


class FakeOpenAI:
    """A fake OpenAI-compatible server: a queue of replies, a record of every request.

    A request whose prompt contains a key of ``by_marker`` takes its reply from
    that key's queue first (faults aimed at one article while others run
    concurrently); then the shared queue; when both are empty,
    ``responder(request_body)`` answers (by default a valid summary derived from
    the article title in the prompt). ``completed`` records the bodies whose
    answer was fully sent; ``delay`` is added to every reply.
    """

    def __init__(self, responder: Callable[[dict[str, Any]], Reply] | None = None) -> None:
        self.queue: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.responder = responder or default_responder
        self.by_marker: dict[str, deque[Reply]] = {}
        self.completed: list[dict[str, Any]] = []
        self.delay = 0.0
        self._lock = threading.Lock()
        handler = type("Handler", (_ChatHandler,), {"fake": self})
        self.server = start_server(handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}/v1"

    def take(self, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        """Record one request and pick its reply: aimed, queued, or the responder's."""
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)
            user = json.dumps(body.get("messages", []), ensure_ascii=False)
            marked = next((q for m, q in self.by_marker.items() if m in user and q), None)
            reply = marked.popleft() if marked else (self.queue.popleft() if self.queue else None)
        return reply if reply is not None else self.responder(body)

    def push(self, *replies: Reply) -> None:
        self.queue.extend(replies)

    def aim(self, marker: str, *replies: Reply) -> None:
        """Replies for the requests whose prompt contains ``marker`` (e.g. a word of one article)."""
        self.by_marker.setdefault(marker, deque()).extend(replies)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# Three different generic bullets (no figures, no names), so the trust checks find nothing to flag.
BULLETS = (
    "开篇交代了事件的来龙去脉：发布方是谁、面向哪些用户、想解决什么问题，文章用较多篇幅描述了产品或交易本身的基本情况，并引用了相关负责人的说法。",
    "中段给出关键细节，包括技术路线、核心指标、定价方式和合作伙伴，作者把这些做法与同类方案逐项比较，说明它到底改进了哪里、代价又在何处，值得同行参考。",
    "结尾谈到接下来的安排与不确定性：上市或交付的时间表、仍待验证的假设、监管与竞争方面的风险，以及业内人士对其前景和影响所持的几种不同看法。",
)


def headline_lead(title: str) -> str:
    """The title's first name (a Latin word) or first four Chinese characters: ties headline to story."""
    match = re.match(r"\s*([A-Za-z][A-Za-z0-9]*)", title) or re.search(r"[\u4e00-\u9fff]{1,4}", title)
    return match.group(match.lastindex or 0) if match else "本文"


def quotes_from(parts: list[str]) -> list[str]:
    """One short verbatim quote from the start of each part of the article in the prompt."""
    return [re.sub(r"\s+", " ", part).strip()[:20] for part in parts]


def canned_summary(title: str, sections: list[str], parts: list[str] | None = None) -> dict[str, Any]:
    """A valid, grounded summary that depends only on the article (title and parts): stable golden files."""
    h = int(hashlib.sha1(title.encode()).hexdigest(), 16)
    return {
        "quotes": quotes_from(parts) if parts else [],
        "bullets": list(BULLETS),
        "headline": f"{headline_lead(title)}要点速览",
        "emoji": ["🚀", "📈", "🤖", "🔬", "💡"][h % 5],
        "section": sections[h % len(sections)],
        "importance": 1 + h % 10,
    }


def prompt_article(body: dict[str, Any]) -> tuple[str, list[str]]:
    """(title, three parts) of the article in a summarize request."""
    user = next((m["content"] for m in body.get("messages", []) if m["role"] == "user"), "")
    match = re.search(r"原文标题：(.*)", user)
    title = match.group(1).strip() if match else user[:50]
    parts = re.findall(r"【第[一二三]部分】\n(.*?)(?=\n\n【第|\n</article>)", user, flags=re.S)
    return title, parts


def default_responder(body: dict[str, Any]) -> Reply:
    title, parts = prompt_article(body)
    schema = body.get("response_format", {}).get("json_schema", {}).get("schema", {})
    sections = schema.get("properties", {}).get("section", {}).get("enum") or [
        "产品介绍",
        "产业资讯",
        "技术教程",
        "其他",
    ]
    return Reply(json.dumps(canned_summary(title, sections, parts), ensure_ascii=False))


# Debian's chromium driven by Playwright, for the browser test and bench/review_keyboard.py: no browser
# download (the machine has no way out), loopback only.
# Off: every request chromium makes by itself (updates, sync, safe browsing lists, first-run pages).
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> str | None:
    """JIANDU_CHROMIUM, else Debian's /usr/bin/chromium (apt-get install chromium), else None."""
    given = os.environ.get("JIANDU_CHROMIUM")
    if given:
        return given
    return shutil.which("chromium") or shutil.which("chromium-browser")


def playwright_missing() -> str | None:
    """Why the browser cannot run here, or None when it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    path = chromium_path()
    if path is None or not os.access(path, os.X_OK):
        return "no chromium on PATH (apt-get install -y chromium, or set JIANDU_CHROMIUM)"
    return None


def launch(playwright: Any) -> Any:
    """A headless chromium browser; Playwright's own browser download is never used."""
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=LAUNCH_ARGS)
