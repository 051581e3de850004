"""The real bundled model on the real llama.cpp server (xllamacpp, from the [local] extra)."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from summarizer.cli import cli
from summarizer.errors import LocalModelError
from summarizer.model.local import MODELS, LocalServer, ensure_model
from summarizer.text import chinese_share, count_zi

pytestmark = pytest.mark.local_model
xllamacpp = pytest.importorskip("xllamacpp", reason="the [local] extra is not installed")

PAGE = Path(__file__).parent / "fixtures" / "pages" / "zh-1.html"


def test_bundled_model_summarizes_one_article_into_a_valid_item(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
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
    # ... and true to this article's figures: every number it gives is in the source. Names are not asserted:
    # the 1.5B sometimes leaves English words in a bullet, which the name check rightly flags for the editor
    # (seen once in CI: "proportion", "raised"); copied phrasing may be flagged too (small models copy).
    assert not [f for f in item["flags"] if "数字“" in f], item["flags"]
    # The server is gone after the command: no orphan process.
    processes = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert not [p for p in processes.splitlines() if "summarizer.model.local_server" in p and "1.5b" in p]


def test_assembled_model_matches_its_hash() -> None:
    path = ensure_model("qwen2.5-coder-0.5b")
    assert path.stat().st_size == MODELS["qwen2.5-coder-0.5b"].size
    assert path.with_suffix(".sha256").read_text().strip() == MODELS["qwen2.5-coder-0.5b"].sha256


def test_server_failure_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-model.gguf"
    bad.write_bytes(b"garbage")
    with pytest.raises(LocalModelError, match="server exited with code 1: failed to load model"):
        with LocalServer(model_path=bad, slots=1, startup_timeout=60):
            pass


def test_unknown_model_name() -> None:
    with pytest.raises(LocalModelError, match="unknown model"):
        ensure_model("gpt-5-local")


PARENT = textwrap.dedent('''
    import sys, time
    from pathlib import Path
    from summarizer.model.local import LocalServer
    server = LocalServer(model_path=Path(sys.argv[1]), slots=1, context_size=1024).start()
    print(server.process.pid, flush=True)
    time.sleep(600)
''')


def test_server_dies_with_its_parent_even_on_sigkill(tmp_path: Path) -> None:
    # No atexit, no ``with``: only the closed stdin pipe tells the server its parent is gone.
    model = ensure_model("qwen2.5-coder-0.5b")
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(model)], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    for _ in range(600):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        state = subprocess.run(["ps", "-o", "stat=", "-p", str(child)], capture_output=True, text=True).stdout
        if state.startswith("Z"):
            return  # exited; only its (re-parented) zombie is left for init to reap
        time.sleep(0.1)
    os.kill(child, signal.SIGKILL)
    pytest.fail("the local model server outlived its parent")
