"""The push package's HTTP: one small httpx2 client, the second HTTP owner beside fetch.py.

Why not fetch.py's Fetcher: it is built for untrusted feed content (an address guard that refuses
loopback and private networks, body caps, conditional GET, async streaming). Push targets are set by
the operator and may well sit on an intranet (a company's own webhook) or on loopback in tests, and a
push is a handful of small POSTs. Every error leaves here as a PushError naming the target, never the
URL: webhook URLs carry their token.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx2

from ...errors import PushError

USER_AGENT = "jiandu-summarizer/0.1 (+https://github.com/jiandu/summarizer)"
# A 429's Retry-After worth one wait; a longer one fails the target for this run (a re-run resumes).
MAX_WAIT = 10.0
# A reply is a few words of JSON; a bigger one is cut (and the message failed) rather than read whole.
MAX_REPLY_BYTES = 1_000_000


@dataclass(frozen=True)
class Reply:
    status: int
    text: str
    data: Any  # the JSON body, or None when it is not JSON

    def field(self, name: str) -> Any:
        return self.data.get(name) if isinstance(self.data, dict) else None


class Http:
    """POSTs for one target; closes its connections on exit."""

    def __init__(self, target: str, *, timeout: float, secrets: list[str]) -> None:
        self.target = target
        self.timeout = timeout  # the whole request's deadline: connect, send and read the reply
        self.secrets = [s for s in secrets if s]
        # identity: a reply is counted against the cap as it arrives, never inflated past it by gzip.
        self.client = httpx2.Client(timeout=timeout, follow_redirects=False,
                                    headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def fail(self, message: str) -> PushError:
        for secret in self.secrets:  # a platform may echo what it was sent; a secret never reaches a line
            message = message.replace(secret, "***")
        return PushError(f"push {self.target}: {message}", target=self.target)

    def post(self, url: str, *, json: Any = None, content: bytes | None = None,
             params: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> Reply:
        """POST once, waiting once for a short 429 Retry-After. Raises PushError (connection, timeout)."""
        for attempt in (1, 2):
            deadline = time.monotonic() + self.timeout
            try:
                request = self.client.build_request("POST", url, json=json, content=content, params=params,
                                                    headers=headers)
                reply, header = self._send(request, deadline)
            except httpx2.TimeoutException as exc:
                raise self.fail(f"no answer within the timeout ({type(exc).__name__})") from exc
            except httpx2.HTTPError as exc:
                raise self.fail(f"cannot connect ({type(exc).__name__}: {_short(str(exc))})") from exc
            wait = _retry_after(reply, header)
            if reply.status != 429 or attempt == 2 or wait is None or wait > MAX_WAIT:
                return reply
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _send(self, request: httpx2.Request, deadline: float) -> tuple[Reply, str | None]:
        """One request, its reply read in chunks: cut at MAX_REPLY_BYTES, and at ``deadline`` however
        steadily a server drips (each byte would reset a read timeout). Returns the reply and Retry-After."""
        response = self.client.send(request, stream=True)
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_REPLY_BYTES:
                raise self._too_big(response.status_code)
            data = bytearray()
            for chunk in response.iter_raw():
                data += chunk
                if len(data) > MAX_REPLY_BYTES:
                    raise self._too_big(response.status_code)
                if time.monotonic() > deadline:
                    raise self.fail(f"no complete answer within the {self.timeout:g}s deadline "
                                    "(server too slow)")
        finally:
            response.close()
        try:
            text = data.decode(response.charset_encoding or "utf-8", "replace")
        except LookupError:  # a charset label no codec knows
            text = data.decode("utf-8", "replace")
        return Reply(response.status_code, text, _json(text)), response.headers.get("retry-after")

    def _too_big(self, status: int) -> PushError:
        return self.fail(f"HTTP {status}: the reply is over the {MAX_REPLY_BYTES:,}-byte limit; "
                         "not read further")

    def check(self, reply: Reply, ok: bool, detail: str) -> None:
        """Raise PushError with the platform's own words unless ``ok``."""
        if not ok:
            raise self.fail(f"HTTP {reply.status}: {_short(detail)}")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # not JSON, empty, or nested too deep to parse
        return None


def _retry_after(reply: Reply, header: str | None) -> float | None:
    # Discord and Telegram say it in the body (retry_after, parameters.retry_after), others in the header.
    parameters = reply.field("parameters")  # any JSON shape may come back: a list, a number, null
    nested = parameters.get("retry_after") if isinstance(parameters, dict) else None
    for value in (reply.field("retry_after"), nested, header):
        try:
            if value is not None:
                return max(0.0, float(value))
        except (TypeError, ValueError):
            continue
    return None


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
