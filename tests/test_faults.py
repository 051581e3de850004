"""The fault suite: every way the web and the model break, each against real servers on 127.0.0.1.

For each fault the run completes, the other items are summarized, the bad
one is reported on one line naming the feed or URL, and the exit code is the
documented one (0: a draft was written). docs/faults.md lists them all.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import write_config
from servers import FakeOpenAI, Reply, SiteServer, canned_summary

from summarizer.cli import cli
from summarizer.model.local import free_port

DATE = "2026-11-20"
GOOD_PAGE = "pages/zh-1.html"
RSS = {"Content-Type": "application/rss+xml"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


# -- helpers ---------------------------------------------------------------------------------------------------------

def rss(items: list[dict[str, str]], title: str = "故障测试源") -> bytes:
    """An RSS 2.0 feed; an item dict may leave out link or pubDate."""
    parts = ['<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
             'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>{title}</title>'
             "<link>http://example.org/</link><description>d</description>"]
    for item in items:
        parts.append("<item>" + "".join(f"<{k}>{v}</{k}>" for k, v in item.items()) + "</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def item(title: str, link: str | None, dated: bool = True) -> dict[str, str]:
    data = {"title": title}
    if link is not None:
        data["link"] = link
    if dated:
        data["pubDate"] = "Fri, 20 Nov 2026 08:00:00 +0000"
    return data


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["digest", "--config", str(config), "--date", DATE, *args])


def report_line(result: Result, needle: str) -> str:
    """The one report line (failed/skipped/warning) that names ``needle``."""
    lines = [line.strip() for line in result.stderr.splitlines()
             if line.strip().startswith(("failed:", "skipped:", "warning:")) and needle in line]
    assert len(lines) == 1, result.stderr
    return lines[0]


def draft(tmp_path: Path) -> str:
    return (tmp_path / "output" / "drafts" / f"{DATE}.md").read_text(encoding="utf-8")


def items_in_draft(tmp_path: Path) -> int:
    return sum(1 for line in draft(tmp_path).splitlines() if line.startswith("### "))


def add_feeds(config: Path, *urls: str) -> None:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["feeds"] += [{"url": url, "name": f"bad{i}"} for i, url in enumerate(urls)]
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.fixture(autouse=True)
def no_real_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every name lookup is recorded; anything but loopback fails here instead of reaching a real resolver."""
    looked_up: list[str] = []
    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(str(host))
        if not _numeric(host) and host not in ("localhost", None):
            raise socket.gaierror(socket.EAI_NONAME, "lookup blocked in tests")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    yield looked_up


def _numeric(host: Any) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host.decode() if isinstance(host, bytes) else str(host))
        return True
    except ValueError:
        return False


# -- misbehaving servers ----------------------------------------------------------------------------------------------

class Sent:
    """Bytes a streaming handler managed to send before the client hung up."""

    def __init__(self) -> None:
        self.bytes = 0


def streaming(total: int, sent: Sent, *, headers: dict[str, str] | None = None,
              chunk: bytes = b"<p>" + b"x" * 65_000 + b"</p>") -> Callable[[BaseHTTPRequestHandler], None]:
    def handle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        for k, v in (headers or HTML).items():
            h.send_header(k, v)
        h.end_headers()
        while sent.bytes < total:
            h.wfile.write(chunk)
            sent.bytes += len(chunk)
    return handle


def trickle(h: BaseHTTPRequestHandler) -> None:
    """Headers, then one byte every 0.3 s for as long as the client listens."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", "100000")
    h.end_headers()
    for _ in range(200):
        h.wfile.write(b"x")
        h.wfile.flush()
        time.sleep(0.3)


@pytest.fixture
def blackhole() -> Iterator[str]:
    """A port whose accept queue is full: connecting hangs until the connect timeout."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(3):
        client = socket.socket()
        client.setblocking(False)
        try:
            client.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(client)
    time.sleep(0.1)
    yield f"127.0.0.1:{port}"
    for client in fillers:
        client.close()
    server.close()


