"""What keeps an extraction worker process in bounds: its parent, its time, its memory.

A hostile page (4.8 MB nested 250 deep) kept trafilatura busy for minutes and
took half a gigabyte; only a process can be stopped from outside, so such a
page goes to a worker, where an interval timer and an address-space limit cap
it, and it fails on its own line. A worker also exits when the main process
dies, even by SIGKILL, so no orphan keeps its memory.
"""

from __future__ import annotations

import os
import resource
import signal
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import lxml.etree
import lxml.html

from ..errors import ExtractError

T = TypeVar("T")
COMPLEX_BYTES = 1_000_000  # a page this big goes to a capped worker even in a small run
COMPLEX_DEPTH = 100  # real article pages nest 20 to 40 deep; trafilatura slows down steeply past this


class _PageTimeout(BaseException):
    """Raised by the timer; a BaseException, so no ``except Exception`` in a library swallows it."""


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, killed but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc: trust kill(0)


def start_worker(pid: int, memory_mb: int) -> None:
    """Worker initializer: cap the address space, and exit when the main process ``pid`` dies.

    A worker's parent is the forkserver, not the main process, so PR_SET_PDEATHSIG cannot name it; and a
    worker blocked on its task queue never sees EOF, because the workers hold the queue's other end.
    Once the workers exit, the forkserver and the resource tracker lose their last client and exit too.
    """
    if memory_mb > 0:
        _cap_memory(memory_mb)

    def watch() -> None:
        while _alive(pid):
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _cap_memory(memory_mb: int) -> None:
    """Allow ``memory_mb`` more than the worker already maps (trafilatura and lxml loaded)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            mapped_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
        limit = mapped_kb * 1024 + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    except (OSError, StopIteration, ValueError):
        pass  # no /proc or a lower hard limit: the time cap still holds


def capped(seconds: float, job: Callable[..., T], url: str, **kwargs: Any) -> T:
    """``job(**kwargs)`` in a worker, stopped after ``seconds`` or on running out of its memory cap.

    Raises ExtractError naming the URL (not skipped: the page is at fault, and a retry may do better)."""
    def expire(signum: int, frame: Any) -> None:
        raise _PageTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return job(url=url, **kwargs)
    except _PageTimeout:
        raise ExtractError(f"{url}: extraction took over {seconds:g}s (page too complex); not summarized",
                           url=url) from None
    except MemoryError:
        raise ExtractError(f"{url}: extraction needed more memory than its cap (page too complex); "
                           "not summarized", url=url) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def needs_cap(html: bytes | str | None) -> bool:
    """Whether a page is big or deep enough that only a capped worker should extract it."""
    if not html:
        return False
    if len(html) > COMPLEX_BYTES:
        return True
    try:
        root = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return False
    depth = deepest = 0
    for event, _ in lxml.etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
        if deepest > COMPLEX_DEPTH:
            return True
    return False
