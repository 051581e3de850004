"""One client per platform: its messages (split under its limit) and how one is delivered and checked.

Request shapes, signing and error replies follow each platform's documentation:
- Feishu/Lark custom bot: POST {msg_type: post, content}; with 签名校验, ``timestamp`` (seconds) and
  ``sign`` = base64(HMAC-SHA256(key="timestamp\\nsecret", message="")) in the body. The body may be at
  most 20 KB; errors come as HTTP 200 with ``code`` != 0 (19021 sign mismatch, 9499 bad request).
- DingTalk custom robot: POST {msgtype: markdown, markdown: {title, text}}; with 加签, ``timestamp``
  (milliseconds) and ``sign`` = base64(HMAC-SHA256(key=secret, message="timestamp\\nsecret")) as query
  parameters. Messages up to 20,000 bytes; errors as ``errcode`` != 0 (310000 sign mismatch).
- WeCom group bot: POST {msgtype: markdown, markdown: {content}}, content at most 4,096 UTF-8 bytes;
  ``errcode`` != 0 on error (40058 too long, 93000 bad key).
- Telegram Bot API: POST {base}/bot{token}/sendMessage {chat_id, text, parse_mode: HTML}; text 1-4,096
  characters after entity parsing; ``ok: false`` with ``error_code`` and ``description`` on error.
- Slack incoming webhook: POST {text, blocks: [section mrkdwn]} (a section's text at most 3,000
  characters); answers 200 "ok", or 4xx with a word (invalid_payload, invalid_blocks, no_service).
- Discord webhook: POST {content} with ?wait=true, content at most 2,000 characters; 200 with the
  message, or 4xx JSON {code, message} (50035 invalid form body, 10015 unknown webhook).
- Generic webhook: POST the whole issue as JSON; optional X-Jiandu-Signature: sha256=<hex HMAC of body>.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ...config import (
    DingTalkTarget,
    DiscordTarget,
    FeishuTarget,
    SlackTarget,
    TargetBase,
    TelegramTarget,
    WebhookTarget,
    WeComTarget,
)
from ..issue import PublishedIssue, issue_json
from . import formats
from .http import Http
from .split import Format, split

FEISHU_MAX_BYTES = 20_000  # "请求体的数据大小不能超过 20 KB"
DINGTALK_MAX_BYTES = 20_000
WECOM_MAX_BYTES = 4_096
TELEGRAM_MAX_CHARS = 4_096
SLACK_MAX_CHARS = 3_000  # one section block's text
DISCORD_MAX_CHARS = 2_000


@dataclass(frozen=True)
class Message:
    body: Any  # what is POSTed as JSON (before signing)
    text: str  # what the sha and the record are taken over

    @property
    def sha(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def _utf8(text: str) -> int:
    return len(text.encode("utf-8"))


def _dumps(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def messages(target: TargetBase, issue: PublishedIssue) -> list[Message]:
    """The issue as this target's messages, in order, each under the platform's limit."""
    if isinstance(target, FeishuTarget):
        # Measured as the whole body with room for the timestamp and signature the sender adds.
        fmt: Format[Any] = Format(formats.feishu_post, lambda c: _utf8(_dumps(_feishu_body(c))) + 80,
                                  FEISHU_MAX_BYTES)
        return [Message(_feishu_body(c), _dumps(c)) for c in split(issue, fmt)]
    if isinstance(target, DingTalkTarget):
        texts = split(issue, Format(formats.markdown, _utf8, DINGTALK_MAX_BYTES))
        return [Message({"msgtype": "markdown", "markdown": {"title": issue.heading, "text": t}}, t)
                for t in texts]
    if isinstance(target, WeComTarget):
        texts = split(issue, Format(formats.markdown, _utf8, WECOM_MAX_BYTES))
        return [Message({"msgtype": "markdown", "markdown": {"content": t}}, t) for t in texts]
    if isinstance(target, TelegramTarget):
        texts = split(issue, Format(formats.telegram_html, formats.telegram_length, TELEGRAM_MAX_CHARS))
        return [Message({"chat_id": target.chat_id, "text": t, "parse_mode": "HTML",
                         "link_preview_options": {"is_disabled": True}}, t) for t in texts]
    if isinstance(target, SlackTarget):
        texts = split(issue, Format(formats.slack_mrkdwn, len, SLACK_MAX_CHARS))
        return [Message({"text": issue.heading,
                         "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": t}}]}, t)
                for t in texts]
    if isinstance(target, DiscordTarget):
        texts = split(issue, Format(formats.markdown, len, DISCORD_MAX_CHARS))
        return [Message({"content": t, "allowed_mentions": {"parse": []}}, t) for t in texts]
    if isinstance(target, WebhookTarget):
        body = issue_json(issue)
        return [Message(body, _dumps(body))]
    raise TypeError(f"no HTTP client for push type {target.type}")


def _feishu_body(content: dict[str, Any]) -> dict[str, Any]:
    return {"msg_type": "post", "content": content}


def feishu_sign(timestamp: str, secret: str) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def dingtalk_sign(timestamp: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def deliver(http: Http, target: TargetBase, message: Message) -> None:
    """Send one message. Raises PushError with the platform's own error words."""
    url = target.address()
    if isinstance(target, FeishuTarget):
        body = dict(message.body)
        if target.secret_env:
            stamp = str(int(time.time()))
            sign = feishu_sign(stamp, target.secret(target.secret_env) or "")
            body = {"timestamp": stamp, "sign": sign, **body}
        reply = http.post(url, json=body)
        http.check(reply, reply.status == 200 and reply.field("code") == 0,
                   f"code {reply.field('code')}: {reply.field('msg')}" if reply.data else reply.text)
    elif isinstance(target, (DingTalkTarget, WeComTarget)):
        if isinstance(target, DingTalkTarget) and target.secret_env:
            stamp = str(int(time.time() * 1000))
            sign = dingtalk_sign(stamp, target.secret(target.secret_env) or "")
            # Added to the URL by hand: a params= argument would replace the access_token already there.
            url += f"{'&' if '?' in url else '?'}timestamp={stamp}&sign={quote(sign, safe='')}"
        reply = http.post(url, json=message.body)
        http.check(reply, reply.status == 200 and reply.field("errcode") == 0,
                   f"errcode {reply.field('errcode')}: {reply.field('errmsg')}" if reply.data else reply.text)
    else:
        _SIMPLE[type(target)](http, target, url, message)


