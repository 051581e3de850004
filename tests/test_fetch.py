import asyncio
import gzip

import pytest
from servers import SiteServer

from summarizer.config import FetchSettings
from summarizer.errors import FetchError
from summarizer.sources.fetch import Fetcher


def get(url: str, **kwargs: object):
    settings = kwargs.pop("settings", FetchSettings(timeout=5, retries=0, allow_hosts=["127.0.0.1"]))

    async def go():
        async with Fetcher(settings) as fetcher:  # type: ignore[arg-type]
            return await fetcher.get(url, **kwargs)  # type: ignore[arg-type]

    return asyncio.run(go())


def test_conditional_get_gives_304(site: SiteServer) -> None:
    first = get(site.url("feeds/rss2.xml"))
    assert first.status == 200 and first.validators.etag
    second = get(site.url("feeds/rss2.xml"), validators=first.validators)
    assert second.not_modified and second.content == b""


def test_http_error_names_the_url(site: SiteServer) -> None:
    url = site.url("pages/nope.html")
    with pytest.raises(FetchError, match=f"{url}: HTTP 404"):
        get(url)


def test_gzip_is_decoded_and_size_is_capped(site: SiteServer) -> None:
    body = ("<p>" + "数据" * 5000 + "</p>").encode()
    site.overrides["/gz.html"] = (200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, gzip.compress(body))
    assert get(site.url("gz.html")).content == body
    bomb = gzip.compress(b"0" * 50_000_000)
    site.overrides["/bomb.html"] = (200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, bomb)
    with pytest.raises(FetchError, match="over the 1,000,000-byte limit"):
        get(site.url("bomb.html"), settings=FetchSettings(max_bytes=1_000_000, retries=0, allow_hosts=["127.0.0.1"]))


def test_redirects_are_followed(site: SiteServer) -> None:
    site.overrides["/old"] = (301, {"Location": site.url("feeds/rss2.xml")}, b"")
    result = get(site.url("old"))
    assert result.final_url == site.url("feeds/rss2.xml")
    site.overrides["/loop"] = (302, {"Location": site.url("loop")}, b"")
    with pytest.raises(FetchError, match="too many redirects"):
        get(site.url("loop"))


def test_user_agent_is_sent(site: SiteServer) -> None:
    get(site.url("feeds/rss2.xml"))
    headers = site.request_headers[-1]
    assert "jiandu-summarizer" in headers["user-agent"]
    assert "gzip" in headers["accept-encoding"]


def test_connection_refused_is_a_fetch_error() -> None:
    from summarizer.model.local import free_port

    url = f"http://127.0.0.1:{free_port()}/feed.xml"
    with pytest.raises(FetchError, match="127.0.0.1"):
        get(url)


def test_file_links_only_from_local_feeds(tmp_path) -> None:
    secret = tmp_path / "secret.html"
    secret.write_text("secret")
    with pytest.raises(FetchError, match="only followed from local feeds"):
        get(secret.as_uri())
    assert get(secret.as_uri(), allow_file=True).content == b"secret"
