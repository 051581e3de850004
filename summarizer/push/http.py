"""The push package's HTTP: one small httpx2 client, the second HTTP owner beside fetch.py.

Why not fetch.py's Fetcher: it is built for untrusted feed content (an address guard that refuses
loopback and private networks, body caps, conditional GET, async streaming). Push targets are set by
the operator and may well sit on an intranet (a company's own webhook) or on loopback in tests, and a
push is a handful of small POSTs. Every error leaves here as a PushError naming the target, never the
URL: webhook URLs carry their token.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx2

from ..errors import PushError

USER_AGENT = "jiandu-summarizer/0.1 (+https://github.com/jiandu/summarizer)"
# A 429's Retry-After worth one wait; a longer one fails the target for this run (a re-run resumes).
MAX_WAIT = 10.0


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
        self.secrets = [s for s in secrets if s]
        self.client = httpx2.Client(timeout=timeout, headers={"User-Agent": USER_AGENT},
                                    follow_redirects=False)

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
            try:
                response = self.client.post(url, json=json, content=content, params=params, headers=headers)
            except httpx2.TimeoutException as exc:
                raise self.fail(f"no answer within the timeout ({type(exc).__name__})") from exc
            except httpx2.HTTPError as exc:
                raise self.fail(f"cannot connect ({type(exc).__name__}: {_short(str(exc))})") from exc
            reply = Reply(response.status_code, response.text, _json(response))
            wait = _retry_after(reply, response.headers.get("retry-after"))
            if reply.status != 429 or attempt == 2 or wait is None or wait > MAX_WAIT:
                return reply
            time.sleep(wait)
        raise AssertionError("unreachable")

    def check(self, reply: Reply, ok: bool, detail: str) -> None:
        """Raise PushError with the platform's own words unless ``ok``."""
        if not ok:
            raise self.fail(f"HTTP {reply.status}: {_short(detail)}")


def _json(response: httpx2.Response) -> Any:
    try:
        return response.json()
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
