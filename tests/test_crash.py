"""Crash safety: SIGKILL a real run mid-way and run again; two runs at once are refused by the lock."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner
from conftest import write_config
from servers import FakeOpenAI, SiteServer

from summarizer.cli import cli
from summarizer.store.lock import run_lock

DATE = "2026-11-20"
GOLDEN = Path(__file__).parent / "golden" / f"{DATE}.md"


def start_digest(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OPENAI_API_KEY": "sk-test-key-never-logged", "PYTHONUNBUFFERED": "1"}
    env.pop("OPENAI_BASE_URL", None)
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "summarizer", "digest", "--config", str(config),
                                 "--date", DATE], stdout=out, stderr=subprocess.STDOUT, env=env,
                                cwd=config.parent)


def wait_until(condition: object, what: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Poll (a safety net against hanging, not a speed check)."""
    for _ in range(1200):
        if condition():  # type: ignore[operator]
            return
        if proc.poll() is not None:
            raise AssertionError(f"run ended before {what}:\n{log.read_text()}")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"never saw {what}:\n{log.read_text()}")


def stored_summaries(db_path: Path) -> int:
    """Summaries in the run's database; 0 while the run has not yet created it or its tables."""
    if not db_path.exists():
        return 0
    db = sqlite3.connect(db_path)
    try:
        return int(db.execute("SELECT COUNT(*) FROM summaries").fetchone()[0])
    except sqlite3.OperationalError:  # no such table yet
        return 0
    finally:
        db.close()


def title_of(request: dict) -> str:
    match = re.search(r"原文标题：(.*)", request["messages"][1]["content"])
    assert match
    return match.group(1).strip()


def test_sigkill_mid_run_then_rerun_repeats_no_finished_call(tmp_path: Path, site: SiteServer,
                                                               fake_llm: FakeOpenAI) -> None:
    config = write_config(tmp_path, site, fake_llm)  # the golden file's feeds: 6 stories
    fake_llm.delay = 0.4
    log = tmp_path / "first.log"
    proc = start_digest(config, log)
    wait_until(lambda: len(fake_llm.completed) >= 2, "two finished LLM calls", proc, log)
    db_path = tmp_path / "state" / "jiandu.db"
    wait_until(lambda: stored_summaries(db_path) >= 1, "a stored summary", proc, log)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (tmp_path / "output" / "drafts" / f"{DATE}.md").exists()

    db = sqlite3.connect(db_path)
    done = {row[0] for row in db.execute(
        "SELECT a.title FROM summaries s JOIN articles a ON a.canonical_url = s.canonical_url")}
    # A call answered after the last stored summary is in the journal: the rerun replays it, not asks it.
    journaled = {row[0] for row in db.execute(
        "SELECT a.title FROM call_journal j JOIN articles a ON a.canonical_url = j.canonical_url")}
    db.close()
    assert 1 <= len(done) < 6
    before = len(fake_llm.requests)

    fake_llm.delay = 0.0
    second = start_digest(config, tmp_path / "second.log")
    assert second.wait(timeout=300) == 0, (tmp_path / "second.log").read_text()
    repeated = [title_of(r) for r in fake_llm.requests[before:] if title_of(r) in done | journaled]
    assert repeated == [], "a finished LLM call was made again"
    assert len(fake_llm.requests[before:]) == 6 - len(done | journaled)

    draft = (tmp_path / "output" / "drafts" / f"{DATE}.md").read_text(encoding="utf-8")
    assert draft.replace(site.host, "FIXTURE_HOST") == GOLDEN.read_text(encoding="utf-8")
    assert sorted(p.name for p in (tmp_path / "output" / "drafts").iterdir()) == [f"{DATE}.json", f"{DATE}.md"]
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_a_second_run_at_the_same_time_is_refused_clearly(tmp_path: Path, site: SiteServer,
                                                          fake_llm: FakeOpenAI) -> None:
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/big5.xml"])
    with run_lock(tmp_path / "state" / "jiandu.db", DATE):
        result = CliRunner().invoke(cli, ["digest", "--config", str(config), "--date", DATE])
    assert result.exit_code == 3
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "another digest run is in progress" in last
    assert f"pid {os.getpid()}, date {DATE}" in last
    assert fake_llm.requests == [] and site.requests == []
    # Once the lock is free the run goes ahead: a crashed holder never leaves it stuck (flock dies with it).
    assert CliRunner().invoke(cli, ["digest", "--config", str(config), "--date", DATE]).exit_code == 0


def test_an_article_not_reached_before_a_kill_is_done_by_the_next_run(tmp_path: Path, site: SiteServer,
                                                                      fake_llm: FakeOpenAI) -> None:
    """The feed's ETag is stored when it is read, so the next run gets a 304 for it: an article whose
    page was still downloading at the kill must already be in the store, or it would be lost."""
    import threading

    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/rss2.xml"])
    release = threading.Event()
    site.gates["/pages/zh-2.html"] = lambda: release.wait(60)  # one page hangs until the test lets it go
    log = tmp_path / "first.log"
    proc = start_digest(config, log)
    # The other two articles are summarized while zh-2's page is still downloading (streaming).
    db_path = tmp_path / "state" / "jiandu.db"
    wait_until(lambda: stored_summaries(db_path) >= 2, "two stored summaries", proc, log)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    release.set()
    db = sqlite3.connect(db_path)
    status = db.execute("SELECT status FROM articles WHERE url LIKE '%zh-2.html'").fetchone()
    db.close()
    assert status == ("new",)

    second = start_digest(config, tmp_path / "second.log")
    assert second.wait(timeout=300) == 0, (tmp_path / "second.log").read_text()
    text = (tmp_path / "second.log").read_text()
    assert "1 not modified" in text  # the feed itself was not read again ...
    assert "1 summarized" in text  # ... and the article it listed was still done
    draft = (tmp_path / "output" / "drafts" / f"{DATE}.md").read_text(encoding="utf-8")
    assert draft.count("\n### ") == 3
