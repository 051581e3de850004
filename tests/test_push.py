"""Push after publish: every channel against its loopback stand-in (request shape, signature, split, limit,
errors), one target failing while the others go, nothing sent twice, secrets nowhere."""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.push_servers import DingTalk, Discord, Feishu, Received, Slack, StandIn, Telegram, Webhook, WeCom
from support.smtp_server import SmtpServer

from summarizer.config import DigestSettings, Settings, settings_from_dict
from summarizer.digest.build import DigestItem, build_digest
from summarizer.digest.render import render_markdown
from summarizer.publish.issue import PublishedIssue, read_issue
from summarizer.publish.push import push_issue
from summarizer.publish.push import targets as push_targets
from summarizer.store import Store

DATE = "2026-11-20"
SECRETS = {
    "FEISHU_SECRET": "feishu-signing-secret",
    "DINGTALK_SECRET": "SECdingtalk-signing-secret",
    "TELEGRAM_TOKEN": "123456:tg-bot-token-abc",
    "SMTP_PASSWORD": "smtp-password-xyz",
    "HOOK_SECRET": "hook-hmac-secret",
    "SLACK_URL": "",
}


def bullet(n: int, k: int) -> str:
    return (
        f"第{n}条新闻的第{k}个要点：这家公司发布了新的模型与工具，说明了面向的用户、解决的问题和定价方式，"
        "并与同类方案逐项比较，指出改进之处与代价，也谈到后续的交付安排和仍待验证的假设。"
    )


def make_issue(
    tmp_path: Path, items: int, *, base_url: str | None = "https://digest.example.com/"
) -> PublishedIssue:
    """A published issue of ``items`` items rendered by the real renderer, read back as publish does."""
    sections = ["产品介绍", "产业资讯", "技术教程"]
    made = [
        DigestItem(
            canonical_url=f"https://news.example.com/item-{n}.html",
            headline=f"第{n}条：模型发布与行业动向",
            emoji="🚀",
            section=sections[n % 3],
            bullets=[bullet(n, k) for k in (1, 2, 3)],
            importance=10 - n % 10,
            links=[f"https://news.example.com/item-{n}.html?a=1&b=<2>"],
            source="feed",
            source_title="t",
            source_zi=900,
            sources=1 + n % 3,
        )
        for n in range(1, items + 1)
    ]
    digest = build_digest(made, DigestSettings(max_items=200, max_items_per_section=200), date=DATE)
    (tmp_path / "out").mkdir(exist_ok=True)
    (tmp_path / "out" / f"{DATE}.md").write_text(render_markdown(digest), encoding="utf-8")
    return read_issue(tmp_path / "out", DATE, title="简读·AI日报", base_url=base_url)


def settings_for(tmp_path: Path, targets: list[dict[str, Any]]) -> Settings:
    return settings_from_dict(
        {
            "push": targets,
            "database": "jiandu.db",
            "output_dir": "out",
            "publish": {"base_url": "https://digest.example.com/"},
        },
        base_dir=tmp_path,
    )


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        if value:
            monkeypatch.setenv(name, value)


@pytest.fixture
def stand_ins() -> Iterator[dict[str, StandIn]]:
    servers: dict[str, StandIn] = {
        "feishu": Feishu(secret=SECRETS["FEISHU_SECRET"]),
        "dingtalk": DingTalk(secret=SECRETS["DINGTALK_SECRET"]),
        "wecom": WeCom(),
        "telegram": Telegram(),
        "slack": Slack(),
        "discord": Discord(),
        "webhook": Webhook(secret=SECRETS["HOOK_SECRET"]),
    }
    yield servers
    for server in servers.values():
        server.close()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(username="digest@example.com", password=SECRETS["SMTP_PASSWORD"])
    yield server
    server.close()


def all_targets(s: dict[str, Any], smtp: SmtpServer) -> list[dict[str, Any]]:
    return [
        {"name": "team", "type": "feishu", "url": s["feishu"].url, "secret_env": "FEISHU_SECRET"},
        {"name": "ding", "type": "dingtalk", "url": s["dingtalk"].url, "secret_env": "DINGTALK_SECRET"},
        {"name": "wx", "type": "wecom", "url": s["wecom"].url},
        {
            "name": "tg",
            "type": "telegram",
            "url": s["telegram"].base,
            "token_env": "TELEGRAM_TOKEN",
            "chat_id": "@jiandu_channel",
        },
        {"name": "slack", "type": "slack", "url": s["slack"].url},
        {"name": "dc", "type": "discord", "url": s["discord"].url},
        {
            "name": "mail",
            "type": "email",
            "url": smtp.url,
            "starttls": False,
            "username": "digest@example.com",
            "secret_env": "SMTP_PASSWORD",
            "sender": "digest@example.com",
            "to": ["a@example.com", "b@example.com"],
        },
        {"name": "hook", "type": "webhook", "url": s["webhook"].url, "secret_env": "HOOK_SECRET"},
    ]


