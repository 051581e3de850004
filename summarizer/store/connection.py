"""A SQLite connection whose errors name the database file and say what to do."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from ..errors import StoreError


def database_error(path: Path | str, exc: BaseException) -> StoreError:
    """One line that says what is wrong with the database file and what to do about it."""
    reason = str(exc) or type(exc).__name__
    low = reason.lower()
    if "malformed" in low or "not a database" in low or "corrupt" in low:
        hint = "the file is damaged; restore it from a backup, or move it away to start a new one"
    elif "readonly" in low or "read-only" in low or "permission" in low:
        path = _read_only_part(Path(path))
        hint = "the file is read-only; give this user write access to it and its folder"
    elif "full" in low or "no space" in low or "disk i/o" in low:
        hint = "the disk is full or failing; free some space and run again (finished work is kept)"
    else:
        hint = "check the file and its folder"
    return StoreError(f"{path}: database error ({reason}); {hint}")


def _read_only_part(path: Path) -> Path:
    """The file that makes the database read-only: itself, or a -wal or -shm file a crashed run of
    another user left behind (SQLite then refuses every write while the database looks writable)."""
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if part.exists() and not os.access(part, os.W_OK):
            return part
    return path


def migration_error(db: sqlite3.Connection, path: Path, exc: Exception) -> StoreError:
    """A migration failed. On a damaged file it fails for the wrong reason (an index that lost rows
    makes an applied migration look new: "duplicate column name"), so ask SQLite to check the file."""
    try:
        verdict = sqlite3.Connection.execute(db, "PRAGMA quick_check(1)").fetchone()[0]
    except sqlite3.DatabaseError as check:
        return database_error(path, check)
    if verdict != "ok":
        return database_error(path, sqlite3.DatabaseError("database disk image is malformed"))
    if isinstance(exc, StoreError):
        return exc
    return StoreError(f"{path}: cannot open the database ({exc})")


class _Connection(sqlite3.Connection):
    """A connection whose errors name the file: a damaged, read-only or full database is one line, exit 2."""

    path: Path | str = ""

    def execute(self, *args: Any) -> sqlite3.Cursor:
        try:
            return super().execute(*args)
        except sqlite3.DatabaseError as exc:
            raise database_error(self.path, exc) from exc

    def executemany(self, *args: Any) -> sqlite3.Cursor:
        try:
            return super().executemany(*args)
        except sqlite3.DatabaseError as exc:
            raise database_error(self.path, exc) from exc

    def executescript(self, *args: Any) -> sqlite3.Cursor:  # the migrations' statements
        try:
            return super().executescript(*args)
        except sqlite3.DatabaseError as exc:
            raise database_error(self.path, exc) from exc

    def __exit__(self, *exc: Any) -> Any:  # the commit of ``with self.db:`` can fail too (disk full)
        try:
            return super().__exit__(*exc)
        except sqlite3.DatabaseError as error:
            raise database_error(self.path, error) from error
