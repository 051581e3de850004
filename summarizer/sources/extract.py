"""Page -> article text. The only module that imports trafilatura (and readability-lxml).

Extraction is a small fallback chain that pays for fallbacks only where the first result looks wrong.
trafilatura (its fast mode: without its own internal fallbacks) proposes the page's text; the feed's own
full text, if any, is the other candidate. Only when the page text looks doubtful (``doubtful``: short,
mostly short lines, or several lines of page chrome) does readability-lxml propose a text too, and the
page's navigational link texts are measured; the candidate with the most article-like text wins,
judged by measurable signals (see ``score_candidate``): how many 字 it has (a line said twice counts
once), how much of it is link text (nav lists, related links) and how much is boilerplate (cookie
banners, "订阅", "Sign up", share buttons, comment chrome). The winner's name is recorded as the
article's ``extract_method``.

The page is parsed once (trafilatura's own loader, which also finds its encoding) and the tree shared.
Measured by bench/extraction.py on real third-party pages: at or above bare ``trafilatura.extract`` on
every set at about its cost. Reader comments, which bare trafilatura keeps by default, are left out: the
model is to summarize the article, and comments would also take the tail third ``fit_to_budget`` keeps.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import re
import threading
import time
from collections.abc import Set as AbstractSet
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeAlias

import lxml.html
import trafilatura
from lxml.html import HtmlElement
from readability import Document as ReadabilityDocument
from trafilatura.utils import load_html

from ..errors import ExtractError
from ..text import article_length, cjk_chars, clean_text, count_zi, one_line
from . import workers as workers_stage

_PAYWALL = re.compile(
    r"订阅后阅读|登录后阅读|付费阅读|会员专享|subscribe to (read|continue)|subscribers only|paywall", re.I
)
_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "tr",
    "section",
    "article",
}


@dataclass(frozen=True)
class Extracted:
    text: str
    zi: int
    method: str  # one of METHODS
    title: str = ""


def html_fragment_to_text(html: str) -> str:
    """Plain text of an HTML fragment (a feed's content), one paragraph a line."""
    if not html.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return re.sub(r"<[^>]+>", " ", html).strip()
    for bad in root.xpath(".//script|.//style"):
        bad.drop_tree()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCK_TAGS:
            el.tail = "\n" + (el.tail or "")
    text = root.text_content()
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


Html: TypeAlias = "bytes | str | HtmlElement"  # a page as fetched, or parsed once and shared


def page_text(html: Html, *, url: str, favor_recall: bool = False, fast: bool = False) -> tuple[str, str]:
    """(text, title) trafilatura finds in a page; empty text if none.

    Without trafilatura's metadata pass (date, author, site name), which took two thirds of its time
    on a 100 KB page; the title comes from the page's own title tags (``page_title``). ``fast`` skips
    trafilatura's internal fallbacks (a third of its time).
    """
    document = trafilatura.bare_extraction(
        html, url=url, include_comments=False, include_tables=True, with_metadata=False,
        favor_recall=favor_recall, fast=fast,
    )
    text = (getattr(document, "text", None) or "").strip() if document is not None else ""
    return text, page_title(html)


def _root(html: Html) -> HtmlElement | None:
    if isinstance(html, HtmlElement):
        return html
    try:
        return lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return None


def page_title(html: Html) -> str:
    """The page's headline: og:title, else the first h1, else <title>."""
    root = _root(html)
    if root is None:
        return ""
    for found in (
        root.xpath('//meta[@property="og:title"]/@content'),
        root.xpath("//h1"),
        root.xpath("//title"),
    ):
        if found:
            text = found[0] if isinstance(found[0], str) else found[0].text_content()
            text = re.sub(r"\s+", " ", str(text)).strip()
            if text:
                return text
    return ""


def readability_text(html: bytes | str) -> str:
    """The main text readability-lxml finds in a page; empty if it finds none."""
    try:
        summary = ReadabilityDocument(html).summary(html_partial=True)
    except Exception:  # readability raises bare Exceptions (Unparseable) on broken markup; a fallback may
        return ""  # fail without failing the article
    return html_fragment_to_text(summary)


# Short lines that are page chrome, not article text, in Chinese and English sites.
_BOILERPLATE = re.compile(
    r"cookie|订阅|sign ?up|subscribe|newsletter|log ?in|登录|注册|分享到|分享至|share (on|this|via)|^share$"
    r"|相关阅读|相关文章|推荐阅读|热门文章|延伸阅读|read more|related (stories|articles)"
    r"|you may also like|版权所有|©|all rights reserved|privacy policy|隐私政策|advertisement|^广告"
    r"|责任编辑|扫码|关注我们|follow us"
    r"|评论|comments?\b|回复|reply|点赞|\blikes?\b|分钟前|小时前|minutes? ago|hours? ago"
    r"|返回顶部|back to top",
    re.I,
)
_BYLINE = re.compile(r"^\s*by [A-Z]|作者[:：]|来源[:：]|编辑[:：]|\d{4}-\d{1,2}-\d{1,2}\s+\d{1,2}:\d{2}"
                     r"|\b\d{1,2}:\d{2}\s*(am|pm)\b", re.I)
# A boilerplate marker inside a long line is more likely the article talking about it (a subscription price).
_MARKER_LINE_MAX_ZI = 30
NOISE_WEIGHT = 3  # one 字 of nav/boilerplate cancels three 字 of article text
# order breaks ties; "page-recall" (trafilatura's recall mode) is no longer proposed but may be stored
METHODS = ("page", "feed", "page-recall", "page-readability")


@dataclass(frozen=True)
class Candidate:
    """One extractor's text with its all-noise lines trimmed, and how much noise it carried."""

    method: str
    text: str
    zi: int  # of ``text``
    noise_zi: int  # link text left inside kept lines
    trimmed_zi: int  # 字 of the all-noise lines
    trimmed: bool = True  # whether those lines were taken out of ``text``
    repeated_zi: int = 0  # 字 of kept lines said earlier in the same text

    @property
    def score(self) -> int:
        # Scored as if trimmed, whether or not it was: all-noise lines cost a little (the extractor let chrome
        # through); link text left inside article lines costs much. A line said again adds no article.
        clean_zi = self.zi if self.trimmed else self.zi - self.trimmed_zi
        return clean_zi - (1 + NOISE_WEIGHT) * self.noise_zi - self.trimmed_zi - self.repeated_zi


_LINK_BLOCKS = {"li", "p", "div", "td", "nav", "ul", "ol", "section", "aside", "header", "footer", "span"}


def link_texts(html: Html) -> set[str]:
    """Normalised texts of the page's navigational links: those whose block is mostly link text.

    Lines of a proposed text made of them are nav lists, share bars or related links; a link inside an
    article paragraph is left out, so the paragraph does not count as noise.
    """
    root = _root(html)
    if root is None:
        return set()
    found = set()
    nav: dict[Any, bool] = {}  # block -> mostly link text; measured once, not once for each of its links
    for a in root.iter("a"):
        text = _norm(a.text_content())
        block = next((el for el in a.iterancestors() if isinstance(el.tag, str) and el.tag in _LINK_BLOCKS),
                     None)
        if not count_zi(text) or block is None:
            continue
        if block not in nav:
            linked = sum(count_zi(x.text_content()) for x in block.iter("a"))
            nav[block] = linked * 2 >= count_zi(block.text_content())
        if nav[block]:
            found.add(text)
    return found


@functools.lru_cache(maxsize=64)
def _ranked(links: frozenset[str]) -> tuple[tuple[str, int], ...]:
    """A page's link texts with their 字, longest first (made once a page, not once a line)."""
    return tuple(sorted(((x, count_zi(x)) for x in links), key=lambda pair: len(pair[0]), reverse=True))


def _link_zi(norm: str, links: AbstractSet[str], min_zi: int) -> int:
    """字 of ``norm`` covered by link texts of at least ``min_zi`` 字 (Latin ones only as whole words)."""
    rest = norm
    for link, zi in _ranked(frozenset(links)):
        if zi >= min_zi and link in rest:
            rest = re.sub(rf"(?<![0-9a-z]){re.escape(link)}(?![0-9a-z])", " ", rest)
    return count_zi(norm) - count_zi(rest)


def _line_noise(line: str, links: AbstractSet[str]) -> tuple[int, int, bool]:
    """(字, noise 字, whole line is noise) of one line of a proposed text.

    A line is all noise when links cover half of it (a share bar is a row of one-word links), or when it
    is short and carries a boilerplate marker or a byline. In a longer line only links of two 字 or more
    count as noise: a one-字 link ("AI") inside a sentence is an ordinary word.
    """
    zi = count_zi(line)
    if not zi:
        return 0, 0, False
    norm = _norm(line)
    short = zi <= _MARKER_LINE_MAX_ZI
    if _link_zi(norm, links, 1) * 2 >= zi or (short and (_BOILERPLATE.search(line) or _BYLINE.search(line))):
        return zi, zi, True
    return zi, _link_zi(norm, links, 2), False


def score_candidate(method: str, text: str, links: AbstractSet[str], *, trim: bool = True) -> Candidate:
    """Trim one proposed text's all-noise lines (unless ``trim`` is False) and measure what is left."""
    kept, noise, trimmed, repeated = [], 0, 0, 0
    seen: set[str] = set()
    for line in text.splitlines():
        zi, line_noise, all_noise = _line_noise(line, links)
        if all_noise:
            trimmed += zi
            continue
        kept.append(line)
        noise += line_noise
        # Kept, not trimmed (a forum's names and quoted posts repeat), but not counted twice: readability-lxml
        # sometimes returns a page's text twice (a teaser in two containers), which doubled its score.
        norm = _norm(line)
        repeated += zi if norm in seen else 0
        seen.add(norm)
    clean = "\n".join(kept) if trim else text
    return Candidate(method=method, text=clean, zi=count_zi(clean), noise_zi=noise, trimmed_zi=trimmed,
                     trimmed=trim, repeated_zi=repeated)


# When trafilatura's text looks wrong (measured on the realdata pages, where readability-lxml did better on
# a quarter of them): too short to be a whole article, mostly short lines (a nav list or a link column
# kept as text), or several short lines of page chrome (share bars, bylines, "相关阅读").
_DOUBT_LENGTH = 300  # article_length: 300 CJK characters or 150 words
_DOUBT_SHORT_LINES = 0.8
_DOUBT_CHROME_LINES = 3
_SHORT_LINE_ZI = 10


def doubtful(text: str) -> str | None:
    """Why a page text looks wrong enough to try the fallback extractor, or None if it looks right."""
    if article_length(text) < _DOUBT_LENGTH:
        return "short"
    lines = [line for line in text.splitlines() if line.strip()]
    short = sum(1 for line in lines if count_zi(line) < _SHORT_LINE_ZI)
    if short > _DOUBT_SHORT_LINES * len(lines):
        return "mostly short lines"
    chrome = sum(1 for line in lines if count_zi(line) <= _MARKER_LINE_MAX_ZI
                 and (_BOILERPLATE.search(line) or _BYLINE.search(line)))
    return "page chrome" if chrome >= _DOUBT_CHROME_LINES else None


def candidates(*, url: str, html: bytes | str | None,
               feed_html: str = "") -> tuple[list[Candidate], str, frozenset[str]]:
    """The proposals for one article (empty ones left out), the page title and the link texts measured.

    readability-lxml runs, and the page's links are measured, only when trafilatura's text is doubtful.
    """
    proposals: list[tuple[str, str]] = []
    title, links = "", frozenset[str]()
    if html:
        tree = _load(html)
        source: Html = tree if tree is not None else html
        page, title = page_text(source, url=url, fast=True)
        proposals.append(("page", page))
        if doubtful(page):
            proposals.append(("page-readability", readability_text(html)))
            links = frozenset(link_texts(source))
    proposals.append(("feed", html_fragment_to_text(feed_html)))
    # trafilatura's text is kept as it is; the fallback, which lets more chrome through, is trimmed.
    found = [score_candidate(method, text, links, trim=method != "page")
             for method, text in proposals if count_zi(text) > 0]
    return found, title, links


def _load(html: bytes | str) -> HtmlElement | None:
    """The page parsed once, as trafilatura parses it (it finds the encoding), for every reader."""
    try:
        return load_html(html)
    except (lxml.etree.ParserError, ValueError):
        return None


def best_candidate(found: list[Candidate]) -> Candidate | None:
    """The candidate with the most article text net of noise; ties go to the earlier method in METHODS."""
    if not found:
        return None
    return max(found, key=lambda c: (c.score, -METHODS.index(c.method)))


_MAGIC = {
    b"%PDF": "a PDF",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"PK\x03\x04": "a ZIP file",
    b"RIFF": "a media file",
}
_TEXTUAL = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")


def not_html(content: bytes | str | None, content_type: str = "") -> str | None:
    """What the page is when it is not HTML ('a PDF', 'image/png'), else None. Bytes win over the label."""
    if isinstance(content, bytes):
        head = content[:8]
        for magic, what in _MAGIC.items():
            if head.startswith(magic):
                return what
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime and not mime.startswith(_TEXTUAL) and mime != "application/octet-stream":
        return mime
    return None


def choose_text(
    *,
    url: str,
    html: bytes | str | None,
    feed_html: str = "",
    min_zi: int = 150,
    content_type: str = "",
) -> Extracted:
    """The text to summarize: the best of the fallback chain (see the module docstring).

    A page that is not HTML (a PDF, an image) is not parsed; the feed's text is used if it has enough.
    Raises ExtractError (``skipped=True``) when the text is too short to summarize: ``skip_reason`` with
    ``min_zi`` as the least ``article_length`` (CJK characters plus two for each Latin word).
    """
    kind = not_html(html, content_type) if html else None
    if kind:
        feed = html_fragment_to_text(feed_html)
        if count_zi(feed) and article_length(feed) >= min_zi:
            return Extracted(text=clean_text(feed), zi=count_zi(feed), method="feed")
        raise ExtractError(
            f"{url}: the link is {kind}, not an HTML page; nothing to summarize", url=url, skipped=True
        )
    found, title, _ = candidates(url=url, html=html, feed_html=feed_html)
    best = best_candidate(found)
    if best is None:
        raise ExtractError(f"{url}: no article text found (script-only or empty page)", url=url, skipped=True)
    why = skip_reason(best.text, min_zi, html)
    if why:
        raise ExtractError(f"{url}: {why}", url=url, skipped=True)
    return Extracted(text=clean_text(best.text), zi=best.zi, method=best.method, title=one_line(title))


# How a teaser ends: an ellipsis or a "read more" link where the article would go on.
_TEASER_END = re.compile(
    r"(…|\.\.\.|\[…\]|\[\.\.\.\]|阅读全文|查看全文|显示全文|read more|continue reading)\W*\Z", re.I
)


def skip_reason(text: str, min_length: int = 150, html: bytes | str | None = None) -> str | None:
    """Why the digest would not summarize this text ('too short: ...'), or None if it would.

    Length is ``article_length``: CJK characters plus two for each Latin word, so one threshold means the
    same in Chinese and English. A text that stops on an ellipsis or "read more" is a feed's teaser.
    """
    length = article_length(text)
    teaser = bool(_TEASER_END.search(text[-40:]))
    # A feed's teaser cut after 95 words still ends "more…": it needs twice the length to pass as an article.
    needed = 2 * min_length if teaser else min_length
    if length >= needed:
        return None
    paywall = _PAYWALL.search(text) or (html and _PAYWALL.search(_as_str(html)))
    why = "teaser or paywall" if paywall or teaser else "too short"
    han, words = cjk_chars(text), count_zi(text) - cjk_chars(text)
    return f"{why}: {han} CJK characters and {words} words count {length}, fewer than {needed}"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _as_str(html: bytes | str) -> str:
    return html if isinstance(html, str) else html.decode("utf-8", "replace")


class Extractor:
    """Runs ``choose_text`` off the event loop, at most ``processes`` (or 2) pages at a time.

    trafilatura is pure Python under the GIL: threads overlap extraction with downloads but use one
    core. A run with at least ``POOL_MIN_PAGES`` pages to extract sends them to worker processes
    instead (forkserver, trafilatura preloaded), once they have started; pages that arrive before
    that go through threads. A small run stays in threads: starting the pool costs about a second.
    """

    POOL_MIN_PAGES = 16

    def __init__(self, processes: int = 0, *, page_seconds: float = 30.0, page_memory_mb: int = 1024) -> None:
        self.processes = processes
        self.page_seconds, self.page_memory_mb = page_seconds, page_memory_mb
        self._slots = asyncio.Semaphore(max(2, processes))
        self._pool: ProcessPoolExecutor | None = None
        self._starting = False
        self._starter: threading.Thread | None = None
        self._lock = threading.Lock()

    def prepare(self, pages: int) -> None:
        """Start the worker processes if ``pages`` is enough to pay for them; call before the pages arrive.

        The start happens in a background thread: starting the forkserver with trafilatura preloaded
        blocks for about a second, which the event loop must not wait for."""
        if self._pool is None and not self._starting and self.processes > 1 and pages >= self.POOL_MIN_PAGES:
            self._starting = True
            self._starter = threading.Thread(target=self._start_pool, name="extract-pool", daemon=True)
            self._starter.start()

    def _start_pool(self) -> None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["summarizer.sources.extract"])
        workers = max(1, self.processes)
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=workers_stage.start_worker,
                                   initargs=(os.getpid(), self.page_memory_mb))
        # Workers start and import while the first pages go through threads.
        warming = [pool.submit(count_zi, "") for _ in range(workers)]
        for future in warming:
            future.result()
        with self._lock:
            if self._starting:  # not closed meanwhile
                self._pool = pool
                return
        pool.shutdown(wait=True, cancel_futures=True)

    def wait_ready(self, timeout: float = 30.0) -> bool:
        """Block until the worker processes run (tests); False if they are not being started."""
        deadline = time.monotonic() + timeout
        while self._starting and self._pool is None and time.monotonic() < deadline:
            time.sleep(0.02)
        return self._pool is not None

    @property
    def uses_processes(self) -> bool:
        return self._pool is not None

    def _ensure_pool(self) -> None:
        """Start the worker processes now (for one page that needs a cap) unless they are starting."""
        with self._lock:
            start = self._pool is None and not self._starting
            self._starting = True
        if start:
            self._start_pool()
        else:
            self.wait_ready()

    async def choose(self, **kwargs: Any) -> Extracted:
        async with self._slots:
            html = kwargs.get("html")
            capless = self._pool is None and self.processes > 0
            if capless and await asyncio.to_thread(workers_stage.needs_cap, html):
                await asyncio.to_thread(self._ensure_pool)
            pool = self._pool
            if pool is None:
                return await asyncio.to_thread(functools.partial(choose_text, **kwargs))
            job = functools.partial(workers_stage.capped, self.page_seconds, choose_text, **kwargs)
            try:
                # The timer in the worker stops the page; this is the backstop if C code never yields.
                return await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(pool, job),
                                              self.page_seconds * 2 + 10)
            except TimeoutError:
                for process in list(getattr(pool, "_processes", {}).values()):
                    process.kill()  # the stuck worker cannot be told apart from its siblings
                self.close()
                url = kwargs.get("url", "")
                raise ExtractError(f"{url}: extraction took over {self.page_seconds:g}s (page too complex); "
                                   "not summarized", url=url) from None
            except BrokenProcessPool:
                # A worker died (out of memory on a hostile page, a crash in lxml): this page fails, the
                # rest of the run goes on in threads.
                self.close()
                url = kwargs.get("url", "")
                raise ExtractError(
                    f"{url}: the extraction worker process died on this page", url=url
                ) from None

    def close(self) -> None:
        """Stop the worker processes and wait for them: a worker still starting when the main process
        exits finds its semaphore gone and prints a FileNotFoundError traceback."""
        with self._lock:
            self._starting = False
            pool, self._pool = self._pool, None
        starter, self._starter = self._starter, None
        if starter is not None and starter is not threading.current_thread():
            starter.join()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
