"""The local-server wrapper's failure paths, with a stand-in binary (no [local] extra needed)."""

from pathlib import Path

import pytest

from summarizer.errors import LocalModelError
from summarizer.local import LocalServer


def _fake_server(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "llama-server"
    script.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    script.chmod(0o755)
    return script


def test_illegal_instruction_names_the_portable_rebuild(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What a -DGGML_NATIVE=ON build does on a VM that reports AMX but traps it.
    monkeypatch.setenv("JIANDU_LLAMA_SERVER", str(_fake_server(tmp_path, "kill -ILL $$")))
    with pytest.raises(LocalModelError, match="illegal CPU instruction.*GGML_NATIVE=OFF"):
        LocalServer(model_path=tmp_path / "m.gguf", slots=1, startup_timeout=30).start()


def test_early_exit_shows_the_servers_last_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIANDU_LLAMA_SERVER", str(_fake_server(tmp_path, "echo 'failed to load model'; exit 3")))
    with pytest.raises(LocalModelError, match="exited with code 3: failed to load model"):
        LocalServer(model_path=tmp_path / "m.gguf", slots=1, startup_timeout=30).start()
