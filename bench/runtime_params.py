"""The llama.cpp settings the bundled model runs with, against the runtime's defaults, on this machine.

    python bench/runtime_params.py [--model qwen2.5-coder-1.5b] [--rounds 2] [--tokens 160]

Starts xllamacpp's server in this process, once with ``local_server.params`` as the project
runs it and once with llama.cpp's defaults for the two settings the project changes (the
repacked weight layout and flash attention), alternating, ``--rounds`` times each. Every
request is one demo article's opening (about 870 tokens, never cached) and ``--tokens``
tokens out, as the runtime reports them. Prints each run's prompt and output tokens a second
and, per setting, what an average demo article (800 prompt and 270 output tokens) takes,
with the ratio: both measured in the same run, so a slower machine moves both.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from summarizer.model import local_server  # noqa: E402
from summarizer.model.local import ensure_model  # noqa: E402

ARTICLE = (800, 270)  # prompt and output tokens of an average demo article (bench/local_model.py)


def settings(name: str, args: argparse.Namespace, xllamacpp: Any) -> Any:
    p = local_server.params(args, xllamacpp)
    if name == "llama.cpp defaults":
        p.no_extra_bufts = False
        p.flash_attn_type = xllamacpp.llama_flash_attn_type.LLAMA_FLASH_ATTN_TYPE_AUTO
    return p


def measure(params: Any, xllamacpp: Any, text: str, tokens: int) -> tuple[float, float]:
    server = xllamacpp.Server(params)
    try:
        body = {"messages": [{"role": "user", "content": text}], "max_tokens": tokens, "temperature": 0,
                "cache_prompt": False, "ignore_eos": True}
        request = urllib.request.Request(f"{server.listening_address}/v1/chat/completions",
                                         json.dumps(body).encode(), {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=600) as response:
            timings = json.load(response)["timings"]
    finally:
        del server
    return float(timings["prompt_per_second"]), float(timings["predicted_per_second"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=160)
    args = parser.parse_args()
    try:
        import xllamacpp  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        sys.exit("xllamacpp is not installed: pip install -e '.[local]'")
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")  # as local.LocalServer runs it
    server_args = argparse.Namespace(model=str(ensure_model(args.model)), slots=1, ctx=4096,
                                     threads=os.cpu_count() or 2)
    page = sorted((ROOT / "examples" / "articles").glob("*.html"))[5]
    text = page.read_text(encoding="utf-8")[:3000]
    names = ("project", "llama.cpp defaults")
    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for round_ in range(args.rounds):
        for name in names:
            rate = measure(settings(name, server_args, xllamacpp), xllamacpp, f"{round_} {text}", args.tokens)
            rates[name].append(rate)
            print(f"  {name:<20} prompt {rate[0]:5.1f} tokens/s, output {rate[1]:5.1f} tokens/s", flush=True)
    seconds = {}
    for name in names:
        prompt = statistics.mean(r[0] for r in rates[name])
        output = statistics.mean(r[1] for r in rates[name])
        seconds[name] = ARTICLE[0] / prompt + ARTICLE[1] / output
        print(f"{name:<20} prompt {prompt:5.1f}/s, output {output:5.1f}/s: {seconds[name]:5.1f} s an article")
    ratio = seconds["project"] / seconds["llama.cpp defaults"]
    print(f"project / defaults: {ratio:.2f}x the time ({args.model}, load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
