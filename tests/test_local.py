"""The local-server wrapper's protocol and failure paths, with stand-in servers (no [local] extra needed).

The stand-ins speak the protocol of ``summarizer.model.local_server``: print ``listening host:port``, serve
``/health``, and exit when stdin closes. tests/test_local_model.py runs the real one.
"""

import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest

import summarizer.model.local
from summarizer.errors import LocalModelError
from summarizer.model.local import LocalServer
from summarizer.model.local_server import NO_AVX2

STAND_IN = textwrap.dedent('''
    import http.server, sys, threading
    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/health" else 404)
            self.end_headers()
            self.wfile.write(b"{}")
        def log_message(self, *args):
            pass
    server = http.server.HTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("loading model", sys.argv[sys.argv.index("--model") + 1], flush=True)
    print("listening 127.0.0.1:%d" % server.server_port, flush=True)
    sys.stdin.buffer.read()
    print("stdin closed", flush=True)
''')


def _shell(tmp_path: Path, body: str) -> list[str]:
    script = tmp_path / "server.sh"
    script.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    script.chmod(0o755)
    return [str(script)]


def test_server_is_ready_when_it_says_where_it_listens_and_stops_when_stdin_closes(tmp_path: Path) -> None:
    (tmp_path / "stand_in.py").write_text(STAND_IN, encoding="utf-8")
    command = [sys.executable, str(tmp_path / "stand_in.py")]
    server = LocalServer(model_path=tmp_path / "m.gguf", command=command)
    with server:
        process = server.process
        assert process is not None and server.port > 0
        with urllib.request.urlopen(f"{server.root_url}/health", timeout=5) as response:
            assert response.status == 200
        assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
    # Closing stdin was enough: the server exited by itself (0), not by a signal.
    assert process.wait(timeout=5) == 0
    assert "stdin closed" in server._output


def test_child_has_omp_passive_wait_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Spinning OpenMP threads make generation collapse when other processes want the cores.
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    command = _shell(tmp_path, 'echo "policy=$OMP_WAIT_POLICY"; exit 4')
    with pytest.raises(LocalModelError, match="exited with code 4: policy=passive"):
        LocalServer(model_path=tmp_path / "m.gguf", command=command, startup_timeout=30).start()


def test_cpu_without_avx2_is_one_clear_line_before_anything_starts(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(summarizer.model.local, "cpu_has_avx2", lambda: False)
    marker = tmp_path / "started"
    command = _shell(tmp_path, f"touch {marker}")
    with pytest.raises(LocalModelError, match="no AVX2.*OPENAI_BASE_URL"):
        LocalServer(model_path=tmp_path / "m.gguf", command=command).start()
    assert not marker.exists()


def test_child_reporting_no_avx2_names_the_way_out(tmp_path: Path) -> None:
    command = _shell(tmp_path, f"echo 'this CPU has no AVX2'; exit {NO_AVX2}")
    with pytest.raises(LocalModelError, match="^this CPU has no AVX2; use a hosted"):
        LocalServer(model_path=tmp_path / "m.gguf", command=command, startup_timeout=30).start()


def test_illegal_instruction_is_explained(tmp_path: Path) -> None:
    # What a runtime built for newer CPUs does here, should /proc/cpuinfo not tell the whole truth.
    command = _shell(tmp_path, "kill -ILL $$")
    with pytest.raises(LocalModelError, match="illegal CPU instruction.*AVX2"):
        LocalServer(model_path=tmp_path / "m.gguf", command=command, startup_timeout=30).start()


def test_early_exit_shows_the_servers_last_words(tmp_path: Path) -> None:
    command = _shell(tmp_path, "echo 'failed to load model'; exit 3")
    with pytest.raises(LocalModelError, match="exited with code 3: failed to load model"):
        LocalServer(model_path=tmp_path / "m.gguf", command=command, startup_timeout=30).start()


def test_real_entry_point_refuses_a_missing_model_in_one_line(tmp_path: Path) -> None:
    # The real child entry (xllamacpp or not): checked before the runtime is asked to load anything.
    missing = tmp_path / "absent.gguf"
    done = subprocess.run([sys.executable, "-m", "summarizer.model.local_server", "--model", str(missing)],
                          input=b"", capture_output=True, timeout=60)
    assert done.returncode != 0
    assert len(done.stdout.decode().strip().splitlines()) == 1, done.stdout
