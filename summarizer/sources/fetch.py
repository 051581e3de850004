"""The only module that does HTTP for feeds and pages (httpx2, asynchronous).

Limits: a global and a per-host concurrency cap, timeouts, a deadline for the
whole download (a server trickling one byte a second), a cap on the decoded
body size (we decompress ourselves, at most the cap at a time, so a gzip bomb
stops at the cap), redirects followed, conditional GET with stored validators,
one wait for a short Retry-After. Every connection, redirects included, goes
to an address checked against the allow-list policy (``addresses.py``) at
connect time, so DNS tricks cannot swap in an intranet address afterwards.
Local files are read for feeds the user listed as paths, and for pages those
local feeds link to, never for pages a remote feed links to.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpcore2
import httpx2

from ..config import FetchSettings
from ..errors import FetchError
from ..items import Validators  # re-exported: callers import it from here too
from .addresses import AddressPolicy, never_resolves


class _Refused(Exception):
    """Raised inside the connection layer; Fetcher.get turns it into a FetchError naming the URL."""


class GuardedBackend(httpcore2.AsyncNetworkBackend):
    """Resolves the host itself, checks every address, then connects to a checked address."""

    def __init__(self, policy: AddressPolicy, inner: httpcore2.AsyncNetworkBackend | None = None) -> None:
        self.policy = policy
        self.inner = inner or httpcore2.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        if never_resolves(host) and not self.policy.host_allowed(host):
            raise _Refused(f"host name {host} does not resolve")
        try:
            addresses = [str(ipaddress.ip_address(host.strip("[]")))]  # a literal address: no lookup
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except socket.gaierror as exc:
                raise _Refused(f"host name {host} does not resolve ({exc.strerror})") from exc
            addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        for address in addresses:
            reason = self.policy.refusal(host, address)
            if reason:
                raise _Refused(reason)
        last: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore2.ConnectError, httpcore2.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore2.AsyncNetworkStream:
        raise _Refused("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class _CappedDecoder:
    """Content-Encoding decoder that never produces more than ``limit`` bytes in total."""

    def __init__(self, encoding: str, limit: int, url: str) -> None:
        self.encoding = encoding
        self.limit = limit
        self.url = url
        self.size = 0
        self._z: Any = None
        if encoding == "gzip":
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj()
        elif encoding not in ("", "identity"):
            raise FetchError(f"{url}: unsupported Content-Encoding '{encoding}'", url=url)
        self._first = True

    def over_limit(self) -> FetchError:
        return FetchError(f"{self.url}: body is over the {self.limit:,}-byte limit", url=self.url)

    def feed(self, data: bytes) -> bytes:
        """Decode one raw chunk; raises FetchError once the decoded size passes the limit."""
        if self._z is None:
            out = data
        else:
            try:
                # max_length bounds memory: a 1 KB gzip chunk can hold 1 MB of zeros.
                out = self._z.decompress(data, self.limit - self.size + 1)
            except zlib.error as exc:
                if self.encoding == "deflate" and self._first:
                    self._z = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send
                    self._first = False
                    return self.feed(data)
                raise FetchError(f"{self.url}: body could not be decoded ({exc})", url=self.url) from exc
            if self._z.unconsumed_tail:
                raise self.over_limit()
        self._first = False
        self.size += len(out)
        if self.size > self.limit:
            raise self.over_limit()
        return out

    def flush(self) -> bytes:
        if self._z is None:
            return b""
        out = self._z.flush()
        self.size += len(out)
        if self.size > self.limit:
            raise self.over_limit()
        return out


def _retry_after(response: httpx2.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    if value:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())
    return None


def _connect_reason(exc: BaseException) -> str:
    """'connection refused' and the like, from the OSError at the bottom of the chain."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror.lower()
        seen = seen.__cause__ or seen.__context__
    return str(exc) or type(exc).__name__


_REASONS = {404: "not found", 410: "gone", 401: "needs a login", 403: "forbidden", 429: "too many requests",
            500: "server error", 502: "bad gateway", 503: "unavailable", 504: "gateway timeout"}


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


def _check_url(url: str) -> None:
    """Raises FetchError for a link httpx2 cannot request (port 99999, a full-width host, a space)."""
    try:
        parsed = httpx2.URL(url)
        parsed.port  # noqa: B018 - parsing the port is the check
        urlsplit(url).port  # noqa: B018 - the per-host slot key comes from urlsplit
    except (httpx2.InvalidURL, ValueError, UnicodeError) as exc:
        raise FetchError(f"{url}: not a valid URL ({exc})", url=url) from exc
    if not parsed.host:
        raise FetchError(f"{url}: not a valid URL (no host)", url=url)


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _file_path(url: str) -> Path:
    return Path(unquote(urlsplit(url).path))


