"""Signs of life: the local model's replies are streamed, and the meter shows each call's progress.

A stand-in server on loopback answers in the OpenAI streaming wire format (server-sent events) the
way llama.cpp's does: nothing while it reads the prompt, then a chunk a token, then usage and timings.
"""

import asyncio
import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from summarizer.model.llm import Endpoint, LLMClient
from summarizer.progress import CallProgress, PlainReporter, TokenMeter

TOKENS = ['{"bul', 'lets"', ': ["', '一', '二', '"]}']


def _chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
    body = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
    return b"data: " + json.dumps(body, ensure_ascii=False).encode() + b"\n\n"


class Streaming(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Streaming.requests.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        time.sleep(1.6)  # "reading the prompt": no chunk, so only the heartbeat speaks
        for token in TOKENS:
            self.wfile.write(_chunk({"content": token}))
            self.wfile.flush()
            time.sleep(0.05)
        self.wfile.write(_chunk({}, "stop"))
        usage = {"prompt_tokens": 900, "completion_tokens": 6, "total_tokens": 906}
        timings = {"cache_n": 400, "prompt_n": 500, "prompt_ms": 1500.0,
                   "predicted_n": 6, "predicted_ms": 300.0}
        self.wfile.write(b"data: " + json.dumps({"id": "c", "object": "chat.completion.chunk", "created": 0,
                                                 "model": "m", "choices": [], "usage": usage,
                                                 "timings": timings}).encode() + b"\n\n")
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


@pytest.fixture
def streaming_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Streaming)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()
    server.server_close()


def _complete(url: str, seen: list[CallProgress]):
    async def go():
        client = LLMClient(Endpoint("m", url, "local"), max_retries=0, on_tokens=seen.append)
        try:
            return await client.complete([{"role": "user", "content": "x"}], schema={"type": "object"},
                                         schema_name="s", label="Northwind raises $20 billion")
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_streamed_reply_is_whole_and_every_step_is_told(streaming_url: str) -> None:
    seen: list[CallProgress] = []
    completion = _complete(streaming_url, seen)
    assert completion.text == "".join(TOKENS)
    assert (completion.input_tokens, completion.output_tokens, completion.finish_reason) == (900, 6, "stop")
    # llama.cpp's own account: 1.8 s of work, 400 prompt tokens from its cache.
    assert completion.server_seconds == pytest.approx(1.8) and completion.cached_tokens == 400
    request = Streaming.requests[-1]
    assert request["stream"] is True and request["response_format"]["type"] == "json_schema"
    # While the prompt is read, the heartbeat says so (no tokens yet); then tokens climb; the end is told.
    assert seen[0].tokens == 0 and not seen[0].done
    counts = [p.tokens for p in seen]
    assert counts == sorted(counts) and counts[-1] == len(TOKENS)
    assert seen[-1].done and all(not p.done for p in seen[:-1])
    assert seen[-1].first_token is not None and seen[-1].first_token >= 1.5


def test_plain_meter_writes_a_line_every_few_seconds_with_tokens_and_speed() -> None:
    out = io.StringIO()
    meter = TokenMeter(PlainReporter(out), every=5.0)
    meter.update(CallProgress("An article", 0, 1.0))
    meter.update(CallProgress("An article", 0, 5.2))
    meter.update(CallProgress("An article", 20, 8.0, first_token=6.0))
    meter.update(CallProgress("An article", 40, 10.3, first_token=6.0))
    meter.update(CallProgress("An article", 41, 10.5, first_token=6.0, done=True))
    lines = out.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].endswith("model: An article: reading the article, 5 s")
    assert lines[1].endswith("model: An article: 40 tokens written, 9.3 tokens/s, 10 s")


def test_rich_meter_shows_a_live_row_a_call_and_removes_it_when_done() -> None:
    from rich.console import Console

    from summarizer.progress import RichReporter

    reporter = RichReporter(Console(file=io.StringIO(), force_terminal=True, width=120))
    meter = TokenMeter(reporter)
    meter.update(CallProgress("An article", 30, 9.0, first_token=6.0))
    rows = {t.description.strip(): t.fields["note"] for t in reporter.progress.tasks}
    assert rows == {"An article": "30 tokens written, 10.0 tokens/s, 9 s"}
    meter.update(CallProgress("An article", 31, 9.1, first_token=6.0, done=True))
    assert not reporter.progress.tasks
    reporter.close()