def gzip_bomb(size: int = 200_000_000) -> bytes:
    """``size`` zero bytes gzipped (~200 KB on the wire), built a megabyte at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * 1_000_000
    return b"".join(packer.compress(block) for _ in range(size // len(block))) + packer.flush()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n" + b"0" * 2000 + b"\n%%EOF"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 2000


# Each page fault: how to break /bad/page.html (or which URL to use), the words of its one-line reason,
# whether it is "failed" (retried next run) or "skipped" (nothing to summarize), and config overrides.
Setup = Callable[[SiteServer, str], str]


def _override(status: int, headers: dict[str, str], body: bytes) -> Setup:
    def setup(site: SiteServer, path: str) -> str:
        site.overrides[path] = (status, headers, body)
        return site.url(path)
    return setup


def _handler(make: Callable[[], Callable[[BaseHTTPRequestHandler], None]]) -> Setup:
    def setup(site: SiteServer, path: str) -> str:
        site.handlers[path] = make()
        return site.url(path)
    return setup


def _loop(site: SiteServer, path: str) -> str:
    site.overrides[path] = (302, {"Location": site.url(path)}, b"")
    return site.url(path)


def _refused(site: SiteServer, path: str) -> str:
    return f"http://127.0.0.1:{free_port()}{path}"


def _unresolvable(site: SiteServer, path: str) -> str:
    return f"http://news.invalid{path}"


def _lookup_fails(site: SiteServer, path: str) -> str:
    # An ordinary name whose lookup fails: the no_real_dns fixture answers "no such name" instead of DNS.
    return f"http://news.nonexistent-example.com{path}"


def _metadata(site: SiteServer, path: str) -> str:
    return f"http://169.254.169.254/latest/meta-data{path}"


def _private(site: SiteServer, path: str) -> str:
    return f"http://10.1.2.3{path}"


def _redirect_to_loopback(site: SiteServer, path: str) -> str:
    # 127.0.0.2 is loopback too but not on the allow-list: the check runs after every redirect.
    site.overrides[path] = (302, {"Location": f"http://127.0.0.2:{site.server.server_port}/pages/zh-2.html"}, b"")
    return site.url(path)


BIG = 3_000_000  # fetch.max_bytes is set to 200,000 in these tests

PAGE_FAULTS: dict[str, tuple[Setup, str, str]] = {
    "name does not resolve": (_unresolvable, "news.invalid does not resolve", "failed"),
    "name lookup fails": (_lookup_fails, "host name news.nonexistent-example.com does not resolve", "failed"),
    "connection refused": (_refused, "connection refused", "failed"),
    "404": (_override(404, HTML, b"gone"), "HTTP 404 (not found)", "failed"),
    "410": (_override(410, HTML, b"gone"), "HTTP 410 (gone)", "failed"),
    "500": (_override(500, HTML, b"oops"), "HTTP 500 (server error)", "failed"),
    "503 with a long Retry-After": (_override(503, {"Retry-After": "3600"}, b""),
                                    "HTTP 503 (unavailable), Retry-After 3600s not waited for", "failed"),
    "redirect loop": (_loop, "too many redirects", "failed"),
    "body over the limit (declared)": (_override(200, HTML, b"<p>" + b"x" * BIG + b"</p>"),
                                       "over the 200,000-byte limit", "failed"),
    "gzip bomb": (_override(200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, gzip_bomb(20_000_000)),
                  "body is over the 200,000-byte limit", "failed"),
    "PDF instead of HTML": (_override(200, {"Content-Type": "application/pdf"}, PDF),
                            "is a PDF, not an HTML page", "skipped"),
    "image labelled as HTML": (_override(200, HTML, PNG), "is a PNG image, not an HTML page", "skipped"),
    "loopback address": (_redirect_to_loopback, "127.0.0.2 is a loopback address; refused", "failed"),
    "cloud metadata address": (_metadata, "169.254.169.254 is a cloud metadata address; refused", "failed"),
    "private address": (_private, "10.1.2.3 is a private address; refused", "failed"),
}


def page_config(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI, bad_url: str, **overrides: Any) -> Path:
    site.overrides["/feeds/mixed.xml"] = (200, RSS, rss([item("澄光智能发布家用陪护机器人", site.url(GOOD_PAGE)), item("坏文章", bad_url)]))
    return write_config(tmp_path, site, fake_llm, feeds=["feeds/mixed.xml"],
                        fetch__max_bytes=200_000, fetch__retries=0, **overrides)


# -- pages --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fault", list(PAGE_FAULTS))
def test_page_fault_is_reported_and_the_run_goes_on(fault: str, tmp_path: Path, site: SiteServer,
                                                    fake_llm: FakeOpenAI, no_real_dns: list[str]) -> None:
    setup, reason, kind = PAGE_FAULTS[fault]
    bad = setup(site, "/bad/page.html")
    result = run(page_config(tmp_path, site, fake_llm, bad))
    assert result.exit_code == 0, result.output
    line = report_line(result, bad)
    assert line.startswith(f"{kind}:") and reason in line
    assert items_in_draft(tmp_path) == 1 and len(fake_llm.requests) == 1
    # No lookup reached a resolver except the one the fixture refused; .invalid was never even asked.
    assert {h for h in no_real_dns if not _numeric(h)} <= {"news.nonexistent-example.com"}


def test_connect_timeout(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI, blackhole: str) -> None:
    bad = f"http://{blackhole}/a.html"
    result = run(page_config(tmp_path, site, fake_llm, bad, fetch__timeout=1))
    assert result.exit_code == 0, result.output
    assert "connect timed out after 1s" in report_line(result, bad)
    assert items_in_draft(tmp_path) == 1


def test_one_byte_a_second_hits_the_deadline(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    site.handlers["/slow.html"] = trickle
    bad = site.url("slow.html")
    result = run(page_config(tmp_path, site, fake_llm, bad, fetch__timeout=5, fetch__deadline=1.5))
    assert result.exit_code == 0, result.output
    assert "download not finished after 1.5s (server too slow)" in report_line(result, bad)
    assert items_in_draft(tmp_path) == 1


def test_endless_body_stops_reading_at_the_cap(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    sent = Sent()
    site.handlers["/endless.html"] = streaming(200_000_000, sent)  # no Content-Length: must be counted
    bad = site.url("endless.html")
    result = run(page_config(tmp_path, site, fake_llm, bad))
    assert result.exit_code == 0, result.output
    assert "over the 200,000-byte limit" in report_line(result, bad)
    # The client hung up early: what left the server is the cap plus socket buffers, not 200 MB.
    assert sent.bytes < 20_000_000


def test_gzip_bomb_decodes_no_more_than_the_cap() -> None:
    from summarizer.errors import FetchError
    from summarizer.sources.fetch import _CappedDecoder

    bomb = gzip_bomb()
    decoder = _CappedDecoder("gzip", 1_000_000, "http://x/bomb")
    produced = 0
    with pytest.raises(FetchError, match="over the 1,000,000-byte limit"):
        for start in range(0, len(bomb), 65536):
            produced += len(decoder.feed(bomb[start:start + 65536]))
    assert produced <= 1_000_000  # 200 MB inside; never more than the cap decoded


def test_short_retry_after_is_waited_for_once(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    page = (site.root / "pages" / "zh-2.html").read_bytes()
    site.sequences["/busy.html"] = [(503, {"Retry-After": "1"}, b""), (200, HTML, page)]
    result = run(page_config(tmp_path, site, fake_llm, site.url("busy.html")))
    assert result.exit_code == 0, result.output
    assert items_in_draft(tmp_path) == 2
    assert site.count("/busy.html") == 2


@pytest.mark.parametrize("header, body_charset", [("text/html; charset=iso-8859-1", "gbk"),
                                                  ("text/html", "gbk"), ("text/html; charset=utf-8", "gbk")])
def test_wrong_or_missing_page_charset_still_reads_chinese(header: str, body_charset: str, tmp_path: Path,
                                                           site: SiteServer, fake_llm: FakeOpenAI) -> None:
    raw = (site.root / "pages" / "zh-gbk.html").read_bytes()
    import re
    no_meta = re.sub(rb"<meta[^>]*charset[^>]*>", b"", raw)
    site.overrides["/charset.html"] = (200, {"Content-Type": header}, no_meta)
    result = run(page_config(tmp_path, site, fake_llm, site.url("charset.html")))
    assert result.exit_code == 0, result.output
    assert items_in_draft(tmp_path) == 2
    prompts = " ".join(r["messages"][1]["content"] for r in fake_llm.requests)
    assert "拓湾云图" in prompts  # the GBK article's company, decoded right


def test_pdf_link_uses_the_feeds_own_text_when_it_has_enough(tmp_path: Path, site: SiteServer,
                                                              fake_llm: FakeOpenAI) -> None:
    site.overrides["/paper.pdf"] = (200, {"Content-Type": "application/pdf"}, PDF)
    text = "".join(f"<p>第{i}段：研究团队公布了新模型在多个基准上的测试结果，并说明了训练数据的来源与规模。</p>" for i in range(8))
    feed = rss([item("澄光智能发布家用陪护机器人", site.url(GOOD_PAGE)),
                {**item("论文", site.url("paper.pdf")), "content:encoded": f"<![CDATA[{text}]]>"}])
    site.overrides["/feeds/mixed.xml"] = (200, RSS, feed)
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/mixed.xml"])
    result = run(config)
    assert result.exit_code == 0, result.output
    assert items_in_draft(tmp_path) == 2


# -- feeds --------------------------------------------------------------------------------------------------------

FEED_FAULTS: dict[str, tuple[Setup, str]] = {
    "name does not resolve": (_unresolvable, "does not resolve"),
    "connection refused": (_refused, "connection refused"),
    "404": (_override(404, RSS, b""), "HTTP 404 (not found)"),
    "410": (_override(410, RSS, b""), "HTTP 410 (gone)"),
    "500": (_override(500, RSS, b""), "HTTP 500 (server error)"),
    "503 with a long Retry-After": (_override(503, {"Retry-After": "600"}, b""), "Retry-After 600s not waited for"),
    "redirect loop": (_loop, "too many redirects"),
    "over the size limit": (_override(200, RSS, b"<rss>" + b"x" * BIG), "over the 200,000-byte limit"),
    "gzip bomb": (_override(200, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"},
                            gzip_bomb(20_000_000)), "over the 200,000-byte limit"),
    "PDF instead of a feed": (_override(200, {"Content-Type": "application/pdf"}, PDF), "not a valid feed"),
    "image instead of a feed": (_override(200, {"Content-Type": "image/png"}, PNG), "not a valid feed"),
    "HTML page instead of a feed": (_override(200, HTML, b"<html><body><p>hello</p></body></html>"), "not"),
    "malformed XML": (_override(200, RSS, b"<?xml version='1.0'?><rss><channel><title>x</ti"),
                      "not a valid feed"),
    "private address": (_private, "10.1.2.3 is a private address; refused"),
}


@pytest.mark.parametrize("fault", list(FEED_FAULTS))
def test_feed_fault_is_reported_and_other_feeds_are_summarized(fault: str, tmp_path: Path, site: SiteServer,
                                                               fake_llm: FakeOpenAI) -> None:
    setup, reason = FEED_FAULTS[fault]
    bad = setup(site, "/bad/feed.xml")
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/big5.xml"], fetch__max_bytes=200_000,
                          fetch__retries=0)
    add_feeds(config, bad)
    result = run(config)
    assert result.exit_code == 0, result.output
    line = report_line(result, "feed bad0")
    assert line.startswith("failed:") and reason in line
    assert "feeds:    1 ok, 0 not modified, 1 failed" in result.stderr
    assert items_in_draft(tmp_path) == 1
    db = sqlite3.connect(tmp_path / "state" / "jiandu.db")
    status, error, failures = db.execute(
        "SELECT last_status, last_error, failures_in_a_row FROM feeds WHERE url = ?", (bad,)).fetchone()
    assert (status, failures) == ("failed", 1) and reason in error


def test_feed_on_a_slow_server_hits_the_deadline(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    site.handlers["/slow.xml"] = trickle
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/big5.xml"], fetch__deadline=1.5)
    add_feeds(config, site.url("slow.xml"))
    result = run(config)
    assert result.exit_code == 0, result.output
    assert "download not finished after 1.5s" in report_line(result, "feed bad0")
    assert items_in_draft(tmp_path) == 1


def test_feed_connect_timeout(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI, blackhole: str) -> None:
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/big5.xml"], fetch__timeout=1, fetch__retries=0)
    add_feeds(config, f"http://{blackhole}/feed.xml")
    result = run(config)
    assert result.exit_code == 0, result.output
    assert "connect timed out" in report_line(result, "feed bad0")


def test_empty_feed_is_a_warning(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    site.overrides["/empty.xml"] = (200, RSS, rss([]))
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/big5.xml"])
    add_feeds(config, site.url("empty.xml"))
    result = run(config)
    assert result.exit_code == 0, result.output
    assert report_line(result, "feed bad0") == "warning:  feed bad0: the feed has no items"
    assert "feeds:    2 ok" in result.stderr


def test_items_without_links_are_reported(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    site.overrides["/nolinks.xml"] = (200, RSS, rss([item("甲", None), item("乙", None)]))
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/big5.xml"])
    add_feeds(config, site.url("nolinks.xml"))
    result = run(config)
    assert result.exit_code == 0, result.output
    assert "2 items without a link were ignored" in report_line(result, "feed bad0")
    assert items_in_draft(tmp_path) == 1


def test_items_without_dates_are_summarized_once(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    site.overrides["/nodates.xml"] = (200, RSS, rss([item("无日期", site.url("pages/zh-2.html"), dated=False)]))
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/big5.xml"])
    add_feeds(config, site.url("nodates.xml"))
    assert run(config).exit_code == 0
    assert items_in_draft(tmp_path) == 2
    # The next day the undated item is not news again: the store remembers it.
    site.overrides["/feeds/big5.xml"] = (200, RSS, rss([]))
    again = CliRunner().invoke(cli, ["digest", "--config", str(config), "--date", "2026-11-21"])
    assert again.exit_code == 1 and "1 seen on an earlier day" in again.stderr


@pytest.mark.parametrize("declared", ['encoding="utf-8"', 'encoding="iso-8859-1"'])
def test_feed_with_a_wrong_charset_keeps_its_chinese_titles(declared: str, tmp_path: Path, site: SiteServer,
                                                             fake_llm: FakeOpenAI) -> None:
    raw = (site.root / "feeds" / "gbk.xml").read_bytes().replace(b"FIXTURE_HOST", site.host.encode())
    site.overrides["/feeds/gbk.xml"] = (200, {"Content-Type": "application/xml"},
                                        raw.replace(b'<?xml version="1.0"?>', f'<?xml version="1.0" {declared}?>'.encode()))
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/gbk.xml"])
    result = run(config)
    assert result.exit_code == 0, result.output
    titles = [r["messages"][1]["content"].splitlines()[0] for r in fake_llm.requests]
    assert "原文标题：拓湾云图推出 AI 地图标注工具，标注效率提升 5 倍" in titles


# -- the model ------------------------------------------------------------------------------------------------------

MARK = "小澄"  # a word only the zh-1 article has


def bad_reply(text: str, **kw: Any) -> Reply:
    return Reply(text, **kw)


def valid(title: str = "x") -> str:
    return json.dumps(canned_summary(title, ["产品介绍", "产业资讯", "技术教程", "其他"]), ensure_ascii=False)


ENGLISH = json.dumps({**canned_summary("x", ["其他"]), "headline": "A robot for the elderly launches",
                      "bullets": ["The company launched a companion robot for elderly people living alone, "
                                  "priced at 6999 yuan with a monthly fee for remote care services."] * 3},
                     ensure_ascii=False)
TRUNCATED = valid()[:80]

# Each model fault: the replies aimed at the zh-1 article, and the words of the reported reason
# (None: the article is summarized in the end).
MODEL_FAULTS: dict[str, tuple[list[Reply], str | None, dict[str, Any]]] = {
    "429 with Retry-After": ([Reply(status=429, headers={"Retry-After": "1"})], None, {}),
    "500": ([Reply(status=500), Reply(status=500)], "HTTP 500", {}),
    "timeout": ([Reply(valid(), delay=2.5), Reply(valid(), delay=2.5)], "request timed out", {"llm__timeout": 1}),
    "dropped connection": ([Reply(drop=True), Reply(drop=True)], "connection failed", {}),
    "invalid JSON": ([Reply("{not json")] * 3, "invalid model output after 3 attempts", {}),
    "invalid JSON once": ([Reply("{not json")], None, {}),
    "JSON that breaks the schema": ([Reply(json.dumps({"bullets": ["只有一条"], "headline": "标题"}))] * 3,
                                    "缺少该字段", {}),
    "a refusal": ([Reply(None, refusal="I can't help with that.")], "the model refused (I can't help with that.)", {}),
    "empty content": ([Reply("")] * 3, "输出不是合法的JSON", {}),
    "finish_reason length": ([Reply(TRUNCATED, finish_reason="length")] * 3, "输出被截断", {}),
    "a <think> block": ([Reply("<think>先想一想……{\"a\": 1}</think>\n" + valid())], None, {}),
    "a reply in English": ([Reply(ENGLISH)] * 3, "不是中文", {}),
    # Markup in a headline is text to escape, not a fault (issue 13): the article is kept, neutralised.
    "Markdown in the output": ([Reply(valid().replace("要点速览", "## [点我](http://evil.example)"))], None, {}),
}


@pytest.mark.parametrize("fault", list(MODEL_FAULTS))
def test_model_fault_fails_one_article_and_the_run_goes_on(fault: str, tmp_path: Path, site: SiteServer,
                                                           fake_llm: FakeOpenAI) -> None:
    replies, reason, overrides = MODEL_FAULTS[fault]
    fake_llm.aim(MARK, *replies)
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/rss2.xml"], **overrides)
    result = run(config)
    assert result.exit_code == 0, result.output
    if reason is None:
        assert items_in_draft(tmp_path) == 3
        assert "3 summarized, 0 skipped, 0 failed" in result.stderr
        assert "](http://evil.example)" not in draft(tmp_path)
        assert all(line.startswith(("# ", "## ", "### ")) for line in draft(tmp_path).splitlines() if line[:1] == "#")
        return
    line = report_line(result, site.url("pages/zh-1.html"))
    assert line.startswith("failed:") and reason in line, line
    assert items_in_draft(tmp_path) == 2
    assert "2 summarized, 0 skipped, 1 failed" in result.stderr
    db = sqlite3.connect(tmp_path / "state" / "jiandu.db")
    status, error = db.execute("SELECT status, error FROM articles WHERE url LIKE '%zh-1.html'").fetchone()
    assert status == "failed" and reason in error


def test_an_answer_the_provider_filtered_is_one_line_and_not_re_asked(
        tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    # Asking again gets the same filter: three calls paid for, then a misleading "not JSON" (issue 25.7).
    fake_llm.aim(MARK, *[Reply(None, finish_reason="content_filter")] * 3)
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/rss2.xml"])
    result = run(config)
    assert result.exit_code == 0, result.output
    url = site.url("pages/zh-1.html")
    assert report_line(result, url) == (
        f"failed:   {url}: fake-model @ {fake_llm.base_url}: the provider filtered the answer "
        "(finish_reason content_filter); not re-asked")
    assert sum(1 for r in fake_llm.requests if MARK in json.dumps(r, ensure_ascii=False)) == 1
    assert items_in_draft(tmp_path) == 2


def test_every_model_call_failing_exits_1(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/rss2.xml"], llm__max_retries=0)
    fake_llm.responder = lambda body: Reply(status=503)
    result = run(config)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == "error: nothing could be summarized, no draft written"
    assert sum(1 for line in result.stderr.splitlines() if line.strip().startswith("failed:")) == 3


def test_a_slow_feed_does_not_hold_back_the_others(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    """Articles of fast feeds are summarized while a slow feed is still arriving; its own follow when it does."""
    body = rss([item("慢源文章", site.url("pages/zh-2.html"))])
    finished: list[float] = []

    def slow_feed(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        step = len(body) // 10 + 1
        for start in range(0, len(body), step):  # about 3 s in all, longer than the feed grace period
            time.sleep(0.3)
            if start + step >= len(body):
                finished.append(time.monotonic())
            h.wfile.write(body[start:start + step])
            h.wfile.flush()

    asked: list[tuple[float, str]] = []
    answer = fake_llm.responder

    def timed(request: dict[str, Any]) -> Reply:
        asked.append((time.monotonic(), request["messages"][1]["content"]))
        return answer(request)

    fake_llm.responder = timed
    site.handlers["/slow-feed.xml"] = slow_feed
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/big5.xml"], fetch__deadline=30)
    add_feeds(config, site.url("slow-feed.xml"))
    result = run(config)
    assert result.exit_code == 0, result.output
    assert items_in_draft(tmp_path) == 2
    fast = next(t for t, prompt in asked if "映川" in prompt)
    slow = next(t for t, prompt in asked if "慢源文章" in prompt)
    assert fast < finished[0] < slow