def text_of(kind: str, got: Received) -> str:
    body = got.json
    if kind == "feishu":
        post = body["content"]["post"]["zh_cn"]
        return "\n".join(
            [post["title"], *("".join(e.get("text", "") for e in row) for row in post["content"])]
        )
    if kind == "dingtalk":
        return str(body["markdown"]["text"])
    if kind == "wecom":
        return str(body["markdown"]["content"])
    if kind == "telegram":
        return str(body["text"])
    if kind == "slack":
        return "\n".join(b["text"]["text"] for b in body["blocks"])
    if kind == "discord":
        return str(body["content"])
    return str(body["markdown"])


def assert_whole_issue(kind: str, server: StandIn, issue: PublishedIssue, *, refused: int = 0) -> None:
    """Every item arrived, in order, each in one message with its bullets and link."""
    texts = [text_of(kind, got) for got in server.accepted]
    assert texts and len(server.accepted) == len(server.requests) - refused
    joined = "\n".join(texts)
    positions = [joined.rindex(item.headline) for _, item in issue.items]  # after the 看点 list
    assert positions == sorted(positions)
    for _, item in issue.items:
        holder = [t for t in texts if item.links[0].split("?")[0] in t]  # each item's own link
        assert len(holder) == 1, item.headline
        assert item.headline in holder[0] and all(b[:20] in holder[0] for b in item.bullets)
    if len(texts) > 1:
        assert [re.search(r"\((\d+)/(\d+)\)", t).groups() for t in texts] == [  # type: ignore[union-attr]
            (str(n), str(len(texts))) for n in range(1, len(texts) + 1)
        ]


def test_every_channel_gets_the_whole_issue_in_its_own_shape(
    tmp_path: Path, stand_ins: dict[str, StandIn], smtp: SmtpServer
) -> None:
    issue = make_issue(tmp_path, 6)
    settings = settings_for(tmp_path, all_targets(stand_ins, smtp))
    with Store(settings.database_path) as store:
        outcomes = push_issue(store, settings, issue)
    assert [o.error for o in outcomes] == [None] * 8, [o.line() for o in outcomes]
    for kind, server in stand_ins.items():
        assert_whole_issue(kind, server, issue)
    feishu = stand_ins["feishu"].accepted[0].json
    assert feishu["msg_type"] == "post" and feishu["timestamp"].isdigit() and feishu["sign"]
    assert feishu["content"]["post"]["zh_cn"]["title"] == f"简读·AI日报 {DATE}"
    ding = stand_ins["dingtalk"].accepted[0]
    assert ding.query["timestamp"].isdigit() and len(ding.query["timestamp"]) == 13 and ding.query["sign"]
    assert ding.json["markdown"]["title"] == f"简读·AI日报 {DATE}"
    assert "[阅读全文](https://digest.example.com/2026-11-20.html)" in ding.json["markdown"]["text"]
    telegram = stand_ins["telegram"].accepted[0].json
    assert telegram["parse_mode"] == "HTML" and telegram["chat_id"] == "@jiandu_channel"
    assert "&lt;2&gt;" in telegram["text"] or "%3C2%3E" in telegram["text"]  # no raw < from a link
    assert "热度:2个来源" in telegram["text"]
    slack = stand_ins["slack"].accepted[0].json
    assert slack["text"] == f"简读·AI日报 {DATE}" and slack["blocks"][0]["text"]["type"] == "mrkdwn"
    assert stand_ins["discord"].accepted[0].query == {"wait": "true"}
    hook = stand_ins["webhook"].accepted[0]
    data = hook.json
    assert set(data) >= {"date", "title", "url", "markdown", "html", "items"}
    assert data["url"] == "https://digest.example.com/2026-11-20.html"
    assert data["items"][0] == {
        "headline": issue.items[0][1].headline,
        "emoji": "🚀",
        "section": issue.items[0][0],
        "bullets": issue.items[0][1].bullets,
        "links": data["items"][0]["links"],
        "sources": issue.items[0][1].sources,
    }
    assert '<h3 id="item-1">' in data["html"] and data["markdown"] == issue.markdown
    [(rcpt, mail)] = smtp.messages
    assert rcpt == ["a@example.com", "b@example.com"] and smtp.logins == ["digest@example.com"]
    assert mail["Subject"] == f"简读·AI日报 {DATE}"
    plain, html = mail.get_body(("plain",)), mail.get_body(("html",))  # type: ignore[attr-defined]
    assert plain is not None and html is not None
    assert issue.items[0][1].headline in plain.get_content() and "<h3 style=" in html.get_content()


