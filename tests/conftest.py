from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from servers import FakeOpenAI, SiteServer


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's real key or base URL must never reach a test.
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key-never-logged")


@pytest.fixture
def site() -> Iterator[SiteServer]:
    server = SiteServer()
    yield server
    server.close()


@pytest.fixture
def fake_llm() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    yield server
    server.close()


def write_config(tmp_path: Path, site: SiteServer, fake_llm: FakeOpenAI, *, feeds: list[str] | None = None,
                 **overrides: Any) -> Path:
    feeds = feeds if feeds is not None else ["feeds/rss2.xml", "feeds/atom.xml", "feeds/gbk.xml", "feeds/big5.xml",
                                             "feeds/malformed.xml"]
    data: dict[str, Any] = {
        "digest": {"timezone": "UTC", "since": "24h", "min_article_chars": 150},
        "feeds": [{"url": site.url(f), "name": Path(f).stem} for f in feeds],
        "llm": {"provider": "openai", "model": "fake-model", "base_url": fake_llm.base_url, "concurrency": 2,
                "max_retries": 1, "timeout": 10},
        "fetch": {"allow_hosts": ["127.0.0.1"]},  # the test servers; loopback is refused by default
        "database": "state/jiandu.db",
        "output_dir": "output",
    }
    for key, value in overrides.items():
        section, _, name = key.partition("__")
        if name:
            data.setdefault(section, {})[name] = value
        else:
            data[section] = value
    path = tmp_path / "feeds.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line when the browser tests did not run, with the reason (never a silent 's' in the dots)."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "browser" in r.keywords]
    if skipped:
        longrepr = skipped[0].longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        line = f"browser tests skipped ({len(skipped)}): {reason}"
        terminalreporter.write_line(line, yellow=True, bold=True)
