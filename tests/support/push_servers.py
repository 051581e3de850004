"""Loopback stand-ins for every push API: each checks the real request shape, signature and size limit,
and answers errors the way the real service does (Feishu's code in a 200 body, DingTalk's and WeCom's
errcode, Telegram's ok:false, Slack's plain words, Discord's JSON codes)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from summarizer.testing import start_server

Answer = tuple[int, Any]  # status, and a dict (sent as JSON) or a str (sent as text)


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


@dataclass
class StandIn:
    """A real HTTP server on 127.0.0.1; subclasses implement ``answer``."""

    requests: list[Received] = field(default_factory=list)
    accepted: list[Received] = field(default_factory=list)
    fail_on: set[int] = field(default_factory=set)  # request numbers (1-based) answered with a 500 once
    limit_on: set[int] = field(default_factory=set)  # request numbers answered with the API's own 429 once

    def __post_init__(self) -> None:
        stand_in = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                got = Received(
                    parts.path,
                    {k: v[0] for k, v in parse_qs(parts.query).items()},
                    {k.lower(): v for k, v in self.headers.items()},
                    raw,
                )
                with lock:
                    stand_in.requests.append(got)
                    number = len(stand_in.requests)
                if number in stand_in.fail_on:
                    stand_in.fail_on.discard(number)
                    status, body = 500, "upstream hiccup"
                elif number in stand_in.limit_on:
                    stand_in.limit_on.discard(number)
                    status, body = 429, stand_in.too_many()
                else:
                    status, body = stand_in.answer(got)
                if 200 <= status < 300 and stand_in.ok(body):
                    stand_in.accepted.append(got)
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                kind = "text/plain; charset=utf-8" if isinstance(body, str) else "application/json"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = start_server(Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, got: Received) -> Answer:
        raise NotImplementedError

    def ok(self, body: Any) -> bool:
        return True

    def too_many(self) -> Any:
        return "rate limited"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


@dataclass
class Feishu(StandIn):
    """open.feishu.cn custom bot: /open-apis/bot/v2/hook/<token>, body at most 20 KB, optional signature."""

    token: str = "fs-hook-token-123"
    secret: str | None = None

    @property
    def url(self) -> str:
        return f"{self.base}/open-apis/bot/v2/hook/{self.token}"

    def ok(self, body: Any) -> bool:
        return isinstance(body, dict) and body.get("code") == 0

    def answer(self, got: Received) -> Answer:
        if got.path != f"/open-apis/bot/v2/hook/{self.token}":
            return 200, {
                "code": 19001,
                "msg": "param invalid: incoming webhook access token invalid",
                "data": {},
            }
        body = _json_or_none(got.raw)
        if len(got.raw) > 20 * 1024 or not isinstance(body, dict):
            return 200, {"code": 9499, "msg": "Bad Request", "data": {}}
        if self.secret is not None:
            stamp = str(body.get("timestamp", ""))
            key = f"{stamp}\n{self.secret}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            fresh = stamp.isdigit() and abs(time.time() - int(stamp)) < 3600
            if not fresh or body.get("sign") != expected:
                return 200, {
                    "code": 19021,
                    "msg": "sign match fail or timestamp is not within one hour from current time",
                    "data": {},
                }
        post = (body.get("content") or {}).get("post") or {}
        rows = next(iter(post.values()), {}).get("content") if post else None
        tags = {"text", "a", "at", "img", "emotion", "hr", "code_block", "md"}
        if (
            body.get("msg_type") != "post"
            or not isinstance(rows, list)
            or not all(
                isinstance(row, list) and all(isinstance(e, dict) and e.get("tag") in tags for e in row)
                for row in rows
            )
        ):
            return 200, {"code": 9499, "msg": "Bad Request", "data": {}}
        return 200, {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}


@dataclass
class DingTalk(StandIn):
    """oapi.dingtalk.com/robot/send?access_token=…; 加签 as timestamp (ms) and sign query parameters."""

    token: str = "dd-access-token-456"
    secret: str | None = None

    @property
    def url(self) -> str:
        return f"{self.base}/robot/send?access_token={self.token}"

    def ok(self, body: Any) -> bool:
        return isinstance(body, dict) and body.get("errcode") == 0

    def answer(self, got: Received) -> Answer:
        if got.path != "/robot/send" or got.query.get("access_token") != self.token:
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}
        if self.secret is not None:
            stamp = got.query.get("timestamp", "")
            digest = hmac.new(
                self.secret.encode(), f"{stamp}\n{self.secret}".encode(), hashlib.sha256
            ).digest()
            fresh = stamp.isdigit() and abs(time.time() * 1000 - int(stamp)) < 3_600_000
            if not fresh or got.query.get("sign") != base64.b64encode(digest).decode():
                return 200, {
                    "errcode": 310000,
                    "errmsg": "sign not match, more: [https://ding-doc.dingtalk.com]",
                }
        body = _json_or_none(got.raw) or {}
        markdown = body.get("markdown") or {}
        if body.get("msgtype") != "markdown" or not markdown.get("title") or not markdown.get("text"):
            return 200, {"errcode": 40035, "errmsg": "缺少参数 json"}
        if len(markdown["text"].encode("utf-8")) > 20_000:
            return 200, {"errcode": 460101, "errmsg": "message too long, exceed 20000 bytes"}
        return 200, {"errcode": 0, "errmsg": "ok"}


@dataclass
class WeCom(StandIn):
    """qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…; markdown content at most 4,096 UTF-8 bytes."""

    key: str = "wc-key-789"

    @property
    def url(self) -> str:
        return f"{self.base}/cgi-bin/webhook/send?key={self.key}"

    def ok(self, body: Any) -> bool:
        return isinstance(body, dict) and body.get("errcode") == 0

    def answer(self, got: Received) -> Answer:
        if got.path != "/cgi-bin/webhook/send" or got.query.get("key") != self.key:
            return 200, {"errcode": 93000, "errmsg": "invalid webhook url, hint: [1] from ip: 127.0.0.1"}
        body = _json_or_none(got.raw) or {}
        content = (body.get("markdown") or {}).get("content")
        if body.get("msgtype") != "markdown" or not content:
            return 200, {"errcode": 40008, "errmsg": "invalid message type"}
        if len(content.encode("utf-8")) > 4096:
            return 200, {
                "errcode": 40058,
                "errmsg": "markdown.content exceed max length 4096. invalid Request Parameter",
            }
        return 200, {"errcode": 0, "errmsg": "ok"}


class _TelegramHTML(HTMLParser):
    """Telegram's HTML parse mode: a few tags, every one closed; text length after parsing."""

    ALLOWED = {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "span",
        "tg-spoiler",
        "blockquote",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.open: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.ALLOWED and self.error is None:
            self.error = f'Unsupported start tag "{tag}" at byte offset {self.getpos()[1]}'
        if tag == "a" and not dict(attrs).get("href", "").startswith(("http://", "https://", "tg://")):
            self.error = self.error or "Wrong HTTP URL"
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.error = self.error or f'Unexpected end tag "{tag}"'

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@dataclass
class Telegram(StandIn):
    """api.telegram.org/bot<token>/sendMessage with parse_mode HTML; text 1-4096 characters after parsing."""

    token: str = "123456:tg-bot-token-abc"
    chat_id: str = "@jiandu_channel"

    def too_many(self) -> Any:
        return {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1}}

    def ok(self, body: Any) -> bool:
        return isinstance(body, dict) and body.get("ok") is True

    def answer(self, got: Received) -> Answer:
        if got.path != f"/bot{self.token}/sendMessage":
            if got.path.startswith("/bot") and got.path.endswith("/sendMessage"):
                return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        body = _json_or_none(got.raw) or {}
        if str(body.get("chat_id")) != self.chat_id:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
        text = str(body.get("text") or "")
        if body.get("parse_mode") == "HTML":
            parser = _TelegramHTML()
            parser.feed(text)
            parser.close()
            if parser.error or parser.open:
                reason = parser.error or f'Can\'t find end tag corresponding to start tag "{parser.open[-1]}"'
                return 400, {
                    "ok": False,
                    "error_code": 400,
                    "description": f"Bad Request: can't parse entities: {reason}",
                }
            text = "".join(parser.text)
        if not text.strip():
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}
        return 200, {
            "ok": True,
            "result": {
                "message_id": len(self.requests),
                "date": int(time.time()),
                "chat": {"id": -100123, "type": "channel"},
                "text": html.unescape(text),
            },
        }


