"""`summarizer doctor`: config, database, provider, feeds, drafts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner, Result
from conftest import write_config
from servers import FakeOpenAI, Reply, SiteServer

from summarizer.cli import cli
from summarizer.config import load_settings
from summarizer.pipeline.doctor import run_doctor


def doctor(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["doctor", "--config", str(config), *args])


def digest(config: Path, day: str) -> Result:
    return CliRunner().invoke(cli, ["digest", "--config", str(config), "--date", day])


def test_healthy_setup_passes(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/big5.xml"], digest__since="all")
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    assert digest(config, yesterday).exit_code == 0
    calls = len(fake_llm.requests)
    result = doctor(config)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "ok    config: 1 feeds enabled"
    assert lines[1].startswith("ok    database: ") and ": ok, migrations m001_initial" in lines[1]
    assert lines[2].startswith("ok    provider: fake-model @ http://127.0.0.1:")
    assert lines[3].startswith("ok    feed big5: last success 20")
    assert lines[4] == f"ok    drafts: a draft for every day since {yesterday}"
    assert len(fake_llm.requests) == calls + 1 and fake_llm.requests[-1]["max_tokens"] == 1


def test_feed_failing_three_runs_in_a_row_is_flagged(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/big5.xml", "feeds/malformed.xml"])
    for _ in range(3):
        digest(config, "2026-11-20")
    checks = {c.name: c for c in run_doctor(load_settings(config), today=date(2026, 11, 21), ping=False)}
    assert checks["feed big5"].ok
    bad = checks["feed malformed"]
    assert not bad.ok and bad.detail.startswith("failed 3 runs in a row (never succeeded): feed malformed: not a valid")
    assert checks["drafts"].ok
    result = doctor(config, "--no-ping")
    assert result.exit_code == 1
    assert "FAIL  feed malformed: failed 3 runs in a row" in result.stdout
    assert "checks failed" in result.stderr


def test_two_failures_are_not_flagged_yet(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/big5.xml", "feeds/malformed.xml"])
    for _ in range(2):
        digest(config, "2026-11-20")
    checks = {c.name: c for c in run_doctor(load_settings(config), today=date(2026, 11, 21), ping=False)}
    assert checks["feed malformed"].ok and "failed the last run" in checks["feed malformed"].detail


def test_a_day_with_no_draft_is_flagged(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/big5.xml"])
    assert digest(config, "2026-11-20").exit_code == 0
    assert digest(config, "2026-11-21").exit_code == 1  # nothing new: no draft that day
    checks = {c.name: c for c in run_doctor(load_settings(config), today=date(2026, 11, 23), ping=False)}
    drafts = checks["drafts"]
    assert not drafts.ok and drafts.detail.startswith("no draft for 2026-11-21, 2026-11-22 in ")


def test_provider_down_is_flagged(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/big5.xml"], llm__max_retries=0)
    fake_llm.push(Reply(status=401))
    result = doctor(config)
    assert result.exit_code == 1
    assert "FAIL  provider: fake-model @ http://127.0.0.1:" in result.stdout
    assert "authentication failed (check OPENAI_API_KEY)" in result.stdout
    assert "sk-test-key-never-logged" not in result.output


def test_bad_config_is_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "feeds.yaml"
    config.write_text("feeds: [{url: x, colour: red}]\n", encoding="utf-8")
    result = doctor(config)
    assert result.exit_code == 2 and "unknown key 'feeds.0.colour'" in result.stderr
