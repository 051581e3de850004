from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_config
from servers import FakeOpenAI, SiteServer

from summarizer.cli import cli


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert cli.commands[command].help, f"{command} has no help text"


def test_extract_prints_clean_text_of_a_file() -> None:
    page = Path(__file__).parent / "fixtures" / "pages" / "zh-1.html"
    result = CliRunner().invoke(cli, ["extract", str(page)])
    assert result.exit_code == 0, result.output
    assert "小澄" in result.stdout
    assert "字, from the page" in result.stderr
    assert "the digest would summarize it" in result.stderr


def test_extract_prints_a_short_text_and_why_the_digest_skips_it(tmp_path: Path) -> None:
    page = tmp_path / "brief.html"
    page.write_text("<html><body><article><p>星衡科技发布新一代边缘推理芯片，首批样片下月交付。</p>"
                    "<p>公司称性能较上一代提升三倍。</p></article></body></html>", encoding="utf-8")
    result = CliRunner().invoke(cli, ["extract", str(page)])
    assert result.exit_code == 0, result.output
    assert "星衡科技" in result.stdout
    assert "the digest would skip it: too short" in result.stderr


def test_extract_url_and_skip_reason(site: SiteServer) -> None:
    result = CliRunner().invoke(cli, ["extract", site.url("pages/script-only.html")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: http://127.0.0.1")
    assert "script-only" in result.stderr


def test_feeds_lists_last_status(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI) -> None:
    config = write_config(tmp_path, site, fake_llm, feeds=["feeds/rss2.xml", "feeds/malformed.xml"])
    before = CliRunner().invoke(cli, ["feeds", "--config", str(config)])
    assert before.stdout.count("never fetched") == 2
    CliRunner().invoke(cli, ["digest", "--config", str(config), "--date", "2026-11-20"])
    after = CliRunner().invoke(cli, ["feeds", "--config", str(config)])
    assert "ok at" in after.stdout
    assert "failed at" in after.stdout and "1 failures in a row" in after.stdout


def test_module_entry_point_runs() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "summarizer", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "digest" in result.stdout