@dataclass
class Slack(StandIn):
    """hooks.slack.com/services/…: answers 200 "ok", or 4xx with one word."""

    hook: str = "/services/T0001/B0001/slackSecretXYZ"

    @property
    def url(self) -> str:
        return f"{self.base}{self.hook}"

    def ok(self, body: Any) -> bool:
        return body == "ok"

    def answer(self, got: Received) -> Answer:
        if got.path != self.hook:
            return 404, "no_service"
        body = _json_or_none(got.raw)
        if not isinstance(body, dict):
            return 400, "invalid_payload"
        blocks = body.get("blocks") or []
        if not body.get("text") and not blocks:
            return 400, "no_text"
        if len(blocks) > 50 or any(len((b.get("text") or {}).get("text") or "") > 3000 for b in blocks):
            return 400, "invalid_blocks"
        return 200, "ok"


@dataclass
class Discord(StandIn):
    """discord.com/api/webhooks/<id>/<token>: content at most 2,000 characters; ?wait=true returns it."""

    webhook_id: str = "112233"
    token: str = "discord-webhook-token-def"

    def too_many(self) -> Any:
        return {"message": "You are being rate limited.", "retry_after": 0.25, "global": False}

    @property
    def url(self) -> str:
        return f"{self.base}/api/webhooks/{self.webhook_id}/{self.token}"

    def ok(self, body: Any) -> bool:
        return body == "" or (isinstance(body, dict) and "id" in body)

    def answer(self, got: Received) -> Answer:
        if not got.path.startswith(f"/api/webhooks/{self.webhook_id}/"):
            return 404, {"message": "Unknown Webhook", "code": 10015}
        if got.path != f"/api/webhooks/{self.webhook_id}/{self.token}":
            return 401, {"message": "Invalid Webhook Token", "code": 50027}
        body = _json_or_none(got.raw) or {}
        content = body.get("content") or ""
        if not content and not body.get("embeds"):
            return 400, {"message": "Cannot send an empty message", "code": 50006}
        if len(content) > 2000:
            return 400, {
                "message": "Invalid Form Body",
                "code": 50035,
                "errors": {
                    "content": {
                        "_errors": [
                            {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}
                        ]
                    }
                },
            }
        if got.query.get("wait") == "true":
            return 200, {
                "id": str(len(self.requests)),
                "type": 0,
                "content": content,
                "webhook_id": self.webhook_id,
            }
        return 204, ""


@dataclass
class Webhook(StandIn):
    """Any JSON endpoint: checks X-Jiandu-Signature when it knows the secret."""

    secret: str | None = None

    @property
    def url(self) -> str:
        return f"{self.base}/jiandu"

    def answer(self, got: Received) -> Answer:
        if self.secret is not None:
            digest = hmac.new(self.secret.encode(), got.raw, hashlib.sha256).hexdigest()
            if got.headers.get("x-jiandu-signature") != f"sha256={digest}":
                return 401, {"error": "bad signature"}
        if _json_or_none(got.raw) is None:
            return 400, {"error": "not JSON"}
        return 200, {"received": True}
