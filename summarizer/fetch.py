"""The only module that does HTTP for feeds and pages (httpx2, asynchronous).

Limits: a global and a per-host concurrency cap, timeouts, a cap on the
decoded body size (so a gzip bomb stops at the cap), redirects followed,
conditional GET with stored validators. Local files are read for feeds the
user listed as paths, and for pages those local feeds link to, never for
pages a remote feed links to.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx2

from .config import FetchSettings
from .errors import FetchError


@dataclass(frozen=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class FetchResult:
    url: str
    final_url: str
    status: int
    content: bytes = b""
    content_type: str = ""
    validators: Validators = field(default_factory=Validators)
    seconds: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def headers_for_feedparser(self) -> dict[str, str]:
        headers = {"content-location": self.final_url}
        if self.content_type:
            headers["content-type"] = self.content_type
        return headers


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _file_path(url: str) -> Path:
    return Path(unquote(urlsplit(url).path))


class Fetcher:
    """Async downloader; use as ``async with Fetcher(settings) as f``."""

    def __init__(self, settings: FetchSettings, *, transport: httpx2.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self._global = asyncio.Semaphore(settings.concurrency)
        self._per_host: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(settings.per_host))
        self._transport = transport or httpx2.AsyncHTTPTransport(retries=settings.retries)
        self._client: httpx2.AsyncClient | None = None
        self.requests = 0

    async def __aenter__(self) -> "Fetcher":
        self._client = httpx2.AsyncClient(
            transport=self._transport,
            follow_redirects=True,
            max_redirects=10,
            timeout=httpx2.Timeout(self.settings.timeout, connect=min(10.0, self.settings.timeout)),
            headers={
                "User-Agent": self.settings.user_agent,
                "Accept-Encoding": "gzip, deflate",
                "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8",
            },
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def get(
        self,
        url: str,
        *,
        validators: Validators | None = None,
        accept: str = "*/*",
        allow_file: bool = False,
    ) -> FetchResult:
        """Download ``url``. Raises FetchError naming the URL."""
        if url.startswith("file://"):
            if not allow_file:
                raise FetchError(f"{url}: local file links are only followed from local feeds", url=url)
            return await asyncio.to_thread(self._read_file, url)
        if not url.startswith(("http://", "https://")):
            raise FetchError(f"{url}: unsupported URL scheme", url=url)
        assert self._client is not None, "use Fetcher as an async context manager"
        headers = {"Accept": accept}
        if validators and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        started = time.monotonic()
        async with self._global, self._per_host[_host(url)]:
            self.requests += 1
            try:
                async with self._client.stream("GET", url, headers=headers) as response:
                    if response.status_code == 304:
                        return FetchResult(url, str(response.url), 304, validators=validators or Validators(),
                                           seconds=time.monotonic() - started)
                    if response.status_code >= 400:
                        raise FetchError(f"{url}: HTTP {response.status_code}", url=url)
                    body = await self._read_capped(response, url)
                    return FetchResult(
                        url=url,
                        final_url=str(response.url),
                        status=response.status_code,
                        content=body,
                        content_type=response.headers.get("content-type", ""),
                        validators=Validators(response.headers.get("etag"), response.headers.get("last-modified")),
                        seconds=time.monotonic() - started,
                    )
            except httpx2.TooManyRedirects as exc:
                raise FetchError(f"{url}: too many redirects", url=url) from exc
            except httpx2.TimeoutException as exc:
                raise FetchError(f"{url}: timed out after {self.settings.timeout:g}s", url=url) from exc
            except httpx2.DecodingError as exc:
                raise FetchError(f"{url}: body could not be decoded ({exc})", url=url) from exc
            except httpx2.HTTPError as exc:
                reason = str(exc) or type(exc).__name__
                raise FetchError(f"{url}: {reason}", url=url) from exc

    async def _read_capped(self, response: httpx2.Response, url: str) -> bytes:
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.settings.max_bytes * 4:
            raise FetchError(f"{url}: body of {int(declared):,} bytes is over the {self.settings.max_bytes:,}-byte limit", url=url)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.settings.max_bytes:
                raise FetchError(f"{url}: body is over the {self.settings.max_bytes:,}-byte limit", url=url)
            chunks.append(chunk)
        return b"".join(chunks)

    def _read_file(self, url: str) -> FetchResult:
        path = _file_path(url)
        try:
            size = path.stat().st_size
            if size > self.settings.max_bytes:
                raise FetchError(f"{path}: file of {size:,} bytes is over the limit", url=url)
            data = path.read_bytes()
        except OSError as exc:
            raise FetchError(f"{path}: cannot read ({exc.strerror})", url=url) from exc
        content_type = "text/html" if path.suffix.lower() in {".html", ".htm"} else ""
        return FetchResult(url, url, 200, data, content_type)
