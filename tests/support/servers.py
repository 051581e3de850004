"""Real HTTP servers on 127.0.0.1 for the tests: a feed/page server here, the fake OpenAI-compatible
server from ``summarizer.testing`` (shared with the benches)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from summarizer.testing import (
    BULLETS,
    FakeOpenAI,
    Reply,
    canned_summary,
    chat_completion,
    default_responder,
    headline_lead,
    prompt_article,
    quotes_from,
    start_server,
)

from .fixtures import FIXTURES, fixture_file

__all__ = ["BULLETS", "CONTENT_TYPES", "FIXTURES", "FakeOpenAI", "Reply", "SiteServer", "canned_summary",
           "chat_completion", "default_responder", "headline_lead", "prompt_article", "quotes_from"]

CONTENT_TYPES = {
    ".xml": "application/xml",
    ".html": "text/html",
    ".json": "application/json",
}


class SiteServer:
    """Serves tests/fixtures over HTTP. ``FIXTURE_HOST`` in a file becomes this server's host:port.

    ETags are derived from the body, so a second fetch of an unchanged feed gets 304.
    ``overrides`` maps a path to (status, headers, body) for one-off pages;
    ``sequences`` maps a path to a list of those served in turn (the last repeats);
    ``handlers`` maps a path to a function given the raw request handler, for
    servers that misbehave below HTTP (trickle a byte a second, stream forever);
    ``gates`` maps a path to a function that blocks until its page may be served as usual
    (to hold one page back while the run goes on).
    """

    def __init__(self, root: Path = FIXTURES) -> None:
        self.root = root
        self.requests: list[tuple[str, str]] = []  # (method, path)
        self.request_headers: list[dict[str, str]] = []
        self.overrides: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.sequences: dict[str, list[tuple[int, dict[str, str], bytes]]] = {}
        self.handlers: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}
        self.gates: dict[str, Callable[[], object]] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                site.requests.append(("GET", self.path))
                site.request_headers.append({k.lower(): v for k, v in self.headers.items()})
                path = self.path.split("?", 1)[0]
                if path in site.gates:
                    site.gates[path]()
                if path in site.handlers:
                    try:
                        site.handlers[path](self)
                    except (BrokenPipeError, ConnectionResetError):
                        pass  # the client gave up, as it should
                    return
                if path in site.sequences:
                    queue = site.sequences[path]
                    site.overrides[path] = queue.pop(0) if len(queue) > 1 else queue[0]
                if path in site.overrides:
                    status, headers, body = site.overrides[path]
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                file = fixture_file(site.root, path)
                if file is None:
                    self.send_error(404)
                    return
                body = file.read_bytes().replace(b"FIXTURE_HOST", site.host.encode())
                etag = '"' + hashlib.sha1(body).hexdigest()[:12] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPES.get(file.suffix, "application/octet-stream"))
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = start_server(Handler)
        self.host = f"127.0.0.1:{self.server.server_port}"
        self.base = f"http://{self.host}"

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def count(self, prefix: str) -> int:
        return sum(1 for _, p in self.requests if p.startswith(prefix))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