def _request_headers(accept: str, validators: Validators | None) -> dict[str, str]:
    headers = {"Accept": accept}
    if validators and validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators and validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def _http_failure(url: str, status: int, delay: float | None, *, waited: bool) -> str:
    reason = f"{url}: HTTP {status}"
    if status in _REASONS:
        reason += f" ({_REASONS[status]})"
    if delay is not None:
        reason += f", Retry-After {delay:.0f}s" + ("" if waited else " not waited for")
    return reason


class Fetcher:
    """Async downloader; use as ``async with Fetcher(settings) as f``."""

    def __init__(
        self, settings: FetchSettings, *, transport: httpx2.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self._global = asyncio.Semaphore(settings.concurrency)
        self._per_host: dict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_host)
        )
        self.policy = AddressPolicy.from_entries(settings.allow_hosts)
        self._transport = transport or self._guarded_transport(settings)
        self._client: httpx2.AsyncClient | None = None
        self.requests = 0

    def _guarded_transport(self, settings: FetchSettings) -> httpx2.AsyncHTTPTransport:
        # Passing a transport also keeps httpx2 from mounting HTTP(S)_PROXY transports from the
        # environment, which would connect on our behalf, past the address check.
        transport = httpx2.AsyncHTTPTransport(retries=settings.retries)
        pool = transport._pool  # httpx2 takes no network backend argument; the pool does
        if not hasattr(pool, "_network_backend"):
            raise RuntimeError("httpx2's connection pool changed: the address guard cannot be installed")
        pool._network_backend = GuardedBackend(self.policy)
        return transport

    async def __aenter__(self) -> Fetcher:
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
        _check_url(url)
        headers = _request_headers(accept, validators)
        started = time.monotonic()
        async with self._global, self._per_host[_host(url)]:
            waited = False
            while True:
                self.requests += 1
                try:
                    async with asyncio.timeout(self.settings.deadline):
                        result = await self._get_once(url, headers, validators, started)
                except TimeoutError as exc:
                    raise FetchError(f"{url}: download not finished after {self.settings.deadline:g}s "
                                     "(server too slow)", url=url) from exc
                if isinstance(result, FetchResult):
                    return result
                status, delay = result
                if delay is not None and not waited and delay <= self.settings.max_retry_after:
                    waited = True
                    await asyncio.sleep(delay)
                    continue
                raise FetchError(_http_failure(url, status, delay, waited=waited), url=url)

    async def _get_once(self, url: str, headers: dict[str, str], validators: Validators | None,
                        started: float) -> FetchResult | tuple[int, float | None]:
        """One request: the result, or (status, Retry-After) for an HTTP error. Raises FetchError."""
        assert self._client is not None
        try:
            async with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return FetchResult(url, str(response.url), 304, validators=validators or Validators(),
                                       seconds=time.monotonic() - started)
                if response.status_code >= 400:
                    delay = _retry_after(response) if response.status_code in (429, 503) else None
                    return response.status_code, delay
                body = await self._read_capped(response, url)
                return FetchResult(
                    url=url,
                    final_url=str(response.url),
                    status=response.status_code,
                    content=body,
                    content_type=response.headers.get("content-type", ""),
                    validators=Validators(
                        response.headers.get("etag"), response.headers.get("last-modified")
                    ),
                    seconds=time.monotonic() - started,
                )
        except _Refused as exc:
            raise FetchError(f"{url}: {exc}", url=url) from exc
        except (httpx2.InvalidURL, httpx2.UnsupportedProtocol, ValueError, UnicodeError) as exc:
            # A redirect to a broken Location; InvalidURL is not an HTTPError.
            raise FetchError(f"{url}: not a valid URL ({exc})", url=url) from exc
        except httpx2.TooManyRedirects as exc:
            raise FetchError(f"{url}: too many redirects", url=url) from exc
        except httpx2.ConnectTimeout as exc:
            raise FetchError(
                f"{url}: connect timed out after {min(10.0, self.settings.timeout):g}s", url=url
            ) from exc
        except httpx2.TimeoutException as exc:
            raise FetchError(f"{url}: timed out after {self.settings.timeout:g}s", url=url) from exc
        except httpx2.DecodingError as exc:
            raise FetchError(f"{url}: body could not be decoded ({exc})", url=url) from exc
        except httpx2.ConnectError as exc:
            raise FetchError(f"{url}: {_connect_reason(exc)}", url=url) from exc
        except httpx2.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            raise FetchError(f"{url}: {reason}", url=url) from exc

    async def _read_capped(self, response: httpx2.Response, url: str) -> bytes:
        """The decoded body, read raw and decoded here so no more than the cap is ever held or read."""
        limit = self.settings.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(
                f"{url}: body of {int(declared):,} bytes is over the {limit:,}-byte limit", url=url
            )
        encoding = response.headers.get("content-encoding", "").strip().lower()
        decoder = _CappedDecoder(encoding, limit, url)
        chunks: list[bytes] = []
        raw_size = 0
        async for chunk in response.aiter_raw():
            raw_size += len(chunk)
            if raw_size > limit:
                raise decoder.over_limit()
            chunks.append(decoder.feed(chunk))
        chunks.append(decoder.flush())
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