def _telegram(http: Http, target: Any, url: str, message: Message) -> None:
    token = target.secret(target.token_env) or ""
    reply = http.post(f"{url.rstrip('/')}/bot{token}/sendMessage", json=message.body)
    detail = reply.text
    if reply.data:
        detail = f"error_code {reply.field('error_code')}: {reply.field('description')}"
    http.check(reply, reply.field("ok") is True, detail)


def _slack(http: Http, target: Any, url: str, message: Message) -> None:
    reply = http.post(url, json=message.body)
    http.check(reply, reply.status == 200 and reply.text.strip() == "ok", reply.text)


def _discord(http: Http, target: Any, url: str, message: Message) -> None:
    reply = http.post(url, json=message.body, params={"wait": "true"})
    detail = f"code {reply.field('code')}: {reply.field('message')}" if reply.data else reply.text
    http.check(reply, reply.status in (200, 204), detail)


def _webhook(http: Http, target: Any, url: str, message: Message) -> None:
    content = message.text.encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8"}
    secret = target.secret(target.secret_env)
    if secret:
        digest = hmac.new(secret.encode(), content, hashlib.sha256).hexdigest()
        headers["X-Jiandu-Signature"] = f"sha256={digest}"
    reply = http.post(url, content=content, headers=headers)
    http.check(reply, 200 <= reply.status < 300, reply.text)


_SIMPLE: dict[type, Callable[[Http, Any, str, Message], None]] = {
    TelegramTarget: _telegram, SlackTarget: _slack, DiscordTarget: _discord, WebhookTarget: _webhook,
}
