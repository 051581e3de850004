"""The review server under hostile requests (issue 12, item 4): token and Origin before the body, caps."""

from __future__ import annotations

import socket
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from reviewing import DATE, Browserless, Day, make_draft, start_app
from servers import FakeOpenAI, SiteServer

from summarizer.review.state import Review
from summarizer.store import Store
from summarizer.web.app import ReviewApp, is_loopback
from summarizer.web.guard import MAX_BODY, MAX_FIELD

TOKEN = "t0ken-for-the-guard-tests"


@pytest.fixture
def served(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> Iterator[tuple[Day, str]]:
    day = make_draft(tmp_path, site, fake_llm)
    base, server, thread = start_app(ReviewApp(day.settings, DATE, token=TOKEN))
    yield day, base
    server.should_exit = True
    thread.join(timeout=10)


def raw_post(base: str, path: str, headers: dict[str, str], body: bytes = b"") -> str:
    """Send a POST by hand (headers may promise more body than is sent); the status line of the answer."""
    parts = urllib.parse.urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.settimeout(30)  # a safety net: the server must answer without waiting for the promised body
        head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": parts.netloc, **headers}.items())
        sock.sendall(f"POST {path} HTTP/1.1\r\n{head}\r\n".encode() + body)
        return sock.recv(4096).decode("latin-1").split("\r\n", 1)[0]


def test_a_huge_unauthenticated_body_is_refused_before_it_is_read(served: tuple[Day, str]) -> None:
    _, base = served
    status = raw_post(
        base,
        "/approve-all",
        {"Content-Length": str(300 * 1024 * 1024), "Content-Type": "application/x-www-form-urlencoded"},
        b"token=x",
    )
    assert " 413 " in status


def test_a_chunked_body_over_the_cap_is_refused(served: tuple[Day, str]) -> None:
    _, base = served
    chunk = b"a" * (MAX_BODY + 10)
    body = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"  # and no end: the server must stop at the cap
    status = raw_post(base, "/approve-all", {"Transfer-Encoding": "chunked"}, body)
    assert " 413 " in status


def test_a_wrong_query_token_is_refused_before_the_body(served: tuple[Day, str]) -> None:
    _, base = served
    status = raw_post(base, "/approve-all?token=wrong", {"Content-Length": "1000000"})
    assert " 403 " in status


def test_a_field_over_the_cap_is_refused_and_not_stored(served: tuple[Day, str]) -> None:
    day, base = served
    client = Browserless(base, TOKEN)
    headline = "长" * (MAX_FIELD + 1)
    status, _ = client.post(
        "/item/1/edit",
        {"headline": headline, "emoji": "🚀", "bullet1": "一", "bullet2": "二", "bullet3": "三"},
    )
    assert status == 413
    with Store(day.settings.database_path) as store:
        assert Review.open(store, day.settings, DATE).item(1).headline != headline


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Host": "rebound.evil.example:80"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_post_from_another_site_is_refused(headers: dict[str, str], served: tuple[Day, str]) -> None:
    _, base = served
    body = urllib.parse.urlencode({"token": TOKEN}).encode()
    status = raw_post(
        base,
        "/approve-all",
        {"Content-Length": str(len(body)), **headers, "Content-Type": "application/x-www-form-urlencoded"},
        body,
    )
    assert " 403 " in status


def test_a_same_origin_post_still_works(served: tuple[Day, str]) -> None:
    _, base = served
    body = urllib.parse.urlencode({"token": TOKEN}).encode()
    status = raw_post(
        base,
        "/approve-all",
        {
            "Content-Length": str(len(body)),
            "Origin": base,
            "Content-Type": "application/x-www-form-urlencoded",
        },
        body,
    )
    assert " 303 " in status


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.2", False),
        ("example.org", False),
    ],
)
def test_a_host_that_is_not_loopback_is_warned_about(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("path", ["/item/1/approve", "/item/1/drop", "/item/1/ack", "/item/1/edit",
                                  "/approve-all", "/publish", "/reopen"])
def test_every_route_of_the_queue_refuses_another_site(path: str, served: tuple[Day, str]) -> None:
    """The guard holds for each POST route of the review queue (item actions, approve-all, publish,
    reopen), with the token in the body as the page's forms send it; nothing is changed."""
    day, base = served
    body = urllib.parse.urlencode({"token": TOKEN, "headline": "改过的标题"}).encode()
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        status = raw_post(base, path, {"Content-Length": str(len(body)), **headers,
                                       "Content-Type": "application/x-www-form-urlencoded"}, body)
        assert " 403 " in status, (path, headers)
    with Store(day.settings.database_path) as store:
        review = Review.open(store, day.settings, DATE)
        assert review.state == "draft" and review.item(1).status == "pending"
        assert review.item(1).headline != "改过的标题"


def test_a_publish_form_with_many_acks_passes_and_a_flood_of_fields_does_not(served: tuple[Day, str]) -> None:
    _, base = served
    many = urllib.parse.urlencode([("token", TOKEN)] + [("ack", f"{n}") for n in range(1, 200)]).encode()
    flood = urllib.parse.urlencode([("token", TOKEN)] + [("ack", f"{n}") for n in range(1, 2000)]).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": base}
    assert " 413 " not in raw_post(base, "/approve-all", {**headers, "Content-Length": str(len(many))}, many)
    assert " 413 " in raw_post(base, "/approve-all", {**headers, "Content-Length": str(len(flood))}, flood)
