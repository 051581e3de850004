"""Issue 26.3 (and 25.7): the secret parts of a configured URL (userinfo, every query value) are masked in
every printed line (push lines, the live progress lines, the report) and every stored message. Real HTTP on
loopback, real SQLite, the real CLI."""

from __future__ import annotations

import json
import sqlite3
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_config
from servers import FakeOpenAI, Reply, SiteServer
from support.push_servers import WeCom
from test_push_faults import push_lines, serve, url

from summarizer.cli import cli

DATE = "2026-11-20"


def dump(db: Path) -> str:
    return "\n".join(sqlite3.connect(db).iterdump())


def echo_400(handler: BaseHTTPRequestHandler) -> None:
    """A 400 that repeats the request line, as some gateways do."""
    data = json.dumps({"errcode": 400, "errmsg": f"bad request: POST {handler.path}"}).encode()
    handler.send_response(400)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def test_a_url_env_access_token_echoed_by_a_400_is_masked(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    token = "hook-access-token-5a4b3c2d1e"
    echo = serve(echo_400)
    wecom = WeCom()
    monkeypatch.setenv("HOOK_URL", f"{url(echo)}?access_token={token}&x=1")
    try:
        lines = push_lines(tmp_path, [{"name": "hook", "type": "webhook", "url_env": "HOOK_URL"},
                                      {"name": "wx", "type": "wecom", "url": wecom.url}])
    finally:
        echo.shutdown()
        echo.server_close()
        wecom.close()
    assert lines[0].startswith("push hook: HTTP 400: ") and "access_token=[redacted]" in lines[0], lines
    assert all(token not in line for line in lines)
    assert token not in dump(tmp_path / "jiandu.db") and "push_log" in dump(tmp_path / "jiandu.db")


def test_a_password_in_openai_base_url_is_masked_in_lines_and_articles(
    tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    password = "base-url-pass-9f8e7d"
    fake_llm.responder = lambda body: Reply(status=500)
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/rss2.xml"],
                          llm={"provider": "openai", "model": "fake-model", "max_retries": 0, "timeout": 10})
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.base_url.replace("://", f"://jiandu:{password}@"))
    result = CliRunner().invoke(cli, ["digest", "-c", str(config), "--date", DATE])
    assert fake_llm.requests, result.output  # the model was asked, and failed
    assert "fake-model @ http://[redacted]@127.0.0.1" in result.output
    assert password not in result.output and "jiandu:" not in result.output
    stored = dump(tmp_path / "state" / "jiandu.db")
    assert "[redacted]@127.0.0.1" in stored and password not in stored


def test_a_feed_url_query_key_is_masked_on_the_live_progress_lines(
    tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI
) -> None:
    key = "feed-query-secret-0a1b2c3d"
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/rss2.xml"])
    data = __import__("yaml").safe_load(config.read_text(encoding="utf-8"))
    data["feeds"].append({"url": site.url(f"feeds/gone.xml?token={key}"), "name": "gone"})
    config.write_text(__import__("yaml").safe_dump(data), encoding="utf-8")
    result = CliRunner().invoke(cli, ["digest", "-c", str(config), "--date", DATE])
    progress = [line for line in result.output.splitlines() if "✗" in line]
    assert progress and any("token=[redacted]" in line for line in progress), result.output
    assert key not in result.output
    stored = dump(tmp_path / "state" / "jiandu.db").replace(site.url(f"feeds/gone.xml?token={key}"), "")
    assert key not in stored  # the feed's own row keeps its configured URL; no message holds the key