@pytest.mark.parametrize(
    "kind,limit",
    [
        ("wecom", 4096),
        ("discord", 2000),
        ("telegram", 4096),
        ("dingtalk", 20_000),
        ("feishu", 20 * 1024),
        ("slack", 3000),
    ],
)
def test_a_long_issue_is_split_between_items_under_the_limit(
    tmp_path: Path, stand_ins: dict[str, StandIn], smtp: SmtpServer, kind: str, limit: int
) -> None:
    issue = make_issue(tmp_path, 60)
    target = next(t for t in all_targets(stand_ins, smtp) if t["type"] == kind)
    settings = settings_for(tmp_path, [target])
    with Store(settings.database_path) as store:
        [outcome] = push_issue(store, settings, issue)
    assert outcome.error is None, outcome.line()
    server = stand_ins[kind]
    assert outcome.parts == len(server.accepted) > 1
    assert_whole_issue(kind, server, issue)
    if kind == "wecom":
        assert max(len(text_of(kind, g).encode()) for g in server.accepted) > limit * 0.6  # full messages


def test_the_stand_ins_refuse_what_the_real_apis_refuse(
    tmp_path: Path, stand_ins: dict[str, StandIn], smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the limits switched off, each platform's own error comes back as one line naming the target."""
    for name in (
        "WECOM_MAX_BYTES",
        "DISCORD_MAX_CHARS",
        "TELEGRAM_MAX_CHARS",
        "SLACK_MAX_CHARS",
        "DINGTALK_MAX_BYTES",
        "FEISHU_MAX_BYTES",
    ):
        monkeypatch.setattr(push_targets, name, 10**7)
    issue = make_issue(tmp_path, 60)
    settings = settings_for(tmp_path, all_targets(stand_ins, smtp)[:6])
    with Store(settings.database_path) as store:
        lines = [o.line() for o in push_issue(store, settings, issue)]
    assert lines == [
        "push team: HTTP 200: code 9499: Bad Request",
        "push ding: HTTP 200: errcode 460101: message too long, exceed 20000 bytes",
        "push wx: HTTP 200: errcode 40058: markdown.content exceed max length 4096. "
        "invalid Request Parameter",
        "push tg: HTTP 400: error_code 400: Bad Request: message is too long",
        "push slack: HTTP 400: invalid_blocks",
        "push dc: HTTP 400: code 50035: Invalid Form Body",
    ]


def test_one_target_failing_is_one_line_and_the_others_still_go(
    tmp_path: Path, stand_ins: dict[str, StandIn], smtp: SmtpServer
) -> None:
    stand_ins["feishu"].secret = "another-secret"  # type: ignore[attr-defined]
    targets = all_targets(stand_ins, smtp)
    targets.insert(3, {"name": "gone", "type": "discord", "url": "http://127.0.0.1:9/api/webhooks/1/x"})
    targets.insert(
        4,
        {
            "name": "nokey",
            "type": "telegram",
            "url": stand_ins["telegram"].base,
            "token_env": "UNSET_TOKEN",
            "chat_id": "@x",
        },
    )
    settings = settings_for(tmp_path, targets)
    issue = make_issue(tmp_path, 6)
    with Store(settings.database_path) as store:
        outcomes = push_issue(store, settings, issue)
    failed = {o.target: o.line() for o in outcomes if o.error}
    assert failed == {
        "team": "push team: HTTP 200: code 19021: sign match fail or timestamp is not within one hour from "
        "current time",
        "gone": failed["gone"],
        "nokey": "push nokey: push target 'nokey': environment variable UNSET_TOKEN is not set",
    }
    assert failed["gone"].startswith("push gone: cannot connect (ConnectError")
    assert all("\n" not in line for line in failed.values())
    for kind in ("dingtalk", "wecom", "telegram", "slack", "discord", "webhook"):
        assert_whole_issue(kind, stand_ins[kind], issue)
    assert len(smtp.messages) == 1


def test_nothing_is_sent_twice_and_a_failed_part_resumes(
    tmp_path: Path, stand_ins: dict[str, StandIn], smtp: SmtpServer
) -> None:
    issue = make_issue(tmp_path, 60)
    telegram = stand_ins["telegram"]
    telegram.fail_on = {2}  # the second message meets a 500 once
    settings = settings_for(tmp_path, all_targets(stand_ins, smtp))
    with Store(settings.database_path) as store:
        first = {o.target: o for o in push_issue(store, settings, issue)}
        assert first["tg"].error and first["tg"].sent == 1
        assert (
            first["tg"].line()
            == f"push tg: HTTP 500: upstream hiccup (1 of {first['tg'].parts} messages delivered)"
        )
        counts = {k: len(s.accepted) for k, s in stand_ins.items()}
        second = {o.target: o for o in push_issue(store, settings, issue)}
        assert (
            second["tg"].error is None
            and second["tg"].skipped == 1
            and second["tg"].sent == first["tg"].parts - 1
        )
        assert {k: len(s.accepted) for k, s in stand_ins.items()} == {**counts, "telegram": first["tg"].parts}
        assert len(smtp.messages) == 1
        assert_whole_issue(
            "telegram", telegram, issue, refused=1
        )  # in order, each item once, despite the failure
        assert second["team"].line() == (
            f"push team (feishu): already sent ({first['team'].parts} messages); "
            "`summarizer push DATE --target team` sends it again"
        )
        again = push_issue(store, settings, issue, only="wx", force=True)
        assert [o.target for o in again] == ["wx"] and again[0].sent == again[0].parts
    assert len(stand_ins["wecom"].accepted) == 2 * again[0].parts


def test_a_short_rate_limit_is_waited_for_once(tmp_path: Path, stand_ins: dict[str, StandIn],
                                               smtp: SmtpServer) -> None:
    """Telegram says retry_after in parameters, Discord in its body: each 429 is waited for, then sent."""
    stand_ins["telegram"].limit_on = {1}
    stand_ins["discord"].limit_on = {2}
    issue = make_issue(tmp_path, 20)
    targets = [t for t in all_targets(stand_ins, smtp) if t["type"] in ("telegram", "discord")]
    settings = settings_for(tmp_path, targets)
    with Store(settings.database_path) as store:
        outcomes = push_issue(store, settings, issue)
    assert [o.error for o in outcomes] == [None, None]
    for kind in ("telegram", "discord"):
        assert_whole_issue(kind, stand_ins[kind], issue, refused=1)


def test_secrets_stay_out_of_lines_and_the_database(
    tmp_path: Path, stand_ins: dict[str, StandIn], smtp: SmtpServer
) -> None:
    stand_ins["dingtalk"].secret = "changed"  # type: ignore[attr-defined]
    stand_ins["telegram"].chat_id = "@elsewhere"  # type: ignore[attr-defined]
    targets = all_targets(stand_ins, smtp)
    targets[5]["url"] = targets[5]["url"].replace("/112233/", "/999/")  # unknown webhook
    targets[4] = {"name": "slack", "type": "slack", "url_env": "SLACK_URL"}
    os.environ["SLACK_URL"] = stand_ins["slack"].url.replace("slackSecretXYZ", "wrongSecretXYZ")
    try:
        settings = settings_for(tmp_path, targets)
        with Store(settings.database_path) as store:
            lines = [o.line() for o in push_issue(store, settings, make_issue(tmp_path, 6))]
    finally:
        del os.environ["SLACK_URL"]
    assert "push slack: HTTP 404: no_service" in lines
    assert "push dc: HTTP 404: code 10015: Unknown Webhook" in lines
    assert "push tg: HTTP 400: error_code 400: Bad Request: chat not found" in lines
    assert any(line.startswith("push ding: HTTP 200: errcode 310000: sign not match") for line in lines)
    dump = "\n".join(sqlite3.connect(tmp_path / "jiandu.db").iterdump())
    words = [
        *filter(None, SECRETS.values()),
        "fs-hook-token-123",
        "dd-access-token-456",
        "wc-key-789",
        "discord-webhook-token-def",
        "slackSecretXYZ",
        "wrongSecretXYZ",
    ]
    for secret in words:
        assert all(secret not in line for line in lines), secret
        assert secret not in dump, secret
    assert "push_log" in dump


def test_a_key_a_platform_echoes_is_redacted_in_lines_and_the_database(
    tmp_path: Path, stand_ins: dict[str, StandIn], smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12: a push error passes through redact.py like every other message (the API key, sk-/Bearer
    shapes), besides the target's own secrets."""
    monkeypatch.setenv("OPENAI_API_KEY", "llm-key-0123456789")
    hook = stand_ins["webhook"]
    hook.fail_on = {1}
    hook.fail_body = "auth llm-key-0123456789 Bearer sk-abcdef0123456789 api_key=zz9988776655"
    settings = settings_for(tmp_path, [t for t in all_targets(stand_ins, smtp) if t["type"] == "webhook"])
    with Store(settings.database_path) as store:
        lines = [o.line() for o in push_issue(store, settings, make_issue(tmp_path, 3))]
    dump = "\n".join(sqlite3.connect(tmp_path / "jiandu.db").iterdump())
    assert lines[0].startswith("push hook: HTTP 500: auth [redacted] Bearer [redacted]"), lines
    for secret in ("llm-key-0123456789", "sk-abcdef0123456789", "zz9988776655"):
        assert secret not in lines[0] and secret not in dump, secret


def test_a_push_target_config_is_checked(tmp_path: Path) -> None:
    from summarizer.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown key 'push.0.feishu.secret'"):
        settings_for(tmp_path, [{"name": "a", "type": "feishu", "url": "https://x/h", "secret": "inline"}])
    with pytest.raises(
        ConfigError, match="push.0.slack: Value error, push target 'a': set exactly one of url"
    ):
        settings_for(tmp_path, [{"name": "a", "type": "slack"}])
    with pytest.raises(ConfigError, match="push target names must be unique"):
        settings_for(
            tmp_path,
            [
                {"name": "a", "type": "slack", "url": "https://x"},
                {"name": "a", "type": "discord", "url": "https://y"},
            ],
        )
    with pytest.raises(ConfigError, match="must be smtp://host:port or smtps://host:port"):
        settings_for(
            tmp_path, [{"name": "m", "type": "email", "url": "http://x", "sender": "a@b", "to": ["c@d"]}]
        )


NAMES = [("team", "feishu"), ("ding", "dingtalk"), ("wx", "wecom"), ("tg", "telegram"), ("slack", "slack"),
         ("dc", "discord"), ("mail", "email"), ("hook", "webhook")]
URL_TOKENS = ["fs-hook-token", "dd-access-token", "wc-key", "slackSecret", "discord-webhook-token"]


def cli_for(config: Path) -> Any:
    """Runs a CLI command on ``config`` and checks that no secret or URL token reached its output."""
    from click.testing import CliRunner

    from summarizer.cli import cli

    def run(*args: str) -> Any:
        result = CliRunner().invoke(cli, [args[0], "--config", str(config), *args[1:]])
        for secret in [*filter(None, SECRETS.values()), *URL_TOKENS]:
            assert secret not in result.output, secret
        return result

    return run


def check_feed_and_pages(output: Path, base: str, issue: PublishedIssue) -> None:
    """feed.xml passes a strict check with absolute links; the two HTML pages are what they claim."""
    import feedparser
    from lxml import etree

    feed_bytes = (output / "feed.xml").read_bytes()
    root = etree.fromstring(feed_bytes, etree.XMLParser(recover=False))  # strict: raises on any fault
    assert root.find("{http://www.w3.org/2005/Atom}link[@rel='self']").get("href") == f"{base}feed.xml"
    feed = feedparser.parse(feed_bytes)
    assert feed.bozo == 0, feed.get("bozo_exception")
    [entry] = feed.entries
    assert entry.id == f"tag:jiandu.local,{DATE}:issue" and entry.updated_parsed is not None
    assert entry.link == f"{base}{DATE}.html"
    assert all(item.headline in entry.content[0].value for _, item in issue.items)
    assert all(link.href.startswith(("https://", "http://")) for e in feed.entries for link in e.links)

    page = (output / f"{DATE}.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "热度:2个来源" in page
    assert f'href="{base}feed.xml"' in page
    wechat = (output / f"{DATE}.wechat.html").read_text(encoding="utf-8")
    tags = re.findall(r"<(\w+)([^>]*)>", wechat)
    assert tags and all('style="' in attrs for tag, attrs in tags if tag != "strong"), "each element styled"
    assert "<style" not in wechat and "class=" not in wechat and "<script" not in wechat


def test_an_issue_published_from_the_fixture_run_reaches_every_target(
    tmp_path: Path, site: Any, fake_llm: Any, stand_ins: dict[str, StandIn], smtp: SmtpServer
) -> None:
    from conftest import write_config

    base = "https://digest.example.com/jiandu/"
    targets = all_targets(stand_ins, smtp)
    run = cli_for(write_config(tmp_path, site, fake_llm, publish={"base_url": base}, push=targets))
    assert run("digest", "--date", DATE).exit_code == 0
    assert run("review", DATE, "--approve-all").exit_code == 0
    published = run("publish", DATE)
    assert published.exit_code == 0, published.output
    pushed = [line for line in published.stdout.splitlines() if line.startswith("push ")]
    counts = {kind: len(server.accepted) for kind, server in stand_ins.items()}
    counts["email"] = len(smtp.messages)
    assert pushed == [f"push {name} ({kind}): sent {counts[kind]} of {counts[kind]} messages"
                      for name, kind in NAMES]
    assert counts["wecom"] == counts["discord"] == 2 and counts["feishu"] == counts["email"] == 1
    output = tmp_path / "output"
    issue = read_issue(output, DATE, title="简读·AI日报", base_url=base)
    assert len(issue.items) == 6 and "热度:2个来源" in issue.markdown  # en-1 came from rss2 and atom
    for kind, server in stand_ins.items():
        assert_whole_issue(kind, server, issue)
    check_feed_and_pages(output, base, issue)

    quiet = run("publish", DATE, "--no-push")
    assert quiet.exit_code == 0 and "push " not in quiet.stdout
    again = run("publish", DATE)
    assert again.exit_code == 0 and "already published, nothing changed" in again.stdout
    assert "push wx (wecom): already sent (2 messages)" in again.stdout
    assert {k: len(s.accepted) for k, s in stand_ins.items()} | {"email": len(smtp.messages)} == counts

    resent = run("push", DATE, "--target", "wx")
    assert resent.exit_code == 0 and resent.stdout.strip() == "push wx (wecom): sent 2 of 2 messages"
    assert len(stand_ins["wecom"].accepted) == 4 and len(stand_ins["slack"].accepted) == counts["slack"]
    unknown = run("push", DATE, "--target", "nope")
    assert unknown.exit_code == 2
    assert "no push target 'nope' in the config (configured: team, ding" in unknown.stderr
    stand_ins["slack"].hook = "/services/moved"  # type: ignore[attr-defined]
    failing = run("push", DATE)
    assert failing.exit_code == 1 and "push slack: HTTP 404: no_service" in failing.stdout
    assert "1 of 8 push targets failed" in failing.stderr


def test_publish_with_a_failing_push_target_exits_1_and_says_how_to_resend(
    tmp_path: Path, site: Any, fake_llm: Any, stand_ins: dict[str, StandIn], smtp: SmtpServer
) -> None:
    # A nightly `publish` in cron must not exit 0 when a reader's channel got nothing.
    from conftest import write_config

    targets = all_targets(stand_ins, smtp)
    slack = stand_ins["slack"]
    configured, slack.hook = slack.hook, "/services/moved"  # type: ignore[attr-defined]
    run = cli_for(write_config(tmp_path, site, fake_llm, publish={"base_url": "https://d.example.com/"},
                               push=targets))
    assert run("digest", "--date", DATE).exit_code == 0
    assert run("review", DATE, "--approve-all").exit_code == 0
    published = run("publish", DATE)
    assert published.exit_code == 1
    assert "push slack: HTTP 404: no_service" in published.stdout
    assert published.stderr.strip().splitlines()[-1] == (
        f"error: 1 of {len(targets)} push targets failed; the issue is published, "
        f"`summarizer push {DATE} --missing` sends what did not arrive")
    assert (tmp_path / "output" / f"{DATE}.md").exists() and len(stand_ins["wecom"].accepted) == 2
    slack.hook = configured  # type: ignore[attr-defined]
    resent = run("push", DATE, "--missing")
    assert resent.exit_code == 0 and len(stand_ins["wecom"].accepted) == 2  # only slack's went again
    assert "push slack (slack): sent" in resent.stdout
