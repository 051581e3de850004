"""The child process that serves the bundled model: xllamacpp's llama.cpp server on 127.0.0.1.

    python -m summarizer.model.local_server --model M.gguf [--ctx N] [--slots N] [--threads N]

xllamacpp is a prebuilt wheel of llama.cpp with its OpenAI-compatible HTTP server
but no executable, so this module is the executable: it starts ``xllamacpp.Server``
on a free port, prints ``listening <host>:<port>`` on stdout, and serves until its
stdin closes. The parent (``local.LocalServer``) holds the other end of that pipe,
so the server goes away with the parent however the parent ends, SIGKILL included.
Only local.py starts it; nothing else imports xllamacpp.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

READY = "listening"
NO_AVX2 = 78  # exit code: this CPU cannot run the AVX2 build


def cpu_has_avx2() -> bool:
    """True when /proc/cpuinfo lists avx2 (or cannot be read: then let the runtime try)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("flags"):
                    return "avx2" in line.split()
    except OSError:
        pass
    return True


def params(args: argparse.Namespace, xllamacpp: Any) -> Any:
    """The server's parameters: one llama.cpp context of ``ctx`` tokens a slot."""
    p = xllamacpp.CommonParams()
    p.model.path = args.model
    p.hostnames = ["127.0.0.1"]
    p.port = 0  # the OS picks a free port; the server reports it
    p.n_parallel = args.slots
    # Each slot gets ctx tokens: llama.cpp splits n_ctx between the slots.
    p.n_ctx = args.ctx * args.slots
    p.cpuparams.n_threads = args.threads
    p.cpuparams_batch.n_threads = args.threads
    # The system prompt is the same for every article: its KV cache is reused across requests.
    p.cache_prompt = True
    # Measured on 2 AVX2 cores with the 1.5B Q4_K_M model (bench/runtime_params.py): llama.cpp's
    # repacked weight layout read prompts at ~31 tokens/s against ~38 without it, and flash attention
    # wrote ~10% fewer tokens a second; both off is ~15% faster a demo article (neutral for the 0.5B).
    p.no_extra_bufts = True
    p.flash_attn_type = xllamacpp.llama_flash_attn_type.LLAMA_FLASH_ATTN_TYPE_DISABLED
    p.ui = False
    p.endpoint_slots = True
    p.endpoint_metrics = True
    p.verbosity = 0
    return p


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m summarizer.model.local_server")
    parser.add_argument("--model", required=True)
    parser.add_argument("--ctx", type=int, default=8192)
    parser.add_argument("--slots", type=int, default=1)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)
    if not cpu_has_avx2():
        print("this CPU has no AVX2, which the prebuilt llama.cpp runtime (xllamacpp) needs", flush=True)
        return NO_AVX2
    try:
        import xllamacpp  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        print("the llama.cpp runtime is not installed (package 'xllamacpp')", flush=True)
        return 3
    if not os.path.isfile(args.model):
        print(f"model file not found: {args.model}", flush=True)
        return 2
    try:
        server = xllamacpp.Server(params(args, xllamacpp))
    except Exception as exc:  # the runtime's load errors come as bare RuntimeErrors
        print(f"failed to load model: {' '.join(str(exc).split())[:200]}", flush=True)
        return 1
    print(f"{READY} {server.listening_address}", flush=True)
    # Serve until the parent closes our stdin (it stopped us, or it died).
    sys.stdin.buffer.read()
    return 0


if __name__ == "__main__":
    # os._exit: the runtime's threads and destructors need not run once the parent is gone.
    code = main()
    sys.stdout.flush()
    os._exit(code)
