"""One digest run at a time per database: an flock on a file next to the SQLite file.

The kernel drops an flock when its process dies, SIGKILL included, so a crash
never leaves a stale lock behind; the file itself stays and only names the
last holder, for the message the second run prints.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import RunLocked, StoreError


def lock_path(database: Path, kind: str = "run") -> Path:
    return database.with_name(database.name + (".lock" if kind == "run" else f".{kind}.lock"))


_WHAT = {"run": "digest run", "push": "push"}


@contextmanager
def run_lock(database: Path, label: str, kind: str = "run") -> Iterator[Path]:
    """Hold the ``kind`` lock of ``database`` for the block ("run": a digest, weekly or doctor run; "push":
    sending an issue, so that two sends never both find a message unsent). Raises RunLocked at once if
    another process holds it."""
    path = lock_path(database, kind)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the run lock ({exc.strerror})") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise RunLocked(f"{database}: another {_WHAT[kind]} is in progress ({holder}); "
                            "this run did nothing, try again when it has finished") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, date {label}".encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the flock
