"""Issue 26: push targets that drip, answer odd JSON or send a huge reply never hang, crash or fill memory;
secrets in configured URLs stay out of every line and row. Real HTTP on loopback, real SQLite."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from support.push_servers import WeCom
from test_push import DATE, make_issue, settings_for

from summarizer.publish.push import push_issue
from summarizer.store import Store
from summarizer.testing import LoopbackServer, start_server

Answer = Callable[[BaseHTTPRequestHandler], None]


def serve(answer: Answer) -> LoopbackServer:
    """A loopback server whose every POST is answered by ``answer`` (after the body is read)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                answer(self)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True

    return start_server(Handler)


def url(server: LoopbackServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/hook"


def body(status: int, data: bytes, kind: str = "application/json") -> Answer:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    return answer


@pytest.fixture
def wecom() -> Iterator[WeCom]:
    server = WeCom()
    yield server
    server.close()


def push_lines(tmp_path: Path, targets: list[dict[str, Any]]) -> list[str]:
    settings = settings_for(tmp_path, targets)
    with Store(settings.database_path) as store:
        return [o.line() for o in push_issue(store, settings, make_issue(tmp_path, 3))]


def logged(tmp_path: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(tmp_path / "jiandu.db") as db:
        return db.execute("SELECT target, status, error FROM push_log ORDER BY rowid").fetchall()


# -- 2: any JSON shape, non-JSON or an empty reply ---------------------------------------------------------

ODD = {
    "list-parameters": (200, b'{"ok":true,"parameters":[1]}'),
    "number-parameters": (429, b'{"parameters":5,"retry_after":[2]}'),
    "a-list": (200, b"[1,2,3]"),
    "null": (200, b"null"),
    "empty": (200, b""),
    "not-json": (500, b"\xff\xfe<html>oops"),
    "deep": (200, b"[" * 100_000 + b"]" * 100_000),
}


def test_any_reply_shape_is_one_line_and_later_targets_still_go(tmp_path: Path, wecom: WeCom) -> None:
    servers = {name: serve(body(status, data)) for name, (status, data) in ODD.items()}
    try:
        targets = [{"name": name, "type": "webhook", "url": url(s)} for name, s in servers.items()]
        lines = push_lines(tmp_path, [*targets, {"name": "wx", "type": "wecom", "url": wecom.url}])
    finally:
        for server in servers.values():
            server.shutdown()
            server.server_close()
    assert lines[:4] == [f"push {name} (webhook): sent 1 of 1 messages" for name in list(ODD)[:1]] + [
        "push number-parameters: HTTP 429: {\"parameters\":5,\"retry_after\":[2]}",
        "push a-list (webhook): sent 1 of 1 messages",
        "push null (webhook): sent 1 of 1 messages",
    ]
    assert lines[4] == "push empty (webhook): sent 1 of 1 messages"
    assert lines[5].startswith("push not-json: HTTP 500: ") and "\n" not in lines[5]
    assert lines[6] == "push deep (webhook): sent 1 of 1 messages"
    assert lines[7].startswith("push wx (wecom): sent") and wecom.accepted
    assert [(t, s) for t, s, _ in logged(tmp_path)] == [
        ("list-parameters", "sent"), ("number-parameters", "failed"), ("a-list", "sent"), ("null", "sent"),
        ("empty", "sent"), ("not-json", "failed"), ("deep", "sent"), *[("wx", "sent")] * len(wecom.accepted)]


# -- 1: a target that drips its reply has one total deadline ----------------------------------------------


def drip(handler: BaseHTTPRequestHandler) -> None:
    """Headers at once, then one byte every 2 s for a minute: each byte resets a read timeout."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "30")
    handler.end_headers()
    handler.wfile.flush()
    for _ in range(30):
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(2)


def test_a_dripping_target_is_cut_at_its_deadline_and_the_next_goes(tmp_path: Path, wecom: WeCom) -> None:
    slow = serve(drip)
    result: dict[str, Any] = {}

    def run() -> None:
        result["lines"] = push_lines(tmp_path, [{"name": "slow", "type": "webhook", "url": url(slow),
                                                 "timeout": 3},
                                                {"name": "wx", "type": "wecom", "url": wecom.url}])

    worker = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(45)  # generous: the deadline is 3 s; without one it would run for a minute
    took = time.monotonic() - started
    slow.shutdown()
    slow.server_close()
    assert not worker.is_alive() and took < 45, "push still running: no total deadline"
    lines = result["lines"]
    assert lines[0] == "push slow: no complete answer within the 3s deadline (server too slow)"
    assert lines[1].startswith("push wx (wecom): sent") and wecom.accepted
    assert logged(tmp_path)[0] == ("slow", "failed", lines[0])


# -- 5: a huge reply is not read whole ---------------------------------------------------------------------


def endless(declared: bool) -> Answer:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if declared:
            handler.send_header("Content-Length", str(200_000_000))
        handler.end_headers()
        chunk = b"x" * 65536
        for _ in range(200_000_000 // len(chunk)):
            handler.wfile.write(chunk)

    return answer


@pytest.mark.parametrize("declared", [True, False])
def test_a_huge_reply_is_cut_at_the_cap(tmp_path: Path, wecom: WeCom, declared: bool) -> None:
    import tracemalloc

    big = serve(endless(declared))
    tracemalloc.start()
    try:
        lines = push_lines(tmp_path, [{"name": "big", "type": "webhook", "url": url(big), "timeout": 60},
                                      {"name": "wx", "type": "wecom", "url": wecom.url}])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        big.shutdown()
        big.server_close()
    assert lines[0] == "push big: HTTP 200: the reply is over the 1,000,000-byte limit; not read further"
    assert lines[1].startswith("push wx (wecom): sent")
    assert peak < 50_000_000, peak  # 200 MB read whole would be far over


# -- 4: two `push --missing` at once deliver once -------------------------------------------------------


def published(tmp_path: Path, targets: list[dict[str, Any]]) -> Path:
    """A config on disk and an issue published in its database, as `publish --no-push` leaves them."""
    import yaml

    from summarizer.store import ReviewWrite

    make_issue(tmp_path, 3)
    config = tmp_path / "feeds.yaml"
    config.write_text(yaml.safe_dump({"push": targets, "database": "jiandu.db", "output_dir": "out"}))
    with Store(tmp_path / "jiandu.db") as store:
        store.save_review(ReviewWrite(date=DATE, state="published", meta={"title": "简读·AI日报"},
                                      draft_sha=None, published_sha="x", published_at="2026-11-20T08:00:00Z",
                                      items={}, history=[]))
    return config


def start_push(config: Path, *args: str) -> subprocess.Popen[str]:
    # This checkout's package, whatever the environment has installed.
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen([sys.executable, "-m", "summarizer", "push", *args, "--config", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=config.parent,
                            env=env)


def test_two_pushes_at_once_deliver_once(tmp_path: Path) -> None:
    posts: list[float] = []

    def slow(handler: BaseHTTPRequestHandler) -> None:
        posts.append(time.monotonic())
        time.sleep(3)  # the second push starts while the first waits for this answer
        body(200, b"{}")(handler)

    server = serve(slow)
    try:
        config = published(tmp_path, [{"name": "hook", "type": "webhook", "url": url(server)}])
        first = start_push(config, DATE, "--missing")
        deadline = time.monotonic() + 30
        while not posts and time.monotonic() < deadline:
            time.sleep(0.05)
        second = start_push(config, DATE, "--missing")
        out2, err2 = second.communicate(timeout=60)
        out1, err1 = first.communicate(timeout=60)
    finally:
        server.shutdown()
        server.server_close()
    assert first.returncode == 0, err1
    assert out1.strip() == "push hook (webhook): sent 1 of 1 messages"
    assert second.returncode == 3 and out2 == "", err2
    [line] = err2.strip().splitlines()
    assert line.startswith(f"error: {tmp_path / 'jiandu.db'}: another push is in progress (pid ")
    assert len(posts) == 1
    assert logged(tmp_path) == [("hook", "sent", None)]


def test_a_push_goes_while_a_digest_run_holds_the_run_lock(tmp_path: Path) -> None:
    # The push lock is its own: a night's digest run (hours on the local model) must not block delivery.
    from summarizer.store.lock import run_lock

    server = serve(body(200, b"{}"))
    try:
        config = published(tmp_path, [{"name": "hook", "type": "webhook", "url": url(server)}])
        with run_lock(tmp_path / "jiandu.db", "2026-11-21"):
            out, err = start_push(config, DATE, "--missing").communicate(timeout=60)
    finally:
        server.shutdown()
        server.server_close()
    assert out.strip() == "push hook (webhook): sent 1 of 1 messages", err
