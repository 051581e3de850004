from pathlib import Path

import pytest
from click.testing import CliRunner

from summarizer.cli import cli
from summarizer.config import load_settings, parse_since
from summarizer.errors import ConfigError

ROOT = Path(__file__).parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_configs_are_valid() -> None:
    settings = load_settings(ROOT / "feeds.yaml")
    assert 8 <= len(settings.feeds) <= 12
    assert settings.digest.section_names == ["产品介绍", "产业资讯", "技术教程", "其他"]
    assert all(f.url.startswith("https://") for f in settings.feeds)
    demo = load_settings(ROOT / "examples" / "demo.yaml")
    assert demo.feed_location(demo.feeds[0]).startswith("file:///")
    assert demo.output_path == (ROOT / "output").resolve()


def test_defaults_match_the_issue() -> None:
    from summarizer.config import Settings

    settings = Settings()
    assert settings.digest.highlights == 10
    assert settings.digest.reading_speed == 400
    assert settings.digest.since == "24h"
    assert settings.llm.max_reasks == 2


def test_misspelt_key_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "digest:\n  highlight: 5\n")
    with pytest.raises(ConfigError, match=r"unknown key 'digest\.highlight'"):
        load_settings(path)


def test_misspelt_feed_key_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds:\n  - url: https://example.com/rss\n    nmae: x\n")
    with pytest.raises(ConfigError, match=r"unknown key 'feeds\.0\.nmae'"):
        load_settings(path)


def test_api_key_in_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "llm:\n  api_key: sk-secret\n")
    with pytest.raises(ConfigError, match="OPENAI_API_KEY") as info:
        load_settings(path)
    assert "sk-secret" not in str(info.value)


@pytest.mark.parametrize("text, fragment", [
    ("feeds:\n  - url: ftp://example.com/rss\n", "feeds.0.url"),
    ("digest:\n  since: yesterday\n", "digest.since"),
    ("digest:\n  timezone: Mars/Base\n", "digest.timezone"),
    ("llm:\n  bullet_min_chars: 300\n", "bullet_min_chars"),
    ("digest: [1, 2]\n", "digest"),
    ("feeds: {url: x\n", "not valid YAML"),
])
def test_bad_values_are_one_line_errors(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text))
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_config_error_exits_2_with_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "digest:\n  highlight: 5\n")
    result = CliRunner().invoke(cli, ["digest", "--config", str(path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {path}: unknown key 'digest.highlight'"


def test_missing_key_for_hosted_provider_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    path = write(tmp_path, "llm:\n  provider: openai\nfeeds: []\n")
    result = CliRunner().invoke(cli, ["digest", "--config", str(path)])
    assert result.exit_code == 2
    assert "OPENAI_API_KEY is not set" in result.stderr


def test_parse_since() -> None:
    assert parse_since("24h").total_seconds() == 86400
    assert parse_since("90m").total_seconds() == 5400
    assert parse_since("2d").days == 2
    assert parse_since("all") is None


def test_checks_section_is_validated_and_becomes_check_rules(tmp_path: Path) -> None:
    from summarizer.trust.checks import CheckRules

    settings = load_settings(write(tmp_path, "checks:\n  copy_max_chars: 45\n  allowed_terms: [Qwen, DeepSeek]\n"))
    rules = CheckRules.from_settings(settings.checks)
    assert rules.copy_max_chars == 45 and rules.reasks == 1 and rules.enabled
    assert rules.allowed_terms == ("deepseek", "qwen")
    with pytest.raises(ConfigError, match="unknown key 'checks.copy_max'"):
        load_settings(write(tmp_path, "checks:\n  copy_max: 45\n"))
    with pytest.raises(ConfigError, match="checks.duplicate_similarity"):
        load_settings(write(tmp_path, "checks:\n  duplicate_similarity: 2\n"))


def test_a_config_saved_in_another_encoding_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_bytes("feeds:\n  - url: https://example.com/feed.xml\n    name: 中文源\n".encode("gbk"))
    result = CliRunner().invoke(cli, ["feeds", "--config", str(path)])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        f"error: {path}: not UTF-8 text (byte 0xd6 at offset 55); save the file as UTF-8 and run again"]
