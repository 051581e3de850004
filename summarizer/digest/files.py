"""Files written whole or not at all: a reader never sees half a draft or half an issue."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import EncodingError


def current_umask() -> int:
    """The process umask, read without changing it where Linux tells (os.umask would, for a moment)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def read_text(path: Path) -> str:
    """A file a person may have edited, as UTF-8. Raises FileNotFoundError, or EncodingError naming the
    file and the first byte that is not UTF-8 (an editor that saved it as GBK)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None


def not_utf8(path: Path | str, exc: UnicodeDecodeError) -> EncodingError:
    """One line: which file, at which byte, and what to do."""
    bad = exc.object[exc.start:exc.start + 1].hex()
    return EncodingError(f"{path}: not UTF-8 text (byte 0x{bad} at offset {exc.start}); "
                         "save the file as UTF-8 and run again", path=str(path), offset=exc.start)


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())  # mkstemp makes 0600; a web server must read what we publish
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
